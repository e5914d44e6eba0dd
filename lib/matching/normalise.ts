import { domainToASCII } from 'node:url';

import freeEmailDomains from 'free-email-domains';
import { getDomain } from 'tldts';

import { crmIdKey, type MatchKey } from './salesforce';

export { crmIdKey, INVALID_SALESFORCE_CHECKSUM, salesforce18, type MatchKey } from './salesforce';

export type AccountMatchingType = 'crmId' | 'name' | 'domain' | 'appId';
export type StakeholderMatchingType = 'crmId' | 'email';
export type MatchingType = AccountMatchingType | StakeholderMatchingType;

/**
 * Free-mail and disposable providers: their domains never identify an account. The list is the
 * `free-email-domains` package (maintained, ~14,000 domains: regional Hotmail, Outlook, Live and
 * Yahoo domains, ISP mail such as t-online.de and comcast.net), not one of our own.
 */
export const FREE_MAIL_DOMAINS: ReadonlySet<string> = new Set(freeEmailDomains);

/** `Jane Doe <jane@acme.com>` (a mail header's form) to what is inside the angle brackets. */
function unwrapAngleBrackets(value: string): string {
	const open = value.lastIndexOf('<');
	const close = value.lastIndexOf('>');
	return open !== -1 && close > open ? value.slice(open + 1, close) : value;
}

/** A URL, an email address (also `Name <email>`) or a bare host, to the host name it names (lower-case, ASCII). */
export function hostOf(value: string): string | undefined {
	let text = unwrapAngleBrackets(value).trim().toLowerCase();
	if (!text) return undefined;
	if (!/^[a-z][a-z0-9+.-]*:\/\//.test(text) && text.includes('@'))
		text = text.slice(text.lastIndexOf('@') + 1);
	text = text.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
	text = text.replace(/^[^@/]*@/, '');
	text = text.split(/[/?#]/)[0].replace(/:\d+$/, '').replace(/\.$/, '');
	// A leading dot or an empty label (`.acme.com`, `acme..com`) is not a host name.
	if (!text || text.startsWith('.') || text.includes('..')) return undefined;
	const ascii = domainToASCII(text);
	return ascii || undefined;
}

/**
 * Domains: taken from a URL, an email or a bare host; compared on the registrable domain by the
 * Public Suffix List with private suffixes on (acme.github.io is not github.io). Subdomains such
 * as `www.` fall away by that lookup, so `www.gov.uk`, whose registrable domain is itself, still
 * matches.
 */
export function domainKey(value: string): MatchKey {
	const host = hostOf(value);
	if (!host) return { reason: `'${value}' is not a domain, URL or email address` };
	const registrable = getDomain(host, { allowPrivateDomains: true });
	if (!registrable) return { reason: `'${value}' has no registrable domain` };
	if (FREE_MAIL_DOMAINS.has(registrable))
		return { reason: `'${registrable}' is a free-mail domain and never identifies an account` };
	return { key: registrable };
}

const LEGAL_SUFFIXES = new Set([
	'inc',
	'incorporated',
	'llc',
	'llp',
	'lp',
	'ltd',
	'limited',
	'gmbh',
	'mbh',
	'ag',
	'kg',
	'sa',
	'sas',
	'sarl',
	'srl',
	'spa',
	'bv',
	'nv',
	'plc',
	'corp',
	'corporation',
	'co',
	'company',
	'pty',
	'pte',
	'oy',
	'ab',
	'as',
	'aps',
	'kk',
	'se',
	'sl',
	'ug',
]);

/** Names: Unicode-normalised, case and punctuation folded, common legal suffixes dropped. */
export function nameKey(value: string): MatchKey {
	const folded = value
		.normalize('NFKD')
		.replace(/\p{M}/gu, '')
		.toLowerCase()
		.replace(/&/g, ' and ')
		.replace(/\b([a-z])\.(?=[a-z]\.)/g, '$1')
		.replace(/[^\p{L}\p{N}]+/gu, ' ')
		.trim();
	const words = folded.split(' ').filter(Boolean);
	// "S.A." and "S A" are one suffix.
	while (words.length > 1) {
		const last = words[words.length - 1];
		const lastTwo = words.length > 2 ? `${words[words.length - 2]}${last}` : '';
		if (lastTwo && LEGAL_SUFFIXES.has(lastTwo) && words[words.length - 2].length === 1)
			words.splice(-2, 2);
		else if (LEGAL_SUFFIXES.has(last)) words.pop();
		else break;
	}
	if (words.length === 0) return { reason: 'the name is empty' };
	return { key: words.join(' ') };
}

export function appIdKey(value: string): MatchKey {
	const id = value.trim();
	return id ? { key: id } : { reason: 'the app ID is empty' };
}

/** Emails: `Name <email>` unwrapped, trimmed and lower-cased; no provider-specific rewriting. */
export function emailKey(value: string): MatchKey {
	const email = unwrapAngleBrackets(value).trim().toLowerCase();
	return email.includes('@') ? { key: email } : { reason: `'${value}' is not an email address` };
}

export const KEY_FUNCTIONS: Record<MatchingType, (value: string) => MatchKey> = {
	crmId: crmIdKey,
	name: nameKey,
	domain: domainKey,
	appId: appIdKey,
	email: emailKey,
};
