/** End-to-end: a real n8n server (2.41.1 on Node 24) with the built package, moto and a local receiver. */
/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/e2e'],
	testMatch: ['**/*.e2e.test.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
	testTimeout: 300_000,
	maxWorkers: 1,
};
