// @ts-check
/** The demo bucket: sample files for both flows, including one invalid PX file and one unready folder. */
const { gzipSync } = require('node:zlib');
const { CreateBucketCommand, PutObjectCommand, S3Client } = require('@aws-sdk/client-s3');

const DEMO_BUCKET = 'demo-inbound';
const STAIRCASE_KEY = 'staircase/accounts.csv';
const PX_BASE = 'px-import';

/** The account directory a CRM would return (reference 002: some churned, some prospects). */
const DIRECTORY = [
	{
		id: 'acc-001',
		crmId: '0019000000B98deAAB',
		name: 'Acme Inc',
		domain: 'acme.co.uk',
		status: 'Active',
	},
	{
		id: 'acc-002',
		crmId: 'a0D30000001n7PiEAI',
		name: 'Globex LLC',
		domain: 'globex.com',
		status: 'Active',
	},
	{
		id: 'acc-003',
		crmId: '001000000000003AAA',
		name: 'Initech',
		domain: 'initech.com',
		status: 'Churned',
	},
	{
		id: 'acc-004',
		crmId: '001000000000004AAA',
		name: 'Umbrella Corp',
		domain: 'umbrella.example',
		status: 'Prospect',
	},
	{
		id: 'acc-005',
		crmId: '001000000000005AAA',
		name: 'Hooli',
		domain: 'hooli.xyz',
		status: 'Active',
	},
];

/** Reference 000: one CSV, overwritten by each upload; a date column carries history. */
const STAIRCASE_CSV =
	[
		'crm_account_id,date,name,tier,health_score,seats,notes',
		'0019000000B98de,2024-03-14,Acme Inc,Gold,71,120,15-character Salesforce ID',
		'0019000000B98de,2024-03-15,Acme Inc,Gold,74,125,same account next day',
		'a0D30000001n7PiEAI,2024-03-15,Globex LLC,Silver,88,40,18-character ID',
		'001000000000003AAA,2024-03-15,Initech,Bronze,20,5,churned: out of scope',
		'001000000000005AAA,2024-03-15,Hooli,Gold,93,300,',
		'001XXXXXXXXXXXX,2024-03-15,Unknown Ltd,,50,1,unknown account',
	].join('\n') + '\n';

const PX_HEADER = 'id,email,name,signup_date,score,active';
const pxRows = (/** @type {number} */ from, /** @type {number} */ count) =>
	Array.from({ length: count }, (_, i) => {
		const n = from + i;
		return `u${n},user${n}@example.com,"User ${n}, Jr.",202401${String((n % 28) + 1).padStart(2, '0')},${(n * 7) % 100}.5,${n % 2 === 0}`;
	}).join('\n');

/** Reference 001: dt= folders; 20240102 holds two invalid files; 20240103 has no marker yet. */
function pxObjects() {
	return {
		[`${PX_BASE}/current/dt=20240101/users.csv.gz`]: gzipSync(`${PX_HEADER}\n${pxRows(1, 25)}\n`),
		[`${PX_BASE}/current/dt=20240101/_SUCCESS`]: '',
		[`${PX_BASE}/current/dt=20240102/users-part1.csv.gz`]: gzipSync(
			`${PX_HEADER}\n${pxRows(100, 10)}\n`,
		),
		[`${PX_BASE}/current/dt=20240102/users-part2.csv.gz`]: gzipSync(
			`email,flantana_carteret\nx@example.com,1\n`,
		),
		// 20 rows, one of them with a score that is not a number: strict mode delivers none of them.
		[`${PX_BASE}/current/dt=20240102/users-part3.csv.gz`]: gzipSync(
			`${PX_HEADER}\n${pxRows(300, 20).replace('"User 313, Jr.",20240106,91.5,', '"User 313, Jr.",20240106,n/a,')}\n`,
		),
		[`${PX_BASE}/current/dt=20240102/_SUCCESS`]: '',
		[`${PX_BASE}/current/dt=20240103/users.csv.gz`]: gzipSync(`${PX_HEADER}\n${pxRows(200, 5)}\n`),
	};
}

/**
 * @param {string} endpoint moto's URL
 * @param {string} [bucket]
 */
async function seedDemoBucket(endpoint, bucket = DEMO_BUCKET) {
	const s3 = new S3Client({
		region: 'us-east-1',
		endpoint,
		forcePathStyle: true,
		credentials: { accessKeyId: 'demo', secretAccessKey: 'demo-secret' },
	});
	await s3.send(new CreateBucketCommand({ Bucket: bucket }));
	/** @type {Record<string, string | Buffer>} */
	const objects = { [STAIRCASE_KEY]: STAIRCASE_CSV, ...pxObjects() };
	for (const [key, body] of Object.entries(objects)) {
		await s3.send(
			new PutObjectCommand({
				Bucket: bucket,
				Key: key,
				Body: body,
				ContentLength: Buffer.byteLength(body),
			}),
		);
	}
	s3.destroy();
	return { bucket, keys: Object.keys(objects) };
}

module.exports = {
	pxRows,
	PX_HEADER,
	seedDemoBucket,
	DEMO_BUCKET,
	STAIRCASE_KEY,
	PX_BASE,
	DIRECTORY,
	STAIRCASE_CSV,
};
