/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The fault suite (real processes, ~3 min) runs with `npm run test:faults`.
  testPathIgnorePatterns:
    process.env.FAULTS === '1' ? ['/node_modules/'] : ['/node_modules/', '/test/faults/'],
  // swc strips types fast; `npm run typecheck` does the type checking once for the whole project.
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }],
    // A few dependencies ship only ES modules, which Jest on Node 20 cannot load from CommonJS: compile them.
    '^.+\\.m?js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // openapi-typescript (test/api/console-types.test.ts) requires ES-only parse-json, change-case and supports-color,
  // some of them in its own node_modules (hence its name in the list too).
  transformIgnorePatterns: [
    '/node_modules/(?!(asn1js|pkijs|pvtsutils|pvutils|bytestreamjs|jose|@peculiar|@noble|openapi-typescript|parse-json|index-to-position|change-case|supports-color)/)',
  ],
  testTimeout: 120_000,
  // 2 cores: each test file starts its own Temporal server; two files at a time keeps the machine busy, not thrashing.
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
