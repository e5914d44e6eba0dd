/**
 * Table tests of the pure deciders in lib/: no S3 server, no n8n engine, seconds.
 * `npm run test:unit`; `npm test` runs them too.
 */
/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/unit'],
	testMatch: ['**/*.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
	testTimeout: 10_000,
	// Small suites of pure functions: two workers even on a 2-core machine (jest's default is one).
	maxWorkers: 2,
};
