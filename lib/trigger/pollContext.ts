/**
 * What every check is given (the poll context) and gives back (the poll result), whichever the
 * mode, and the state the trigger keeps between polls.
 */

import type { FileReadSettings } from '../importMetadata';
import type { S3Store } from '../s3/store';
import type { MarkerState } from './markerFolders';
import type { NewFilesState } from './newFiles';
import type { OverwriteState } from './overwrite';

/** Everything the trigger keeps in the node's static data. Its size does not grow with the bucket. */
export interface TriggerState {
	lastCheck?: number;
	/** After a failed check: how many in a row, since when, and when to try again (sooner than the interval). */
	failures?: number;
	failingSince?: number;
	retryAt?: number;
	/** The lasting fault has been reported (one failed execution); later failed checks stay quiet. */
	faultReported?: boolean;
	file?: OverwriteState;
	marker?: MarkerState;
	newFiles?: NewFilesState;
}

export interface ReadSettings {
	/** How the files are read, handed on with each file to the node that reads it. */
	csv: FileReadSettings;
	/** Set for a test run: show this many rows of the first file. */
	sampleRows?: number;
}

export interface PollResult {
	items: Array<Record<string, unknown>>;
	/** For a test run that finds nothing: what to tell the user. */
	nothingToImport?: string;
	hint?: string;
	/** The check was not due: nothing was looked at (so nothing succeeded or failed). */
	notDue?: boolean;
	/** Files (or folders) were left for a later run: the event trigger lists again soon. */
	backlog?: boolean;
}

/** Poll schedules fire a little early or late; a check this close to its time counts as due. */
export const SCHEDULE_SLACK_MS = 30_000;

/**
 * What every check is given, whichever the mode: by a poll of the S3 CSV Inbound Trigger, or by the
 * event trigger's listing and events. Each mode's options add its own parameters to it.
 */
export interface PollContext {
	storeFor: (bucket: string) => S3Store;
	/** Version 1's own import schedule ("Check Every"); ignored when `everyPoll` is set. */
	intervalMs: number;
	/** Version 2: n8n's Poll Times are the one schedule; every poll checks, a failed one is retried at the next. */
	everyPoll?: boolean;
	manual: boolean;
	state: TriggerState;
	now: number;
	read: ReadSettings;
	/** The first poll since the workflow was activated: check now, whatever the schedule. */
	activated?: boolean;
	/** A fault is reported (thrown: one failed execution) at this many failed checks in a row. */
	reportFaultAfter?: number;
	warn: (message: string) => void;
}
