/**
 * Starts the suites known to take longest first, whatever vitest's result cache says. On a fresh
 * clone (CI) there is no cache, and vitest's own order (larger files first) would start the crash
 * recovery suites, short files that each wait out a 30 s lease, near the end, where nothing can run
 * beside them. The rest keeps vitest's order (cached durations, else file size).
 */
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Longest first (seconds on the 2-core machine, quiet, `npm test`): about 42, 35, 31, 30, 30, 25, 23, 17, 15, 13, 12. */
const SLOW_FIRST = [
  'test/reliability/crash-recovery-pglite.test.ts',
  'test/reliability/crash-recovery-postgres.test.ts',
  'test/integration/production.test.ts',
  'test/reliability/fault-matrix.test.ts',
  'test/reliability/replicas.test.ts',
  'test/integration/gateway-process.test.ts',
  'test/reliability/postgres-outage.test.ts',
  'test/reliability/throttling.test.ts',
  'test/integration/nice-simulator.test.ts',
  'test/e2e/explorer.test.ts',
  'test/integration/gateway-upstream.test.ts',
];

export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification): number => {
      const index = SLOW_FIRST.indexOf(relative(this.ctx.config.root, spec.moduleId).split('\\').join('/'));
      return index === -1 ? SLOW_FIRST.length : index;
    };
    // Array.prototype.sort is stable: files outside the list keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
