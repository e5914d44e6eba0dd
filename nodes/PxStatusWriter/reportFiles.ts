import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import { fileLabel, IMPORT_KEY } from '../../lib/importMetadata';
import { decideFile, fileOutcomes, quote } from '../../lib/px/outcome';
import { pairingKey, type Collected } from './collect';

/**
 * Report File Outcome: one item per file that reached the writer in this (sub-)execution, carrying
 * the file's outcome in `_import.outcome`, which the parent workflow's Finish Import counts.
 */
export function reportFileOutcomes(
	this: IExecuteFunctions,
	{ collector, firstItemOf }: Collected,
): INodeExecutionData[] {
	const items: INodeExecutionData[] = [];
	const undecided: string[] = [];
	for (const tally of collector.all()) {
		const why = tally.resume ? undefined : collector.undecidable(tally);
		if (why) {
			undecided.push(`${tally.batch.folder}: ${why}`);
			continue;
		}
		for (const { key, outcome } of fileOutcomes(tally, { seenOnly: true })) {
			const file = tally.files.get(key)!.file;
			for (const message of new Set(collector.unattributedErrors)) {
				outcome.destinationErrors.push(
					`the destination failed without naming a row: ${quote(message)}`,
				);
			}
			const success =
				outcome.reasons.length === 0 &&
				outcome.destinationErrors.length === 0 &&
				outcome.missing.length === 0;
			items.push({
				pairedItem: firstItemOf.get(tally.batch.folder),
				json: {
					file: fileLabel(file),
					batchFolder: tally.batch.folder,
					success,
					rows: outcome.rows,
					delivered: outcome.delivered,
					failed: outcome.failed,
					rejectedRows: outcome.rejectedRows,
					problems: [...outcome.reasons, ...outcome.destinationErrors, ...outcome.missing].slice(
						0,
						20,
					),
					[IMPORT_KEY]: { file, row: 0, outcome },
				},
			});
		}
	}
	// Files outside marker folders (New Files, Single File): the parent's Finish Import decides them.
	for (const tally of collector.files()) {
		const why = collector.undecidableFile(tally);
		if (why) {
			undecided.push(`${fileLabel(tally.file)}: ${why}`);
			continue;
		}
		const { done, outcome } = decideFile(tally, collector.unattributedErrors);
		items.push({
			pairedItem: firstItemOf.get(pairingKey(tally.file)),
			json: {
				file: fileLabel(tally.file),
				success: done,
				rows: outcome.rows,
				delivered: outcome.delivered,
				failed: outcome.failed,
				rejectedRows: outcome.rejectedRows,
				problems: [...outcome.reasons, ...outcome.destinationErrors, ...outcome.missing].slice(
					0,
					20,
				),
				[IMPORT_KEY]: { file: tally.file, row: 0, outcome },
			},
		});
	}
	if (undecided.length > 0 && !this.continueOnFail()) {
		throw new NodeOperationError(
			this.getNode(),
			`Could not tell the outcome of ${undecided.join('; ')}`,
			{
				description:
					'The parent workflow’s execution fails with this error, and the batch folder is handed on again after its lease.',
			},
		);
	}
	return items;
}
