import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import { finishFile, type FinishedFile } from '../../lib/afterImport/finish';
import {
	planAfterImport,
	type AfterImportAction,
	type AfterImportSettings,
	type PlannedAction,
} from '../../lib/afterImport/plan';
import { fileLabel } from '../../lib/importMetadata';
import { sendCallback } from '../../lib/px/callback';
import { decideFile } from '../../lib/px/outcome';
import { redact } from '../../lib/redact';
import { s3Access } from '../shared/s3';
import { callbackPoster } from './post';
import { pairingKey, type Collected } from './collect';

const DONE_WORDS: Record<FinishedFile['as'], string> = {
	moved: 'moved',
	deleted: 'deleted',
	tagged: 'tagged',
	kept: 'kept where it is',
	leftInPlace: 'left where it is',
	changed: 'left alone: another version was written over it since it was handed on',
	gone: 'no longer there',
};

/**
 * Files outside marker folders (New Files, Single File): per file, imported whole (every row
 * delivered, nothing rejected) → the action after import (keep, move, delete, tag); otherwise the
 * file stays where it is and the node says so: one output item per file, a warning hint, and (Fail
 * Execution on Failed Import) a failed execution. Optionally a status file next to the file and the
 * status callback. The decisions are lib/px/outcome.ts's and lib/afterImport/plan.ts's; the S3
 * steps lib/afterImport/finish.ts's.
 */
export async function finishFiles(
	this: IExecuteFunctions,
	{ collector, firstItemOf }: Collected,
): Promise<INodeExecutionData[]> {
	const files = collector.files();
	if (files.length === 0) return [];
	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	const callbackOn = this.getNodeParameter('sendCallback', 0, false) as boolean;
	const failOnError = this.getNodeParameter(
		'failOnErrorBatch',
		0,
		this.getNode().typeVersion >= 2,
	) as boolean;
	const action = this.getNodeParameter('afterImport', 0, 'keep') as AfterImportAction;
	const settings: AfterImportSettings = {
		action,
		...(action === 'move' ? { moveTo: this.getNodeParameter('moveTo', 0, '') as string } : {}),
		...(action === 'tag'
			? {
					tag: {
						key: this.getNodeParameter('tagKey', 0, '') as string,
						value: String(this.getNodeParameter('tagValue', 0, '')),
					},
				}
			: {}),
	};
	const statusFile = this.getNodeParameter('statusFile', 0, false) as boolean;
	const s3 = s3Access(await this.getCredentials('s3InboundAwsApi'));
	const callbackCredential = callbackOn
		? await this.getCredentials('importStatusCallbackApi')
		: undefined;
	const secrets = [...s3.secrets, callbackCredential?.apiKey as string | undefined];
	const post = callbackPoster(this);

	const now = new Date();
	const results: INodeExecutionData[] = [];
	/** Files not imported whole: left where they are. */
	const notImported: string[] = [];
	/** Files whose outcome this run cannot tell, or whose action failed. */
	const failures: string[] = [];
	const undelivered: string[] = [];
	for (const tally of files) {
		const file = tally.file;
		const label = fileLabel(file);
		const pairedItem = firstItemOf.get(pairingKey(file));
		const base = { file: label, bucket: file.bucket, key: file.key, etag: file.etag };
		const comesAgain = file.origin?.leaseUntil
			? `the trigger hands it on again at its first poll after ${file.origin.leaseUntil}`
			: 'it is not handed on again until it changes';
		const why = collector.undecidableFile(tally);
		if (why) {
			failures.push(redact(`${label}: ${why}; it stays where it is (${comesAgain})`, secrets));
			results.push({
				pairedItem,
				json: { ...base, decided: false, action: 'leftInPlace', error: why },
			});
			continue;
		}
		const decision = decideFile(tally, collector.unattributedErrors);
		try {
			const planned: PlannedAction = decision.done
				? planAfterImport(file, settings, now)
				: { action: 'keep' };
			const done = await finishFile(s3.storeFor(file.bucket), file, decision, planned, {
				statusFile,
				sendCallback: callbackOn
					? async ({ body, idempotencyKey }) =>
							await sendCallback(
								{
									url: String(callbackCredential?.url ?? ''),
									body,
									idempotencyKey,
									timeoutMs: Number(options.timeoutSeconds ?? 10) * 1000,
									maxAttempts: Number(options.maxAttempts ?? 4),
									retryDelayMs: Number(options.retryDelayMs ?? 1000),
								},
								post,
							)
					: undefined,
			});
			if (!decision.done) {
				const reason = decision.message.replace(/\s+/g, ' ').trim();
				notImported.push(
					`${label}: ${reason.length > 300 ? `${reason.slice(0, 300)}…` : reason} (${comesAgain})`,
				);
			}
			if (done.as === 'changed' || done.as === 'gone')
				this.logger.warn(
					`${this.getNode().name}: ${label} was ${DONE_WORDS[done.as]}; nothing was done to it.`,
				);
			if (done.callback && !done.callback.delivered)
				undelivered.push(
					redact(
						`${label}: ${done.callback.error ?? 'not delivered'} (${done.callback.attempts} attempts)`,
						secrets,
					),
				);
			results.push({
				pairedItem,
				json: {
					...base,
					success: decision.done,
					status: decision.done ? 'SUCCESS' : 'ERROR',
					message: decision.message,
					action: done.as,
					...(done.as === 'moved' ? { movedTo: done.key } : {}),
					...(done.as === 'leftInPlace' && file.origin?.leaseUntil
						? { handedOnAgainAfter: file.origin.leaseUntil }
						: {}),
					...(done.statusFile ? { statusFile: done.statusFile } : {}),
					counts: {
						rows: decision.outcome.rows,
						uploaded: decision.outcome.delivered,
						failed: decision.outcome.failed,
						rejectedRows: decision.outcome.rejectedRows,
					},
					callback: done.callback
						? {
								...done.callback,
								error: done.callback.error ? redact(done.callback.error, secrets) : undefined,
							}
						: { sent: false },
				},
			});
		} catch (error) {
			const e = error as Error & { hint?: string };
			const message = redact(
				`${label}: ${e.message}${e.hint ? `. ${e.hint}` : ''}; the file is where it was (${comesAgain})`,
				secrets,
			);
			failures.push(message);
			results.push({
				pairedItem,
				json: { ...base, success: decision.done, action: 'failed', error: message },
			});
		}
	}
	const count = (n: number) => (n === 1 ? '1 file' : `${n} files`);
	if (notImported.length > 0) {
		this.addExecutionHints?.({
			message: redact(
				`${count(notImported.length)} not imported, left where ${notImported.length === 1 ? 'it is' : 'they are'}: ${notImported.join('; ')}`,
				secrets,
			),
			type: 'warning',
			location: 'outputPane',
		});
	}
	if (this.continueOnFail()) return results;
	if (failures.length > 0)
		throw new NodeOperationError(
			this.getNode(),
			`Could not finish ${count(failures.length)}: ${failures.join('; ')}`,
			{ description: 'Nothing was lost: each file is where it was, or where it was moved to.' },
		);
	if (undelivered.length > 0)
		throw new NodeOperationError(
			this.getNode(),
			`The status callback of ${count(undelivered.length)} was not delivered: ${undelivered.join('; ')}`,
			{
				description:
					'The files were finished (and their status files written); tell the customer another way, or check the Import Status Callback API credential.',
			},
		);
	if (notImported.length > 0 && failOnError)
		throw new NodeOperationError(
			this.getNode(),
			redact(
				`${count(notImported.length)} not imported, left where ${notImported.length === 1 ? 'it is' : 'they are'}: ${notImported.join('; ')}`,
				secrets,
			),
			{
				description:
					'Each file not imported whole stays where it is (no move, delete or tag), with its status file and callback if on. This execution fails so that you see it and n8n’s error workflow runs; turn off Fail Execution on Failed Import to let it succeed with a warning.',
			},
		);
	return results;
}
