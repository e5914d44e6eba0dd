import { domainKey, emailKey, nameKey } from '../../../lib/matching/normalise';
import { crmIdKey, salesforce18 } from '../../../lib/matching/salesforce';

/** Whether two values are compared as the same key (both give a key, and it is the same). */
const same = (keyOf: (v: string) => { key: string } | { reason: string }, a: string, b: string) => {
	const [ka, kb] = [keyOf(a), keyOf(b)];
	return 'key' in ka && 'key' in kb && ka.key === kb.key;
};

describe('salesforce18: a 15-character Salesforce ID gains its 3-character checksum', () => {
	it.each([
		['a0D30000001n7Pi', 'a0D30000001n7PiEAI'],
		['0019000000B98de', '0019000000B98deAAB'],
	])('%s → %s', (id15, id18) => {
		expect(salesforce18(id15)).toBe(id18);
	});
});

describe('crmIdKey: a 15-character ID matches its 18-character form; only 18-character IDs ignore case', () => {
	it.each<[string, string, boolean]>([
		[' a0D30000001n7Pi ', 'a0D30000001n7PiEAI', true],
		['A0D30000001N7PIEAI', 'a0D30000001n7PiEAI', true],
		['0019000000b98DEAAB', '0019000000B98de', true],
		['a0d30000001n7pi', 'a0D30000001n7Pi', false],
	])('%s and %s: same key %s', (a, b, expected) => {
		expect(same(crmIdKey, a, b)).toBe(expected);
	});
});

describe('domainKey: from URLs, emails and hosts, on the registrable domain, never a free-mail domain', () => {
	it.each<[string, object]>([
		['https://www.Acme.co.uk/about', { key: 'acme.co.uk' }],
		['someone@acme.co.uk', { key: 'acme.co.uk' }],
		['shop.acme.co.uk', { key: 'acme.co.uk' }],
		['acme.github.io', { key: 'acme.github.io' }],
		['bücher.de', { key: 'xn--bcher-kva.de' }],
		['jane@gmail.com', { reason: expect.stringContaining('free-mail') }],
	])('%s', (value, expected) => {
		expect(domainKey(value)).toEqual(expected);
	});

	it('a private suffix is not one domain: acme.github.io is not other.github.io', () => {
		expect(same(domainKey, 'acme.github.io', 'other.github.io')).toBe(false);
	});
});

describe('nameKey: case, punctuation, spacing, accents and legal suffixes folded', () => {
	it.each<[string, string]>([
		['ACME, Inc.', 'acme'],
		['  Acme   Incorporated ', 'acme'],
		['Société Générale S.A.', 'societe generale'],
		['Müller GmbH', 'muller'],
		['Acme Co., Ltd.', 'acme'],
	])('%s → %s', (value, key) => {
		expect(nameKey(value)).toEqual({ key });
	});
});

describe('emailKey: trimmed and lower-cased only', () => {
	it.each([[' Jane.Doe+x@Example.COM ', 'jane.doe+x@example.com']])('%s → %s', (value, key) => {
		expect(emailKey(value)).toEqual({ key });
	});
});
