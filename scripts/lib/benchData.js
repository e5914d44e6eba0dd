// @ts-check
/** Reproducible benchmark data: a 12-column user file and a directory of accounts (seeded PRNG). */
const { gzipSync } = require('node:zlib');

/** mulberry32: small, fast, reproducible. @param {number} seed */
function prng(seed) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** The 18-character form of a Salesforce-style ID: the package's own (needs `npm run build`). */
/** @type {(id15: string) => string} */
const sf18 = require(`${'../../dist/lib'}/matching/normalise`).salesforce18;

/** @param {number} n */
const accountId15 = (n) => `001A${String(n).padStart(11, '0')}`;

/** @param {number} count */
function directory(count) {
	return Array.from({ length: count }, (_, i) => ({
		id: `acc-${i}`,
		crmId: sf18(accountId15(i)),
		name: `Account ${i}`,
		status: 'Active',
	}));
}

const HEADER = [
	'id',
	'email',
	'name',
	'account_crm_id',
	'signup_date',
	'last_seen',
	'score',
	'active',
	'plan',
	'country',
	'seats',
	'mrr',
];
const PLANS = ['free', 'team', 'business', 'enterprise'];
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'JP', 'BR', 'IN', 'CA'];

/**
 * One user file: `rows` rows x 12 columns; every account_crm_id is in a directory of `accounts`.
 * @param {number} rows
 * @param {{ seed?: number, accounts?: number, startId?: number }} [options]
 */
function userCsv(rows, options = {}) {
	const random = prng(options.seed ?? 42);
	const accounts = options.accounts ?? 100_000;
	const start = options.startId ?? 0;
	const lines = [HEADER.join(',')];
	for (let i = 0; i < rows; i++) {
		const n = start + i;
		const account = Math.floor(random() * accounts);
		const day = 1 + Math.floor(random() * 28);
		const month = 1 + Math.floor(random() * 12);
		const crm = random() < 0.5 ? accountId15(account) : sf18(accountId15(account));
		lines.push(
			[
				`u${n}`,
				`user${n}@example${n % 97}.com`,
				`"User ${n}, ${PLANS[n % 4]}"`,
				crm,
				`2023${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`,
				`2024-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}T${String(n % 24).padStart(2, '0')}:15:30Z`,
				(random() * 100).toFixed(2),
				random() < 0.5 ? 'true' : 'false',
				PLANS[Math.floor(random() * 4)],
				COUNTRIES[Math.floor(random() * COUNTRIES.length)],
				String(1 + Math.floor(random() * 500)),
				(random() * 10_000).toFixed(2),
			].join(','),
		);
	}
	return `${lines.join('\n')}\n`;
}

/** @param {number} rows @param {{ seed?: number, accounts?: number, startId?: number }} [options] */
const userCsvGz = (rows, options) => gzipSync(Buffer.from(userCsv(rows, options)), { level: 6 });

/** The 12 typed fields, as the Field Mapper takes them. */
/** @type {Array<Record<string, unknown>>} */
const FIELDS = [
	{ target: 'id', type: 'string', required: true },
	{ target: 'email', type: 'string' },
	{ target: 'name', type: 'string' },
	{ target: 'accountCrmId', source: 'account_crm_id', type: 'string' },
	{ target: 'signupDate', source: 'signup_date', type: 'date', dateFormat: 'YYYYMMDD' },
	{
		target: 'lastSeen',
		source: 'last_seen',
		type: 'datetime',
		dateFormat: "yyyy-MM-dd'T'HH:mm:ssX",
	},
	{ target: 'score', type: 'number' },
	{ target: 'active', type: 'boolean' },
	{ target: 'plan', type: 'string' },
	{ target: 'country', type: 'string' },
	{ target: 'seats', type: 'number' },
	{ target: 'mrr', type: 'number' },
];

module.exports = { userCsv, userCsvGz, directory, FIELDS, HEADER, sf18, prng };
