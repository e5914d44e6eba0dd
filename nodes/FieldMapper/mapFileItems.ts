import {
	BINARY_ENCODING,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type IPairedItemData,
} from 'n8n-workflow';

import type { CsvEncoding } from '../../lib/csv/reader';
import {
	fileLabel,
	importOf,
	isFileToRead,
	type FileReadSettings,
	type ImportFile,
} from '../../lib/importMetadata';
import { ReasonList, type FieldMapping } from '../../lib/mapping/fields';
import { mapCsvFile, type MappedFile } from '../../lib/mapping/mapFile';
import { problemJson, rejectedFileJson } from '../../lib/mapping/mapRows';
import { redact } from '../../lib/redact';
import type { S3Store } from '../../lib/s3/store';
import { s3Access } from '../shared/s3';
import { rowItems, type RowOutput } from '../shared/rowOutput';

export interface FileCounts {
	files: number;
	mappedRows: number;
	rejectedRows: number;
	rejectedFiles: number;
}

/**
 * Inputs "Files From the S3 CSV Inbound Trigger" and "CSV Files in Binary Data": each file is read
 * as a stream (S3: the exact version listed; binary: from n8n's binary store) and mapped as it is
 * parsed; only its mapped rows are kept, handed on in the output's form.
 */
export async function mapFileItems(
	this: IExecuteFunctions,
	items: INodeExecutionData[],
	{
		input,
		mode,
		mapping,
		keepUnmapped,
		output,
		options,
	}: {
		input: 's3Files' | 'binary';
		mode: 'strict' | 'lenient';
		mapping: FieldMapping;
		keepUnmapped: boolean;
		output: RowOutput;
		options: IDataObject;
	},
): Promise<{ valid: INodeExecutionData[]; rejected: INodeExecutionData[]; counts: FileCounts }> {
	// Files: each is read as a stream and only its mapped rows are kept.
	const valid: INodeExecutionData[] = [];
	const rejected: INodeExecutionData[] = [];
	let secrets: Array<string | undefined> = [];
	let storeFor: ((bucket: string) => S3Store) | undefined;
	if (input === 's3Files') {
		const s3 = s3Access(await this.getCredentials('s3InboundAwsApi'));
		secrets = s3.secrets;
		storeFor = s3.storeFor;
	}
	const binaryCsv: FileReadSettings = {
		delimiter: (options.delimiter as string) || ',',
		encoding: ((options.encoding as string) || 'utf-8') as CsvEncoding,
		rowLimit: Number(options.maxRowsPerFile ?? 1_000_000),
		allowBareQuotes: options.allowBareQuotes === true,
	};
	const binaryProperty =
		input === 'binary' ? (this.getNodeParameter('binaryPropertyName', 0, 'data') as string) : '';
	let files = 0;
	let mappedRows = 0;
	let rejectedFiles = 0;
	let rejectedRows = 0;
	for (let i = 0; i < items.length; i++) {
		// One object per file, shared by its rows: it costs memory once.
		const pairedItem: IPairedItemData = { item: i };
		let result: MappedFile;
		try {
			if (input === 's3Files') {
				const meta = importOf(items[i].json);
				if (!meta || meta.row !== 0) {
					throw new NodeOperationError(
						this.getNode(),
						`Item ${i + 1} is ${meta ? 'a row' : 'not a file from the S3 CSV Inbound Trigger'}`,
						{
							itemIndex: i,
							description:
								'Connect the S3 CSV Inbound Trigger to this node, or set Input to Rows (or to CSV Files in Binary Data).',
						},
					);
				}
				if (!isFileToRead(meta)) {
					// A file or batch the trigger could not hand on, or a batch to complete: passed on as it is.
					rejected.push({ json: problemJson(meta) as IDataObject, pairedItem });
					continue;
				}
				const { file } = meta;
				const store = storeFor!(file.bucket);
				result = await mapCsvFile(
					async () => (await store.open(file.key, { ifMatch: file.etag })).body,
					file,
					{
						mapping,
						keepUnmapped,
						csv: file.csv ? withRowLimit(file.csv) : binaryCsv,
					},
				);
			} else {
				const binary = items[i].binary?.[binaryProperty];
				if (!binary) {
					throw new NodeOperationError(
						this.getNode(),
						`Item ${i + 1} has no binary field '${binaryProperty}'`,
						{
							itemIndex: i,
							description:
								'Set Input Binary Field to the field that holds the CSV file (see the input panel’s Binary tab).',
						},
					);
				}
				const file: ImportFile = {
					bucket: '',
					key: binary.fileName ?? `item ${i + 1}`,
					etag: '',
					size: Number(binary.bytes ?? 0),
				};
				result = await mapCsvFile(
					async () => {
						const inMemory = async function* () {
							yield Buffer.from(binary.data, BINARY_ENCODING);
						};
						return binary.id ? await this.helpers.getBinaryStream(binary.id) : inMemory();
					},
					file,
					{ mapping, keepUnmapped, csv: binaryCsv },
				);
			}
		} catch (error) {
			const e = error as Error & { hint?: string; description?: string };
			const message = redact(e.message, secrets);
			const description = redact(
				e.description ?? e.hint ?? 'The file could not be read; the next run reads it again.',
				secrets,
			);
			if (!this.continueOnFail())
				throw new NodeOperationError(this.getNode(), message, { itemIndex: i, description });
			// Continue On Fail: the file goes to Rejected, saying why, as a file that cannot be
			// parsed does; none of its rows was imported.
			const meta = input === 's3Files' ? importOf(items[i].json) : undefined;
			const file = meta?.row === 0 ? meta.file : undefined;
			const reasons = new ReasonList(1);
			reasons.add(`${message}. ${description}`);
			rejected.push({
				json: rejectedFileJson(
					file ? { ...file, error: `${message}. ${description}` } : undefined,
					reasons,
					0,
				) as IDataObject,
				pairedItem,
			});
			rejectedFiles++;
			continue;
		}
		files++;
		if (result.unreadable !== undefined && mode === 'lenient') {
			const message = redact(`${fileLabel(result.file)}: ${result.unreadable}`, secrets);
			if (!this.continueOnFail()) {
				throw new NodeOperationError(this.getNode(), message, {
					itemIndex: i,
					description:
						'No row of this file was imported. Fix the file and upload it again: the new version is imported at the next check.',
				});
			}
			const reasons = new ReasonList(1);
			reasons.add(message);
			rejected.push({
				json: rejectedFileJson(result.file, reasons, 0) as IDataObject,
				pairedItem,
			});
			rejectedFiles++;
			continue;
		}
		if (mode === 'strict' && result.valid.length === 0) rejectedFiles++;
		else rejectedRows += result.rejected.length;
		mappedRows += result.valid.length;
		const validRows = result.validRows;
		const rowOf = validRows ? (index: number) => validRows[index] : (index: number) => index + 1;
		for (const item of rowItems(result.valid, rowOf, result.file, pairedItem, output))
			valid.push(item);
		for (const json of result.rejected) rejected.push({ json: json as IDataObject, pairedItem });
	}
	return { valid, rejected, counts: { files, mappedRows, rejectedRows, rejectedFiles } };
}

/**
 * A file item's read settings. Items made by an earlier version of the package (an execution
 * queued or retried across an upgrade) name the row limit `maxRows`.
 */
function withRowLimit(csv: FileReadSettings): FileReadSettings {
	if (csv.rowLimit !== undefined) return csv;
	const earlier = (csv as { maxRows?: number }).maxRows;
	return { ...csv, rowLimit: earlier ?? 1_000_000 };
}
