import { defineConfig } from 'vitest/config';
import { SlowFirstSequencer } from './test/sequencer.js';

export default defineConfig({
  // graphql ships both .mjs and .js; type-graphql and Apollo load the CommonJS build, so tests must
  // too, or two copies of graphql meet in one schema (the same resolution Node itself makes).
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    environment: 'node',
    // Integration suites start real servers and databases; two cores leave no room for many forks.
    pool: 'forks',
    // Three forks on two cores: most integration suites spend their time waiting (budgets, leases,
    // child processes), so a third keeps the cores busy; a CPU hog beside the run leaves it green.
    maxWorkers: 3,
    sequence: { sequencer: SlowFirstSequencer },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    setupFiles: ['test/setup.ts'],
    // `npm test` runs both projects; `npm run test:unit` only the first, which needs neither a tsc
    // build nor PostgreSQL.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          isolate: false,
          include: ['test/unit/**/*.test.ts', 'src/**/*.test.ts', 'simulator/**/*.test.ts'],
          globalSetup: ['test/global-setup.unit.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          isolate: false,
          include: ['test/integration/**/*.test.ts', 'test/reliability/**/*.test.ts', 'test/hostile/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
