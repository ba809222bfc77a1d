/**
 * `npm start` (scripts/start.mjs) on a checkout whose dist/ is up to date (the global setup built it):
 * it says what it does at each step, compiles nothing (dist/.tsbuildinfo and the emitted files are
 * untouched: tsc -b found nothing to do), reaches the banner, and exits 0 on SIGTERM. No wall-clock
 * bound: the no-rebuild path is proven by the files, not by a duration.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { copyPgliteTemplate } from '../helpers/pglite.js';
import { exitOf, spawnChild } from '../helpers/processes.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const BUILD_INFO = join(root, 'dist', '.tsbuildinfo');
const EMITTED = join(root, 'dist', 'scripts', 'dev.js');

async function fingerprint(path: string): Promise<{ mtimeMs: number; sha256: string }> {
  return { mtimeMs: (await stat(path)).mtimeMs, sha256: createHash('sha256').update(await readFile(path)).digest('hex') };
}

describe('npm start (scripts/start.mjs) with dist/ up to date', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = join(await mkdtemp(join(tmpdir(), 'cxgw-start-')), 'pglite');
    await copyPgliteTemplate(dataDir);
  });
  afterAll(async () => {
    await rm(dirname(dataDir), { recursive: true, force: true });
  });

  it('prints each step, compiles nothing, starts the stack and exits 0 on SIGTERM', async () => {
    const before = await Promise.all([fingerprint(BUILD_INFO), fingerprint(EMITTED)]);
    const child = spawnChild(process.execPath, ['scripts/start.mjs'], {
      cwd: root,
      env: { ...process.env, PORT: '0', SIM_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', LOG_PRETTY: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    await vi.waitFor(() => expect(out).toContain('Example call'), { timeout: 60_000, interval: 200 });

    const steps = out
      .split('\n')
      .filter((line) => line.startsWith('[start]') && !line.startsWith('[start] still '))
      .map((line) => line.replace(/\(\d+\.\d s\)/, '(N s)'));
    expect(steps).toEqual([
      '[start] checking dist/ (tsc -b: only what changed is compiled)…',
      '[start] dist/ is up to date, nothing compiled (N s)',
      '[start] loading the simulator and the gateway…',
      '[start] starting the CXone simulator…',
      `[start] starting the gateway (data directory ${dataDir})…`,
    ]);
    expect(out).toMatch(/Agent desktop {4}http:\/\/127\.0\.0\.1:\d+\/_sim\/desktop/);
    expect(await Promise.all([fingerprint(BUILD_INFO), fingerprint(EMITTED)])).toEqual(before);

    child.kill('SIGTERM');
    expect(await exitOf(child)).toEqual({ code: 0, signal: null });
  }, 120_000);
});
