const path = require('path');
const { task, src, dest } = require('gulp');

/** Copies a glob into a folder, resolving when every file is written. */
function copy(from, to) {
	return new Promise((resolve, reject) => {
		src(path.resolve(from)).pipe(dest(path.resolve(to))).on('finish', resolve).on('error', reject);
	});
}

/** Copies node and credential icons and codex files next to the compiled code in dist/. */
async function copyIcons() {
	await Promise.all([
		copy('nodes/**/*.{png,svg,json}', 'dist/nodes'),
		copy('credentials/**/*.{png,svg}', 'dist/credentials'),
	]);
}

task('build:icons', copyIcons);
