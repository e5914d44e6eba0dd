import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

/** Stands for a CRM, database or HTTP node that returns the account directory. */
export class TestDirectory implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Test Directory',
		name: 'directory',
		group: ['input'],
		version: 1,
		description: 'Outputs directory records for tests',
		defaults: { name: 'Directory' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [{ displayName: 'Records', name: 'records', type: 'json', default: '[]' }],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const raw = this.getNodeParameter('records', 0) as string | object[];
		const records = (typeof raw === 'string' ? JSON.parse(raw) : raw) as object[];
		return [records.map((json) => ({ json: json as INodeExecutionData['json'] }))];
	}
}
