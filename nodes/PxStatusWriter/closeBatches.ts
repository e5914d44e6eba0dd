import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import { sendCallback } from '../../lib/px/callback';
import { completeBatch } from '../../lib/px/complete';
import { decideOutcome } from '../../lib/px/outcome';
import { redact } from '../../lib/redact';
import { s3Access } from '../shared/s3';
import { callbackPoster } from './post';
import type { Collected } from './collect';

/**
 * Marker folders (Finish Files and Batch Folders): per batch folder, decide SUCCESS or ERROR,
 * journal it, move the files to processed/, write status.txt, send the callback, move the marker
 * last (lib/px/complete.ts).
 * A batch it cannot decide is left open and the execution fails naming it.
 */
export async function closeBatches(
	this: IExecuteFunctions,
	{ collector, firstItemOf }: Collected,
): Promise<INodeExecutionData[]> {
	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	const callbackOn = this.getNodeParameter('sendCallback', 0, false) as boolean;
	const failOnErrorBatch = this.getNodeParameter(
		'failOnErrorBatch',
		0,
		this.getNode().typeVersion >= 2,
	) as boolean;
	const s3 = s3Access(await this.getCredentials('s3InboundAwsApi'));
	const callbackCredential = callbackOn
		? await this.getCredentials('importStatusCallbackApi')
		: undefined;
	const apiKey = callbackCredential?.apiKey as string | undefined;
	const secrets = [...s3.secrets, apiKey];
	const post = callbackPoster(this);

	const results: INodeExecutionData[] = [];
	const failures: string[] = [];
	/** Callbacks given up after their retry limit: the batches are closed without them. */
	const undelivered: string[] = [];
	/** Batches this run decided and closed with ERROR. */
	const errorBatches: string[] = [];
	/** Batches whose outcome this run cannot tell: left open, and the execution fails naming them. */
	const undecided: string[] = [];
	for (const tally of collector.all()) {
		const batch = tally.batch;
		const store = s3.storeFor(batch.bucket);
		const why = tally.resume ? undefined : collector.undecidable(tally);
		if (why) {
			undecided.push(redact(`${batch.folder}: ${why}`, secrets));
			results.push({
				pairedItem: firstItemOf.get(batch.folder),
				json: {
					folder: batch.folder,
					processedFolder: batch.processedFolder,
					decided: false,
					error: why,
				},
			});
			continue;
		}
		const outcome = tally.resume ? undefined : decideOutcome(tally, collector.unattributedErrors);
		try {
			const done = await completeBatch(
				store,
				batch,
				outcome,
				callbackOn
					? async (journal) =>
							await sendCallback(
								{
									url: String(callbackCredential?.url ?? ''),
									body: journal.callback,
									idempotencyKey: journal.idempotencyKey,
									timeoutMs: Number(options.timeoutSeconds ?? 10) * 1000,
									maxAttempts: Number(options.maxAttempts ?? 4),
									retryDelayMs: Number(options.retryDelayMs ?? 1000),
								},
								post,
							)
					: undefined,
				{ callbackRetryLimitMs: Number(options.callbackRetryHours ?? 24) * 3_600_000 },
			);
			if ('skipped' in done) {
				this.logger.warn(`PX Status Writer: ${batch.folder}: ${done.skipped}`);
				results.push({
					pairedItem: firstItemOf.get(batch.folder),
					json: {
						folder: batch.folder,
						processedFolder: batch.processedFolder,
						skipped: true,
						reason: done.skipped,
						attempt: batch.attempt,
					},
				});
				continue;
			}
			if (!done.resumed && !done.journal.success) {
				const reason = done.journal.callback.message.replace(/\s+/g, ' ').trim();
				errorBatches.push(
					`${batch.processedFolder.replace(/\/$/, '')}: ${reason.length > 300 ? `${reason.slice(0, 300)}…` : reason}`,
				);
			}
			if (done.leftInCurrent.length > 0) {
				this.logger.warn(
					`PX Status Writer: ${batch.folder}: left in current/ (arrived or changed after the batch was closed, not imported): ${done.leftInCurrent.join(', ')}`,
				);
			}
			if (done.callbackPending) {
				const p = done.callbackPending;
				this.logger.warn(
					redact(
						`PX Status Writer: the status callback for ${batch.processedFolder} failed (${p.attempts} attempts in ${p.runs} runs since ${p.since}): ${p.lastError}. The batch stays open (its marker under current/); a later run sends it again at ${p.retryAt}, until ${p.giveUpAt}.`,
						secrets,
					),
				);
			}
			if (done.callbackGaveUp) {
				const p = done.callbackGaveUp;
				undelivered.push(
					redact(
						`${batch.processedFolder}: the status callback was not delivered (${p.attempts} attempts in ${p.runs} runs since ${p.since}; last: ${p.lastError}). The batch is closed with status ${done.journal.success ? 'SUCCESS' : 'ERROR'} in status.txt; tell the customer another way, or check the Import Status Callback API credential`,
						secrets,
					),
				);
			}
			results.push({
				pairedItem: firstItemOf.get(batch.folder),
				json: {
					folder: batch.folder,
					processedFolder: batch.processedFolder,
					success: done.journal.success,
					status: done.journal.success ? 'SUCCESS' : 'ERROR',
					message: done.journal.callback.message,
					resumed: done.resumed,
					attempt: batch.attempt,
					...(done.leftInCurrent.length > 0 ? { leftInCurrent: done.leftInCurrent } : {}),
					counts: outcome
						? {
								uploaded: outcome.uploaded,
								failed: outcome.failed,
								rejectedFiles: outcome.rejectedFiles,
								missing: outcome.missing,
								files: batch.dataFiles.length,
							}
						: {},
					callback: done.callback
						? {
								...done.callback,
								error: done.callback.error ? redact(done.callback.error, secrets) : undefined,
								...(done.callbackPending
									? {
											pending: {
												retryAt: done.callbackPending.retryAt,
												giveUpAt: done.callbackPending.giveUpAt,
											},
										}
									: {}),
								...(done.callbackGaveUp ? { gaveUp: true } : {}),
							}
						: { sent: false },
				},
			});
		} catch (error) {
			const e = error as Error & { hint?: string };
			const message = redact(
				`${batch.folder}: ${e.message}${e.hint ? `. ${e.hint}` : ''}`,
				secrets,
			);
			failures.push(message);
			results.push({
				pairedItem: firstItemOf.get(batch.folder),
				json: {
					folder: batch.folder,
					processedFolder: batch.processedFolder,
					success: false,
					error: message,
				},
			});
		}
	}
	if (errorBatches.length > 0) {
		const message = `${errorBatches.length === 1 ? '1 batch folder' : `${errorBatches.length} batch folders`} closed with ERROR: ${errorBatches.join('; ')}`;
		this.addExecutionHints?.({
			message: redact(message, secrets),
			type: 'warning',
			location: 'outputPane',
		});
	}
	if (undecided.length > 0 && !this.continueOnFail()) {
		throw new NodeOperationError(
			this.getNode(),
			`Could not decide the outcome of ${undecided.length === 1 ? '1 batch folder' : `${undecided.length} batch folders`}: ${undecided.join('; ')}`,
			{
				description:
					'Nothing was moved and no status was written for these folders: they stay under current/ and are handed on again after their lease.',
			},
		);
	}
	if (failures.length > 0 && !this.continueOnFail()) {
		throw new NodeOperationError(
			this.getNode(),
			`Could not complete ${failures.length === 1 ? '1 batch folder' : `${failures.length} batch folders`}: ${failures.join('; ')}`,
			{
				description:
					'Nothing was lost: the folder stays under current/ and the next run completes it with the same status.',
			},
		);
	}
	if (undelivered.length > 0 && !this.continueOnFail()) {
		throw new NodeOperationError(
			this.getNode(),
			`Gave up on the status callback of ${undelivered.length === 1 ? '1 batch folder' : `${undelivered.length} batch folders`}: ${undelivered.join('; ')}`,
			{
				description:
					'The callback was retried by later runs until the Callback Retry Limit; the rows were imported and status.txt is written.',
			},
		);
	}
	if (errorBatches.length > 0 && failOnErrorBatch && !this.continueOnFail()) {
		throw new NodeOperationError(
			this.getNode(),
			redact(
				`${errorBatches.length === 1 ? '1 batch folder' : `${errorBatches.length} batch folders`} closed with ERROR: ${errorBatches.join('; ')}`,
				secrets,
			),
			{
				description:
					'The batch is done: status.txt says ERROR with the reasons, its files are under processed/, and the callback (if on) said success: false. This execution fails so that you see it and n8n’s error workflow runs; turn off Fail Execution on Failed Import to let it succeed with a warning.',
			},
		);
	}
	return results;
}
