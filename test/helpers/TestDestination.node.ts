import {
	NodeConnectionTypes,
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

/**
 * A stand-in for the user's destination (a CRM or database node): records what it received and
 * fails the rows whose `failWhen` field equals `failValue`. Like n8n's own nodes it honours
 * "On Error: Continue (using error output)" and it replaces each item's JSON with its own answer,
 * as an HTTP Request node would.
 */
export const received: INodeExecutionData[][] = [];

export class TestDestination implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Test Destination',
		name: 'destination',
		group: ['output'],
		version: 1,
		description: 'Records rows for tests',
		defaults: { name: 'Destination' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [
			{ displayName: 'Fail When Field', name: 'failWhen', type: 'string', default: '' },
			{ displayName: 'Fail Value', name: 'failValue', type: 'string', default: '' },
			{ displayName: 'Replace JSON', name: 'replaceJson', type: 'boolean', default: true },
			{
				// n8n's Postgres node with Query Batching "Single Query" answers one statement for all items:
				// on failure one error item with no paired item ({message, error}), which this mimics.
				displayName: 'Fail the Whole Call With',
				name: 'failWholeCall',
				type: 'string',
				default: '',
			},
			{ displayName: 'Drop When Field', name: 'dropWhen', type: 'string', default: '' },
			{ displayName: 'Drop Value', name: 'dropValue', type: 'string', default: '' },
			{ displayName: 'Answer With Unpaired Items', name: 'unpaired', type: 'number', default: 0 },
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		received.push(items);
		const failWhen = this.getNodeParameter('failWhen', 0) as string;
		const failValue = this.getNodeParameter('failValue', 0) as string;
		const replaceJson = this.getNodeParameter('replaceJson', 0) as boolean;
		const failWholeCall = this.getNodeParameter('failWholeCall', 0, '') as string;
		const dropWhen = this.getNodeParameter('dropWhen', 0, '') as string;
		const dropValue = this.getNodeParameter('dropValue', 0, '') as string;
		const unpaired = this.getNodeParameter('unpaired', 0, 0) as number;
		if (failWholeCall) {
			if (!this.continueOnFail()) throw new NodeOperationError(this.getNode(), failWholeCall);
			return [[{ json: { message: failWholeCall, error: { message: failWholeCall } } }]];
		}
		if (unpaired > 0) return [Array.from({ length: unpaired }, () => ({ json: { ok: true } }))];
		const out: INodeExecutionData[] = [];
		// Batches of rows (the Field Mapper's batch output): a batch fails when any of its rows does.
		const rowsOf = (item: INodeExecutionData) =>
			Array.isArray(item.json.rows)
				? (item.json.rows as Array<Record<string, unknown>>)
				: [(item.json.fields ?? item.json) as Record<string, unknown>];
		for (let i = 0; i < items.length; i++) {
			if (dropWhen && rowsOf(items[i]).some((r) => String(r[dropWhen]) === dropValue)) continue;
			if (failWhen && rowsOf(items[i]).some((r) => String(r[failWhen]) === failValue)) {
				const error = new NodeOperationError(this.getNode(), `Destination refused row ${i}`, {
					itemIndex: i,
				});
				if (this.continueOnFail()) {
					out.push({ json: { error: error.message }, pairedItem: { item: i } });
					continue;
				}
				throw error;
			}
			out.push({
				json: replaceJson ? { ok: true, id: `dest-${i}` } : items[i].json,
				pairedItem: { item: i },
			});
		}
		return [out];
	}
}
