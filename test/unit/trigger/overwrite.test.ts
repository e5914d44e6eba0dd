import {
	configFingerprint,
	decideOverwrite,
	type OverwriteState,
} from '../../../lib/trigger/overwrite';

const file = (etag: string, lastModified = '2024-03-15T10:00:00Z') => ({
	key: 'accounts.csv',
	size: 10,
	etag,
	lastModified: new Date(lastModified),
});
const seen: OverwriteState = { etag: 'e1', configHash: 'c1', importedAt: '2024-03-15T10:00:00Z' };

describe('decideOverwrite: a file is imported once per change of its ETag or of the import configuration', () => {
	it.each<[string, OverwriteState | undefined, ReturnType<typeof file>, string, boolean, string]>([
		['never imported', undefined, file('e1'), 'c1', false, 'first import'],
		[
			'state without an ETag (kept by an older version)',
			{},
			file('e1'),
			'c1',
			false,
			'first import',
		],
		['same ETag, same configuration', seen, file('e1'), 'c1', false, 'unchanged'],
		['a new ETag', seen, file('e2'), 'c1', false, 'file changed'],
		['same ETag, the mapping changed', seen, file('e1'), 'c2', false, 'mapping changed'],
		['both changed: the file is the reason given', seen, file('e2'), 'c2', false, 'file changed'],
		[
			'a later LastModified alone (1-second precision, not trusted)',
			seen,
			file('e1', '2024-03-15T11:00:00Z'),
			'c1',
			false,
			'unchanged',
		],
		['Import Every Check, unchanged file', seen, file('e1'), 'c1', true, 'every poll'],
	])('%s', (_case, state, object, configHash, everyPoll, reason) => {
		const decision = decideOverwrite(object, state, configHash, everyPoll);
		expect(decision).toEqual({ import: reason !== 'unchanged', reason });
	});
});

describe('configFingerprint: the import configuration is what the trigger and every node after it are set to, not how it is written', () => {
	const mapper = {
		name: 'Field Mapper',
		type: 'fieldMapper',
		typeVersion: 2,
		parameters: { mode: 'lenient', options: { keepUnmapped: true, maxReasons: 20 } },
	};
	const matcher = { name: 'Account Matcher', type: 'accountMatcher', typeVersion: 1 };
	const base = configFingerprint([mapper, matcher], { fileKey: 'a.csv' });

	it.each<[string, Parameters<typeof configFingerprint>[0], unknown, boolean]>([
		['nodes listed in another order', [matcher, mapper], { fileKey: 'a.csv' }, true],
		[
			'parameter keys in another order',
			[
				{
					...mapper,
					parameters: { options: { maxReasons: 20, keepUnmapped: true }, mode: 'lenient' },
				},
				matcher,
			],
			{ fileKey: 'a.csv' },
			true,
		],
		[
			'a parameter value changed',
			[{ ...mapper, parameters: { mode: 'strict' } }, matcher],
			{ fileKey: 'a.csv' },
			false,
		],
		['a node disabled', [{ ...mapper, disabled: true }, matcher], { fileKey: 'a.csv' }, false],
		[
			'a node on another version',
			[{ ...mapper, typeVersion: 1 }, matcher],
			{ fileKey: 'a.csv' },
			false,
		],
		['the trigger’s own parameters changed', [mapper, matcher], { fileKey: 'b.csv' }, false],
	])('%s', (_case, nodes, own, same) => {
		expect(configFingerprint(nodes, own) === base).toBe(same);
	});
});
