import type { IDataObject, IPollFunctions, ITriggerFunctions } from 'n8n-workflow';

import type { CsvEncoding } from '../../lib/csv/reader';
import type { NotifiedObject } from '../../lib/trigger/events';
import { handNewFileEvents, runNewFiles } from '../../lib/trigger/run/newFiles';
import { concernsMarkerFolders, runMarkerFolders } from '../../lib/trigger/run/markerFolders';
import { concernsSingleFile, runSingleFile } from '../../lib/trigger/run/singleFile';
import type { PollContext, PollResult, ReadSettings } from '../../lib/trigger/pollContext';
import { newFilesSettings } from './description';

export type TriggerMode = 'singleFile' | 'markerFolders' | 'newFiles';

/** How the files a trigger hands on are read (its CSV options), and a test run's sample size. */
export function readSettings(options: IDataObject, manual: boolean): ReadSettings {
	return {
		csv: {
			delimiter: (options.delimiter as string) || ',',
			encoding: ((options.encoding as string) || 'utf-8') as CsvEncoding,
			rowLimit: Number(options.maxRowsPerFile ?? 1_000_000),
			allowBareQuotes: options.allowBareQuotes === true,
		},
		sampleRows: manual ? Number(options.sampleRows ?? 10) : undefined,
	};
}

/**
 * What a mode does, read from the node's parameters once: the check that a poll (or the event
 * trigger's fallback listing) runs, and what it does with objects named by event notifications.
 * Shared by the S3 CSV Inbound Trigger and the S3 CSV Inbound Event Trigger.
 */
export interface ModeChecks {
	mode: TriggerMode;
	check(pollContext: PollContext): Promise<PollResult>;
	/** The runs (each a list of items) to start for objects named by events; checks the mode where they concern it. */
	onEvents(pollContext: PollContext, notified: NotifiedObject[]): Promise<PollResult[]>;
}

export function modeChecks(
	context: IPollFunctions | ITriggerFunctions,
	options: IDataObject,
	settings: { reReadEvery: boolean; budgetMs: number },
): ModeChecks {
	const mode = context.getNodeParameter('mode') as TriggerMode;
	if (mode === 'newFiles') {
		const newFiles = newFilesSettings(context, options);
		return {
			mode,
			check: async (pollContext) => await runNewFiles({ ...pollContext, ...newFiles }),
			onEvents: async (pollContext, notified) =>
				(await handNewFileEvents({ ...pollContext, ...newFiles }, notified)).map((items) => ({
					items,
				})),
		};
	}
	if (mode === 'singleFile') {
		const single = {
			bucket: context.getNodeParameter('bucket') as string,
			key: context.getNodeParameter('fileKey') as string,
			importEveryCheck: context.getNodeParameter('importEveryCheck', false) as boolean,
			reReadEveryMs: settings.reReadEvery
				? Number(context.getNodeParameter('reReadMinutes', 0)) * 60_000
				: 0,
			downstream: context.getChildNodes(context.getNode().name, { includeNodeParameters: true }),
			ownParameters: context.getNode().parameters,
		};
		const check = async (pollContext: PollContext) =>
			await runSingleFile({ ...pollContext, ...single });
		return {
			mode,
			check,
			onEvents: async (pollContext, notified) =>
				notified.some((n) => concernsSingleFile(single, n)) ? [await check(pollContext)] : [],
		};
	}
	const marker = {
		bucketPath: context.getNodeParameter('bucketPath') as string,
		baseFolder: context.getNodeParameter('baseFolder', '') as string,
		markerName: (context.getNodeParameter('markerName', '_SUCCESS') as string) || '_SUCCESS',
		patterns: String(context.getNodeParameter('filePattern', '*.csv.gz, *.csv')).split(','),
		leaseMs: Number(options.leaseMinutes ?? 60) * 60_000,
		maxFolders: Number(options.maxFolders ?? 10),
		maxFilesPerRun: Number(options.maxFilesPerRun ?? 5),
		budgetMs: settings.budgetMs,
	};
	const check = async (pollContext: PollContext) =>
		await runMarkerFolders({ ...pollContext, ...marker });
	return {
		mode,
		check,
		onEvents: async (pollContext, notified) =>
			notified.some((n) => concernsMarkerFolders(marker, n)) ? [await check(pollContext)] : [],
	};
}
