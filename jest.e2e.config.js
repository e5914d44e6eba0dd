/** End-to-end: a real n8n server (2.41.1 on Node 24) with the built package, moto and a local receiver. */
/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/e2e'],
	testMatch: ['**/*.e2e.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
	testTimeout: 300_000,
	maxWorkers: 1,
	// n8n's own Postgres node (test/e2e/postgresDestination.e2e.test.ts) keeps a connection pool
	// manager whose clean-up timer runs for the life of the process (n8n-nodes-base's
	// ConnectionPoolManager): the tests close their pools, jest then exits despite that timer.
	forceExit: true,
};
