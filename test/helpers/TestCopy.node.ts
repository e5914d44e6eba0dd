import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

/**
 * Stands for a Code node or a queue-mode hop between two nodes: every item's JSON is a copy (no
 * object is shared with the input), and the order is interleaved (odd items first, then even).
 */
export class TestCopy implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Test Copy',
		name: 'copy',
		group: ['transform'],
		version: 1,
		description: 'Copies items through JSON, and interleaves them',
		defaults: { name: 'Copy' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const order = [...items.keys()].sort((a, b) => (a % 2) - (b % 2) || a - b);
		return [
			order.map((i) => ({
				json: JSON.parse(JSON.stringify(items[i].json)),
				pairedItem: { item: i },
			})),
		];
	}
}
