/**
 * The dev launcher's progress lines (scripts/progress.ts): each step prints a line, a running step
 * prints "still …" with its elapsed time every tick, a new step or `done` stops the previous one's
 * ticks. And what the gateway step says (scripts/dev-stack.ts `gatewayStep`): a new data directory
 * is named as the slow initdb, an existing one as just opened. Fake timers, no sleeping.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { gatewayStep } from '../../scripts/dev-stack.js';
import { createProgress } from '../../scripts/progress.js';

describe('dev launcher progress', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('prints each step, "still …" every tick while it runs, and nothing after done', () => {
    const lines: string[] = [];
    const progress = createProgress({ write: (line) => lines.push(line), tickMs: 5_000, now: Date.now });
    progress.step('starting the CXone simulator');
    vi.advanceTimersByTime(4_999);
    expect(lines).toEqual(['[start] starting the CXone simulator…']);
    progress.step('creating the data directory /d');
    vi.advanceTimersByTime(10_000);
    progress.done();
    vi.advanceTimersByTime(60_000);
    expect(lines).toEqual([
      '[start] starting the CXone simulator…',
      '[start] creating the data directory /d…',
      '[start] still creating the data directory /d… 5 s',
      '[start] still creating the data directory /d… 10 s',
    ]);
  });
});

describe('gateway step of the dev stack', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cxgw-step-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names initdb for a data directory that does not exist yet', () => {
    expect(gatewayStep({ kind: 'pglite', dataDir: join(dir, 'new') })).toBe(
      `creating the data directory ${join(dir, 'new')} (PGlite initdb, about 15 s, first start only) and starting the gateway`,
    );
  });

  it('only opens an existing one (PG_VERSION present)', async () => {
    await writeFile(join(dir, 'PG_VERSION'), '17\n');
    expect(gatewayStep({ kind: 'pglite', dataDir: dir })).toBe(`starting the gateway (data directory ${dir})`);
  });

  it('names PostgreSQL when DATABASE_URL is set', () => {
    expect(gatewayStep({ kind: 'postgres', url: 'postgres://x', poolSize: 10 })).toBe('starting the gateway (PostgreSQL at DATABASE_URL)');
  });
});
