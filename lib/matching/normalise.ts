import { domainToASCII } from 'node:url';

import freeEmailDomains from 'free-email-domains';
import { getDomain } from 'tldts';

export type AccountMatchingType = 'crmId' | 'name' | 'domain' | 'appId';
export type StakeholderMatchingType = 'crmId' | 'email';
export type MatchingType = AccountMatchingType | StakeholderMatchingType;

/** A value turned into the key it is compared by, or the reason it cannot match anything. */
export type MatchKey = { key: string } | { reason: string };

const SF_SUFFIX_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** The 18-character form of a 15-character Salesforce ID (its 3-character case checksum added). */
export function salesforce18(id15: string): string {
	let suffix = '';
	for (let chunk = 0; chunk < 3; chunk++) {
		let bits = 0;
		for (let i = 0; i < 5; i++) {
			const c = id15.charCodeAt(chunk * 5 + i);
			if (c >= 65 && c <= 90) bits |= 1 << i;
		}
		suffix += SF_SUFFIX_CHARS[bits];
	}
	return id15 + suffix;
}

/** True for [A-Za-z0-9] only. */
function alphanumeric(id: string): boolean {
	for (let i = 0; i < id.length; i++) {
		const c = id.charCodeAt(i);
		if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return false;
	}
	return true;
}

/**
 * The case-correct 15-character ID that an 18-character Salesforce ID stands for, whatever case
 * it was written in (its last three characters encode the case), or undefined if it is not one.
 */
function salesforce15Of18(id: string): string | undefined {
	let restored = '';
	for (let chunk = 0; chunk < 3; chunk++) {
		const bits = SF_SUFFIX_CHARS.indexOf(id[15 + chunk].toUpperCase());
		if (bits === -1) return undefined;
		for (let i = 0; i < 5; i++) {
			const c = id[chunk * 5 + i];
			const upper = (bits & (1 << i)) !== 0;
			const lower = c.toLowerCase();
			// A position marked upper-case must hold a letter.
			if (upper && lower === c.toUpperCase()) return undefined;
			restored += upper ? c.toUpperCase() : lower;
		}
	}
	return restored;
}

export const INVALID_SALESFORCE_CHECKSUM = 'invalid Salesforce ID checksum';

/**
 * CRM IDs: trimmed. A 15-character Salesforce ID matches its 18-character form; 18-character IDs
 * compare case-insensitively (their last three characters encode the case), 15-character IDs never.
 * An 18-character ID whose last three characters cannot be its checksum (a suffix character outside
 * the checksum alphabet, or one that marks a digit as upper-case) is refused: rebuilt anyway, it
 * could match a different record. IDs of digits only are not Salesforce IDs and compare exactly.
 */
export function crmIdKey(value: string): MatchKey {
	const id = value.length > 0 && (value.charCodeAt(0) <= 32 || value.charCodeAt(value.length - 1) <= 32) ? value.trim() : value;
	if (!id) return { reason: 'the CRM ID is empty' };
	if (/^\d+$/.test(id)) return { key: `id:${id}` };
	if (id.length === 15 && alphanumeric(id)) return { key: `sf:${id}` };
	if (id.length === 18 && alphanumeric(id)) {
		const id15 = salesforce15Of18(id);
		return id15 ? { key: `sf:${id15}` } : { reason: INVALID_SALESFORCE_CHECKSUM };
	}
	return { key: `id:${id}` };
}

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
	if (!/^[a-z][a-z0-9+.-]*:\/\//.test(text) && text.includes('@')) text = text.slice(text.lastIndexOf('@') + 1);
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
	if (FREE_MAIL_DOMAINS.has(registrable)) return { reason: `'${registrable}' is a free-mail domain and never identifies an account` };
	return { key: registrable };
}

const LEGAL_SUFFIXES = new Set([
	'inc', 'incorporated', 'llc', 'llp', 'lp', 'ltd', 'limited', 'gmbh', 'mbh', 'ag', 'kg', 'sa', 'sas', 'sarl', 'srl', 'spa',
	'bv', 'nv', 'plc', 'corp', 'corporation', 'co', 'company', 'pty', 'pte', 'oy', 'ab', 'as', 'aps', 'kk', 'se', 'sl', 'ug',
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
		if (lastTwo && LEGAL_SUFFIXES.has(lastTwo) && words[words.length - 2].length === 1) words.splice(-2, 2);
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
