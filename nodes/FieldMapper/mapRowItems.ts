import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
} from 'n8n-workflow';

import { IMPORT_KEY, importOf, isFileToRead } from '../../lib/importMetadata';
import type { FieldMapping } from '../../lib/mapping/fields';
import { mapLenient, mapStrict } from '../../lib/mapping/mapRows';
import { handOnRows, withoutImport, type RowOutput } from '../shared/rowOutput';

/** Input "Rows": rows that came as items from any node, mapped and checked as the mode says. */
export function mapRowItems(
	this: IExecuteFunctions,
	items: INodeExecutionData[],
	{
		mode,
		mapping,
		keepUnmapped,
		output,
	}: {
		mode: 'strict' | 'lenient';
		mapping: FieldMapping;
		keepUnmapped: boolean;
		output: RowOutput;
	},
): INodeExecutionData[][] {
	// Rows of a version 3 Field Mapper keep their import metadata beside their JSON.
	const json = items.map((i) =>
		i[IMPORT_KEY] !== undefined && i.json[IMPORT_KEY] === undefined
			? { ...i.json, [IMPORT_KEY]: i[IMPORT_KEY] }
			: i.json,
	);
	const fileAt = json.findIndex((j) => {
		const meta = importOf(j);
		return meta !== undefined && isFileToRead(meta);
	});
	if (fileAt !== -1) {
		throw new NodeOperationError(
			this.getNode(),
			`Item ${fileAt + 1} is a file from the S3 CSV Inbound Trigger, not a row`,
			{
				itemIndex: fileAt,
				description:
					'Set Input to “Files From the S3 CSV Inbound Trigger” and select the S3 Inbound AWS credential: this node then reads the file.',
			},
		);
	}
	const result =
		mode === 'strict' ? mapStrict(json, mapping) : mapLenient(json, mapping, keepUnmapped);
	const toItems = (rows: typeof result.valid): INodeExecutionData[] =>
		rows.map((r) => ({ json: r.json as IDataObject, pairedItem: { item: r.source } }));
	const valid =
		output.form === 'rows' && output.metadata === 'json'
			? toItems(result.valid)
			: handOnRows(
					result.valid.map((r) => ({
						json: withoutImport(r.json),
						meta: importOf(r.json),
						paired: { item: r.source },
					})),
					output,
				);
	return [valid, toItems(result.rejected)];
}
