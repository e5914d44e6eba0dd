import { createHash } from 'node:crypto';

import type { ImportFile } from '../importMetadata';
import type { ObjectTag } from '../s3/store';

/**
 * What happens to a file (New Files, Single File) once it is imported: one named choice, carried
 * out by Finish Import at the end of the workflow, only for a file all of whose rows were
 * delivered. Marker folders have theirs (moved to processed/, lib/px/complete.ts).
 */
export type AfterImportAction = 'keep' | 'move' | 'delete' | 'tag';

export interface AfterImportSettings {
	action: AfterImportAction;
	/** Move: the folder imported files go to; `{yyyy}`, `{MM}`, `{dd}` are the day of the move (UTC). */
	moveTo?: string;
	/** Tag: the tag set on imported files (added to the tags they have). */
	tag?: ObjectTag;
}

export type PlannedAction =
	| { action: 'keep' }
	| { action: 'move'; to: string }
	| { action: 'delete' }
	| { action: 'tag'; tag: ObjectTag };

/** Where a file's status file goes: next to the file, where the file is after the action. */
export const STATUS_FILE_SUFFIX = '.status.txt';

export function statusFileKey(key: string): string {
	return `${key}${STATUS_FILE_SUFFIX}`;
}

/** A setting that cannot be carried out for a file: the file stays where it is. */
export class AfterImportError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'AfterImportError';
	}
}

/** S3's limits on object tags. */
const MAX_TAGS = 10;
const MAX_TAG_KEY = 128;
const MAX_TAG_VALUE = 256;
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** The action for one imported file. Throws AfterImportError for a setting that cannot apply to it. */
export function planAfterImport(
	file: Pick<ImportFile, 'key' | 'origin'>,
	settings: AfterImportSettings,
	now: Date,
): PlannedAction {
	switch (settings.action) {
		case 'move':
			return { action: 'move', to: moveDestination(file, settings.moveTo ?? '', now) };
		case 'delete':
			return { action: 'delete' };
		case 'tag':
			return { action: 'tag', tag: checkedTag(settings.tag) };
		default:
			return { action: 'keep' };
	}
}

/** The folder with its date placeholders filled in: `{yyyy}`, `{MM}`, `{dd}` of `now`, in UTC. */
export function datedFolder(template: string, now: Date): string {
	const two = (n: number) => String(n).padStart(2, '0');
	const folder = template
		.trim()
		.replace(/\{yyyy\}/g, String(now.getUTCFullYear()))
		.replace(/\{MM\}/g, two(now.getUTCMonth() + 1))
		.replace(/\{dd\}/g, two(now.getUTCDate()))
		.replace(/^\/+/, '');
	return folder === '' || folder.endsWith('/') ? folder : `${folder}/`;
}

/**
 * Where a moved file goes: the folder, then the file's path below the folder the trigger watches
 * (its name, for a file from a single-file trigger or from the bucket's root). Refused: no folder,
 * a path with `.` or `..` segments, the file's own key, or a folder the trigger would list again
 * (inside the watched folder when sub-folders count): the moved file would come back as new.
 */
export function moveDestination(
	file: Pick<ImportFile, 'key' | 'origin'>,
	template: string,
	now: Date,
): string {
	const folder = datedFolder(template, now);
	if (folder === '')
		throw new AfterImportError(
			'After Import is Move to Folder, but Move To is empty: set a folder',
		);
	if (folder.split('/').some((part) => part === '.' || part === '..'))
		throw new AfterImportError(`Move To '${template}' has a '.' or '..' folder: name the folder`);
	const watched = file.origin?.folder ?? '';
	const rest =
		watched && file.key.startsWith(watched)
			? file.key.slice(watched.length)
			: file.key.slice(file.key.lastIndexOf('/') + 1);
	if (rest === '' || rest.split('/').some((part) => part === '.' || part === '..'))
		throw new AfterImportError(`Refusing to move ${file.key}: its name would leave ${folder}`);
	const to = `${folder}${rest}`;
	if (to === file.key)
		throw new AfterImportError(
			`Move To '${template}' is the folder ${file.key} is in: choose another folder`,
		);
	if (file.origin?.mode === 'newFiles' && file.origin.subFolders && folder.startsWith(watched))
		throw new AfterImportError(
			`Move To '${template}' is inside the folder the trigger watches with its sub-folders (${watched || 'the whole bucket'}): moved files would be handed on again as new. Choose a folder outside it, or turn off Include Sub-Folders`,
		);
	return to;
}

/**
 * The key a moved file gets when its destination holds another file (a file of the same name moved
 * there earlier): the name with the first 8 characters of the file's ETag before its extension,
 * `users.csv.gz` → `users.9b2cf535.csv.gz`. Nothing is written over.
 */
export function versionedKey(key: string, etag: string): string {
	const slash = key.lastIndexOf('/') + 1;
	const name = key.slice(slash);
	const dot = name.indexOf('.', 1);
	const tag = etag.replace(/[^0-9a-zA-Z]/g, '').slice(0, 8) || 'copy';
	return dot < 0
		? `${key}.${tag}`
		: `${key.slice(0, slash)}${name.slice(0, dot)}.${tag}${name.slice(dot)}`;
}

function checkedTag(tag: ObjectTag | undefined): ObjectTag {
	const key = (tag?.key ?? '').trim();
	const value = tag?.value ?? '';
	if (!key) throw new AfterImportError('After Import is Tag File, but Tag Key is empty: set a key');
	if (key.length > MAX_TAG_KEY || value.length > MAX_TAG_VALUE)
		throw new AfterImportError(
			`S3 tags have keys of at most ${MAX_TAG_KEY} characters and values of at most ${MAX_TAG_VALUE}`,
		);
	if (key.startsWith('aws:'))
		throw new AfterImportError(`Tag Key '${key}': keys starting with aws: are AWS's own`);
	if (!TAG_CHARACTERS.test(key) || !TAG_CHARACTERS.test(value))
		throw new AfterImportError(
			`Tag '${key}=${value}': S3 tags may hold letters, digits, spaces and _ . : / = + - @ only`,
		);
	return { key, value };
}

/**
 * The file's tags with the import's tag added (or its value replaced): PutObjectTagging replaces
 * the whole set, so the file's own tags are kept. `unchanged` when it has the tag already.
 */
export function withTag(existing: ObjectTag[], tag: ObjectTag): ObjectTag[] | 'unchanged' {
	const same = existing.find((t) => t.key === tag.key);
	if (same?.value === tag.value) return 'unchanged';
	if (!same && existing.length >= MAX_TAGS)
		throw new AfterImportError(
			`it has ${existing.length} tags already, the most S3 allows: the tag ${tag.key} was not added`,
		);
	return same
		? existing.map((t) => (t.key === tag.key ? tag : t))
		: [...existing, { key: tag.key, value: tag.value }];
}

/** The tags without the import's tag (taken back from a version that was not imported). */
export function withoutTag(existing: ObjectTag[], tag: ObjectTag): ObjectTag[] | 'unchanged' {
	const kept = existing.filter((t) => !(t.key === tag.key && t.value === tag.value));
	return kept.length === existing.length ? 'unchanged' : kept;
}

/** A node after the trigger, as n8n describes it (getChildNodes with parameters). */
export interface DownstreamNode {
	type: string;
	disabled?: boolean;
	parameters?: unknown;
}

/**
 * Whether imported files leave the folder: a Finish Import node after the trigger moves or deletes
 * them. Then a file still there after its lease has not been imported, and the trigger hands it on
 * again (New Files' leases, lib/trigger/newFiles.ts).
 */
export function importedFilesLeave(downstream: DownstreamNode[]): boolean {
	return downstream.some((node) => {
		if (node.disabled || !node.type.endsWith('.pxStatusWriter')) return false;
		const parameters = (node.parameters ?? {}) as { operation?: unknown; afterImport?: unknown };
		return (
			(parameters.operation ?? 'closeBatches') === 'closeBatches' &&
			(parameters.afterImport === 'move' || parameters.afterImport === 'delete')
		);
	});
}

/** The status callback for one file: the marker folders' body, plus the file. */
export interface FileCallbackBody {
	folder_path: string;
	file_path: string;
	success: boolean;
	message: string;
}

export function fileCallback(
	bucket: string,
	file: { key: string; etag: string },
	keyNow: string,
	success: boolean,
	message: string,
): { body: FileCallbackBody; idempotencyKey: string } {
	const body: FileCallbackBody = {
		folder_path: keyNow.slice(0, Math.max(0, keyNow.lastIndexOf('/'))),
		file_path: keyNow,
		success,
		message,
	};
	// The same for every delivery of the same outcome of the same version: a receiver drops repeats,
	// and a later outcome (imported after a failure) is news.
	const idempotencyKey = createHash('sha256')
		.update(`${bucket}\n${file.key}\n${file.etag}\n${JSON.stringify(body)}`)
		.digest('hex')
		.slice(0, 32);
	return { body, idempotencyKey };
}
