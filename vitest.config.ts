import { defineConfig } from 'vitest/config';

export default defineConfig({
  // graphql ships both .mjs and .js; type-graphql and Apollo load the CommonJS build, so tests must
  // too, or two copies of graphql meet in one schema (the same resolution Node itself makes).
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts', 'simulator/**/*.test.ts'],
    environment: 'node',
    // Integration suites start real servers and databases; two cores leave no room for many forks.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/global-setup.ts'],
  },
});
