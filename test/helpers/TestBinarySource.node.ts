import { gzipSync } from 'node:zlib';

import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

/**
 * Stands for any node that outputs files as binary data (HTTP Request, Read Files from Disk, an
 * email trigger): one item per file, stored through n8n-core's own binary helper.
 */
export class TestBinarySource implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Test Binary Source',
		name: 'binarySource',
		group: ['input'],
		version: 1,
		description: 'Outputs CSV files as binary data',
		defaults: { name: 'Files' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [{ displayName: 'Files (JSON)', name: 'files', type: 'json', default: '[]' }],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const files = JSON.parse(this.getNodeParameter('files', 0) as string) as Array<{
			name: string;
			text: string;
			gzip?: boolean;
		}>;
		const out: INodeExecutionData[] = [];
		for (const f of files) {
			const bytes = f.gzip ? gzipSync(Buffer.from(f.text)) : Buffer.from(f.text);
			out.push({
				json: { name: f.name },
				binary: { data: await this.helpers.prepareBinaryData(bytes, f.name) },
				pairedItem: { item: 0 },
			});
		}
		return [out];
	}
}
