/**
 * The embedded store creating its data directory (initdb, in a worker thread) on first open. Every
 * other suite opens a copy of the PGlite template (test/helpers/pglite.ts), so this is the one place
 * the real creation runs; it lives in the integration project because initdb costs 5–15 s of CPU.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPgliteStore } from '../../src/store/pglite.store.js';
import { recordingLogger, tempDir } from '../unit/handoff-fakes.js';

describe('PGlite store on a new data directory', () => {
  // initdb is CPU-bound: 5–15 s on an idle 2-core machine, three times that beside a CPU hog.
  it('creates the directory (in a worker thread), and rejects when the worker fails', { timeout: 90_000 }, async () => {
    const dir = await tempDir();
    try {
      const created = await openPgliteStore({ dataDir: join(dir.path, 'new') }, { log: recordingLogger() });
      await created.close();
      expect(existsSync(join(dir.path, 'new', 'PG_VERSION'))).toBe(true);

      const file = join(dir.path, 'a-file');
      await writeFile(file, 'x');
      await expect(openPgliteStore({ dataDir: join(file, 'data') }, { log: recordingLogger() })).rejects.toThrow(/ENOTDIR/);
    } finally {
      await dir.remove();
    }
  });
});
