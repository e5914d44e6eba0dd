import {
	NodeConnectionTypes,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IPairedItemData,
} from 'n8n-workflow';

import { fileLabel, IMPORT_KEY } from '../../lib/importMetadata';
import { sendCallback, type CallbackResponse, type PostJson } from '../../lib/px/callback';
import { completeBatch } from '../../lib/px/complete';
import { BatchCollector, decideOutcome, fileOutcomes, quote } from '../../lib/px/outcome';
import { redact } from '../../lib/redact';
import { s3ClientFor, secretsOf, settingsFromCredential } from '../../lib/s3/connection';
import { S3Store } from '../../lib/s3/store';
import { testS3InboundCredential, testStatusCallbackCredential } from '../shared/credentialTest';
import { collectOutcomes } from './collect';

const FAIL_ON_ERROR_BATCH_DESCRIPTION =
	'Whether an execution that closes a batch with ERROR fails (red in the executions list, and n8n’s error workflow runs) after the status file, the move and the callback are done';

export class PxStatusWriter implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'PX Status Writer',
		name: 'pxStatusWriter',
		icon: { light: 'file:pxStatusWriter.svg', dark: 'file:pxStatusWriter.dark.svg' },
		group: ['output'],
		version: [1, 2],
		defaultVersion: 2,
		subtitle: '={{$parameter["sendCallback"] ? "Status file and callback" : "Status file"}}',
		description:
			'Closes marker-folder imports: status.txt, files moved to processed/, status callback',
		defaults: { name: 'PX Status Writer' },
		inputs: [
			{ type: NodeConnectionTypes.Main, displayName: 'Imported Rows' },
			{ type: NodeConnectionTypes.Main, displayName: 'Failed Rows' },
			{ type: NodeConnectionTypes.Main, displayName: 'Rejected' },
		],
		inputNames: ['Imported Rows', 'Failed Rows', 'Rejected'],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 's3InboundAwsApi',
				required: true,
				testedBy: 's3InboundAwsApiTest',
				displayOptions: { show: { operation: ['closeBatches'] } },
			},
			{
				name: 'importStatusCallbackApi',
				required: true,
				testedBy: 'importStatusCallbackApiTest',
				displayOptions: { show: { sendCallback: [true], operation: ['closeBatches'] } },
			},
		],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Close Batch Folders',
						value: 'closeBatches',
						action: 'Close batch folders',
						description:
							'Decide each batch folder’s status, move its files to processed/, write status.txt and send the callback',
					},
					{
						name: 'Report File Outcome',
						value: 'reportFiles',
						action: 'Report file outcome',
						description:
							'At the end of a per-file sub-workflow: one small item per file, for the parent workflow’s Close Batch Folders',
					},
				],
				default: 'closeBatches',
			},
			{
				displayName:
					'Connect the destination’s output to Imported Rows, its error output (On Error: Continue (using error output)) to Failed Rows, and the Field Mapper’s Rejected output to Rejected. Each batch folder gets one status.txt and one callback. With one sub-workflow per file (Execute Sub-workflow), connect its output to Imported Rows.',
				name: 'notice',
				type: 'notice',
				default: '',
				displayOptions: { show: { operation: ['closeBatches'] } },
			},
			{
				displayName:
					'Ends a sub-workflow that imports one file: connect the destination’s output to Imported Rows, its error output to Failed Rows, and the Field Mapper’s Rejected output to Rejected. The sub-workflow then returns one item with the file’s outcome, and the parent workflow’s PX Status Writer closes the batch folder after its last file.',
				name: 'reportNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { operation: ['reportFiles'] } },
			},
			{
				displayName: 'Send Status Callback',
				name: 'sendCallback',
				type: 'boolean',
				default: false,
				displayOptions: { show: { operation: ['closeBatches'] } },
				description:
					'Whether to POST {folder_path, success, message} to the endpoint in the Import Status Callback API credential',
			},
			{
				displayName: 'Fail Execution on ERROR Batch',
				name: 'failOnErrorBatch',
				type: 'boolean',
				default: false,
				description: FAIL_ON_ERROR_BATCH_DESCRIPTION,
				displayOptions: { show: { '@version': [1], operation: ['closeBatches'] } },
			},
			{
				displayName: 'Fail Execution on ERROR Batch',
				name: 'failOnErrorBatch',
				type: 'boolean',
				default: true,
				description: FAIL_ON_ERROR_BATCH_DESCRIPTION,
				displayOptions: {
					show: { '@version': [{ _cnd: { gte: 2 } }], operation: ['closeBatches'] },
				},
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				displayOptions: { show: { operation: ['closeBatches'] } },
				options: [
					{
						displayName: 'Callback Attempts per Run',
						name: 'maxAttempts',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: 10 },
						default: 4,
						description:
							'Network errors, timeouts, 408, 429 and 5xx answers are retried within the run up to this many attempts in all',
					},
					{
						displayName: 'Callback Retry Delay (Ms)',
						name: 'retryDelayMs',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 1000,
						description:
							'The first retry’s delay within a run; it doubles with each retry, up to 30 s',
					},
					{
						displayName: 'Callback Retry Limit (Hours)',
						name: 'callbackRetryHours',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 24,
						description:
							'A callback still not delivered at the end of its run keeps the batch open (its marker stays under current/) and is sent again by later runs, at the trigger’s first check after 5, 10, 20, 40 minutes and then hourly, with the same body and idempotency key. After this long the batch is closed without it and the execution fails, naming the callback. 0 gives up at the end of the first run.',
					},
					{
						displayName: 'Callback Timeout (Seconds)',
						name: 'timeoutSeconds',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 10,
					},
				],
			},
		],
	};

	methods = {
		credentialTest: {
			s3InboundAwsApiTest: testS3InboundCredential,
			importStatusCallbackApiTest: testStatusCallbackCredential,
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0, 'closeBatches') as
			'closeBatches' | 'reportFiles';
		const { collector, firstItemOf } = collectOutcomes.call(this);
		if (collector.untraced > 0) {
			this.logger.warn(
				`PX Status Writer: ${collector.untraced === 1 ? '1 item' : `${collector.untraced} items`} could not be traced to a file of a batch folder.`,
			);
		}
		if (operation === 'reportFiles') return [reportFileOutcomes.call(this, collector, firstItemOf)];

		const options = this.getNodeParameter('options', 0, {}) as IDataObject;
		const callbackOn = this.getNodeParameter('sendCallback', 0, false) as boolean;
		const failOnErrorBatch = this.getNodeParameter(
			'failOnErrorBatch',
			0,
			this.getNode().typeVersion >= 2,
		) as boolean;
		const settings = settingsFromCredential(await this.getCredentials('s3InboundAwsApi'));
		const callbackCredential = callbackOn
			? await this.getCredentials('importStatusCallbackApi')
			: undefined;
		const apiKey = callbackCredential?.apiKey as string | undefined;
		const secrets = [...secretsOf(settings), apiKey];
		// Through n8n's request helpers: the credential's own authentication (x-api-key), n8n's proxy
		// settings and outbound-request rules.
		const post: PostJson = async (request) =>
			(await this.helpers.httpRequestWithAuthentication.call(this, 'importStatusCallbackApi', {
				method: 'POST',
				url: request.url,
				body: request.body,
				json: true,
				headers: request.headers,
				timeout: request.timeoutMs,
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
			})) as CallbackResponse;

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
			const store = new S3Store(s3ClientFor(settings), batch.bucket);
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
						'The batch is done: status.txt says ERROR with the reasons, its files are under processed/, and the callback (if on) said success: false. This execution fails so that you see it and n8n’s error workflow runs; turn off Fail Execution on ERROR Batch to let it succeed with a warning.',
				},
			);
		}
		return [results];
	}
}

/**
 * Report File Outcome: one item per file that reached the writer in this (sub-)execution, carrying
 * the file's outcome in `_import.outcome`, which the parent workflow's Close Batch Folders counts.
 */
function reportFileOutcomes(
	this: IExecuteFunctions,
	collector: BatchCollector,
	firstItemOf: Map<string, IPairedItemData>,
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
