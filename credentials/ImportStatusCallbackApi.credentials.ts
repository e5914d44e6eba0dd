import type { IAuthenticateGeneric, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

/** The API key the customer's status endpoint expects in its x-api-key header (PX's S3 import guide). */
export class ImportStatusCallbackApi implements ICredentialType {
	name = 'importStatusCallbackApi';

	displayName = 'Import Status Callback API';

	icon: Icon = { light: 'file:callback.svg', dark: 'file:callback.dark.svg' };

	documentationUrl =
		'https://github.com/n8n-nodes-s3-inbound/n8n-nodes-s3-inbound#import-status-callback-api';

	properties: INodeProperties[] = [
		{
			displayName: 'Callback URL',
			name: 'url',
			type: 'string',
			default: '',
			placeholder: 'https://www.example.com/prd/data-export',
			description: 'The endpoint that receives a POST when a marker-folder import finishes',
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Sent as the x-api-key header',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: { headers: { 'x-api-key': '={{$credentials.apiKey}}' } },
	};
}
