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
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		received.push(items);
		const failWhen = this.getNodeParameter('failWhen', 0) as string;
		const failValue = this.getNodeParameter('failValue', 0) as string;
		const replaceJson = this.getNodeParameter('replaceJson', 0) as boolean;
		const out: INodeExecutionData[] = [];
		for (let i = 0; i < items.length; i++) {
			const fields = (items[i].json.fields ?? items[i].json) as Record<string, unknown>;
			if (failWhen && String(fields[failWhen]) === failValue) {
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
