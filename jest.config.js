/**
 * `npm test`: test/unit (the decisions), test/nodes and test/flows (the real engine against moto),
 * test/s3, test/csv and test/package. The end-to-end and browser tests have their own configs.
 */
/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	testPathIgnorePatterns: ['/node_modules/', '/test/e2e/', '/test/ui/'],
	transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
	globalSetup: '<rootDir>/test/globalSetup.ts',
	globalTeardown: '<rootDir>/test/globalTeardown.ts',
	testTimeout: 60_000,
	maxWorkers: 2,
};
