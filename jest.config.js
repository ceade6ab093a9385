/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/lib', '<rootDir>/nodes', '<rootDir>/credentials', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/prometheus needs Debian's prometheus: npm run test:prometheus (installs it, then runs it alone)
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/test/e2e/', '/test/prometheus/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testTimeout: 30000,
  // Tests start servers (simulator, redis-server); a leaked handle must fail loudly, not hang CI.
  forceExit: false,
  maxWorkers: 2,
  // Each suite's run time at the end, slowest first (CI's log shows which suites grow slow).
  reporters: ['default', '<rootDir>/test/helpers/suite-times-reporter.js'],
};
