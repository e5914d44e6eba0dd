import type {
	IExecuteFunctions,
	INodeExecutionData,
	IPairedItemData,
	ISourceData,
} from 'n8n-workflow';

import {
	fileIdentity,
	importOfItem,
	isFileOutcome,
	type ImportFile,
	type ImportMetadata,
} from '../../lib/importMetadata';
import { BatchCollector } from '../../lib/px/outcome';

/** The nodes whose items start an import: the trigger, or the trigger of a per-file sub-workflow. */
const START_TYPES = ['.s3CsvInboundTrigger', 'n8n-nodes-base.executeWorkflowTrigger'];
/** The nodes whose items carry rows with their import metadata, nearest first. */
const ROW_SOURCE_TYPES = ['.fieldMapper', '.accountMatcher', ...START_TYPES];

export interface Collected {
	collector: BatchCollector;
	/**
	 * Each folder's output item is paired with the first input item of that folder; each file's
	 * outside marker folders (`pairingKey`) with the first input item of the file.
	 */
	firstItemOf: Map<string, IPairedItemData>;
}

/** What pairs an output item with its first input item: the batch folder, or the file outside marker folders. */
export function pairingKey(file: ImportFile): string {
	return file.batch?.folder ?? `file:${fileIdentity(file)}`;
}

/**
 * Gathers what reached the node: the files the trigger handed on in this execution (so a batch, or
 * a file, none of whose rows arrived is still accounted for), then its three inputs. Items whose destination
 * replaced their JSON are traced back through n8n's paired items to the nearest node that emitted
 * them with their import metadata (an item paired with several, like the Postgres node's one
 * answer to one statement for many rows, counts for each of them). An error item that cannot be
 * traced names no row: it counts against every batch of the execution.
 */
export function collectOutcomes(this: IExecuteFunctions): Collected {
	const inputOrEmpty = (index: number): INodeExecutionData[] => {
		try {
			return this.getInputData(index) ?? [];
		} catch {
			return [];
		}
	};
	const collector = new BatchCollector();
	const firstItemOf = new Map<string, IPairedItemData>();
	const parents = this.getParentNodes(this.getNode().name);
	const proxy = this.getWorkflowDataProxy(0);

	// Every batch the trigger handed on in this execution.
	for (const start of parents.filter((n) => START_TYPES.some((t) => n.type.endsWith(t)))) {
		let items: INodeExecutionData[] = [];
		try {
			items = proxy.$(start.name, true).all(0) as INodeExecutionData[];
		} catch {
			continue; // not executed in this run
		}
		for (const item of items) {
			const meta = importOfItem(item);
			if (meta && meta.row === 0 && !isFileOutcome(meta)) collector.handedOn(meta);
		}
	}

	const rowSources = ROW_SOURCE_TYPES.map((suffix) => parents.find((n) => n.type.endsWith(suffix)))
		.filter((n) => n !== undefined)
		.map((n) => n.name);
	const sourceOf = (input: number): ISourceData | undefined => {
		try {
			return this.getInputSourceData(input);
		} catch {
			return undefined;
		}
	};
	// Looked up once per input, not per row.
	const sources = [sourceOf(0), sourceOf(1)];
	const traced = (item: INodeExecutionData, input: number): ImportMetadata[] => {
		const own = importOfItem(item);
		if (own) return [own];
		const source = sources[input];
		if (!source || item.pairedItem === undefined) return [];
		const pairs: IPairedItemData[] = (
			Array.isArray(item.pairedItem) ? item.pairedItem : [item.pairedItem]
		).map((p) => (typeof p === 'number' ? { item: p } : p));
		const found = new Set<ImportMetadata>();
		for (const paired of pairs) {
			for (const name of rowSources) {
				try {
					const origin = proxy.$getPairedItem(name, source, paired);
					const meta = origin ? importOfItem(origin) : undefined;
					if (meta) {
						found.add(meta);
						break;
					}
				} catch {
					// not a path to this node: try the next
				}
			}
		}
		return [...found];
	};
	const remember = (metas: ImportMetadata[], item: number, input: number) => {
		for (const meta of metas) {
			const key = pairingKey(meta.file);
			if (!firstItemOf.has(key)) firstItemOf.set(key, { item, input });
		}
	};

	for (const [index, item] of inputOrEmpty(0).entries()) {
		const metas = traced(item, 0);
		remember(metas, index, 0);
		if (metas.length === 0) collector.untraced++;
		for (const meta of metas) {
			if (isFileOutcome(meta)) collector.reported(meta);
			else if (meta.row === 0) collector.unaccounted(meta);
			else collector.delivered(meta);
		}
	}
	for (const [index, item] of inputOrEmpty(1).entries()) {
		const metas = traced(item, 1);
		remember(metas, index, 1);
		const error = errorMessageOf(item);
		if (metas.length === 0) collector.unattributedError(error);
		for (const meta of metas) collector.failed(meta, error);
	}
	for (const [index, item] of inputOrEmpty(2).entries()) {
		const meta = importOfItem(item);
		if (!meta) {
			collector.untraced++;
			continue;
		}
		remember([meta], index, 2);
		if (isFileOutcome(meta)) {
			collector.reported(meta);
			continue;
		}
		const reasons = Array.isArray(item.json.reasons)
			? (item.json.reasons as string[])
			: meta.file.error
				? [meta.file.error]
				: [];
		collector.rejected(meta, reasons, item.json.resume === true);
	}
	return { collector, firstItemOf };
}

/**
 * What an error item of a destination says, in one line. n8n's error output puts it in
 * `json.error` (a message, or an error object whose spread may have lost its `message`, as the
 * Postgres node's per-item errors do: then its `description` is what is left), `json.message`, or
 * `item.error`. Never the whole object: it holds the node and the failed query.
 */
export function errorMessageOf(item: INodeExecutionData): string {
	const json = item.json as { error?: unknown; message?: unknown };
	const text = (value: unknown) =>
		typeof value === 'string' && value.trim() ? value.trim() : undefined;
	let message: string | undefined;
	if (typeof json.error === 'string') {
		const outer = text(json.message);
		message = outer && outer !== json.error ? `${outer}: ${json.error}` : json.error;
	} else if (json.error && typeof json.error === 'object') {
		const e = json.error as { message?: unknown; description?: unknown; name?: unknown };
		const what = text(e.message) ?? text(json.message);
		const description = text(e.description);
		const why = description && !description.startsWith('Failed query') ? description : undefined;
		message = what && why ? `${what} (${why})` : (what ?? why ?? text(e.name));
	}
	message ??=
		text(json.message) ?? text(item.error?.message) ?? 'the destination failed on this row';
	const flat = message.replace(/\s+/g, ' ');
	return flat.length > 500 ? `${flat.slice(0, 500)}…` : flat;
}
