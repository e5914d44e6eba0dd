import type { IExecuteFunctions } from 'n8n-workflow';

import type { CallbackResponse, PostJson } from '../../lib/px/callback';

/**
 * The status callback's POST, through n8n's request helpers: the Import Status Callback API
 * credential's own authentication (x-api-key), n8n's proxy settings and outbound-request rules.
 */
export function callbackPoster(fn: IExecuteFunctions): PostJson {
	return async (request) =>
		(await fn.helpers.httpRequestWithAuthentication.call(fn, 'importStatusCallbackApi', {
			method: 'POST',
			url: request.url,
			body: request.body,
			json: true,
			headers: request.headers,
			timeout: request.timeoutMs,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
		})) as CallbackResponse;
}
