/**
 * One PGlite data directory, made once and copied for every suite or stack that needs an embedded
 * store: initdb costs 5–15 s of CPU on this machine, a copy a few milliseconds. The template holds
 * only what initdb makes (no migrations), so every store opened on a copy still applies its
 * migrations the way a first start in production does.
 *
 * The template is cached under node_modules/.cache, keyed by the PGlite version and the settings
 * it was made with, so the unit loop pays initdb once per install, not once per run. The global
 * setups call `ensurePgliteTemplate()`; suites call `pgliteDataDir()` or `copyPgliteTemplate()`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

const root = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
const pgliteEntry = require.resolve('@electric-sql/pglite');
const pgliteVersion = (JSON.parse(readFileSync(join(root, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string }).version;

/** The settings src/store/pglite.store.ts opens its databases with (initdb bakes nothing of them in, but stay alike). */
const POSTGRESQL_CONF = ['shared_buffers=16MB'];

const CACHE = join(root, 'node_modules/.cache/cxgw-test');
export const PGLITE_TEMPLATE = join(CACHE, `pglite-${pgliteVersion}`);

/**
 * initdb in a worker thread, as the store itself does it: initdb touches ≈ 700 MB of WASM memory
 * that would otherwise stay resident in the vitest main process for the whole run.
 */
const INITDB_WORKER = `
const { workerData } = require('node:worker_threads');
import(workerData.pgliteUrl).then(async ({ PGlite }) => {
  const db = new PGlite(workerData.dataDir, { postgresqlconf: workerData.postgresqlconf });
  await db.waitReady;
  await db.close();
});
`;

/** Makes the template unless a complete one exists; safe when two global setups race (the second rename loses and is dropped). */
export async function ensurePgliteTemplate(): Promise<string> {
  if (existsSync(join(PGLITE_TEMPLATE, 'PG_VERSION'))) return PGLITE_TEMPLATE;
  await mkdir(CACHE, { recursive: true });
  // Built beside the final path and renamed into place, so a reader never sees half a directory.
  const building = await mkdtemp(join(CACHE, 'building-'));
  const dataDir = join(building, 'data');
  try {
    const worker = new Worker(INITDB_WORKER, {
      eval: true,
      workerData: { pgliteUrl: pathToFileURL(pgliteEntry).href, dataDir, postgresqlconf: POSTGRESQL_CONF },
    });
    await new Promise<void>((resolve, reject) => {
      let failure: unknown;
      worker.once('error', (error) => (failure = error));
      worker.once('exit', (code) => (failure === undefined && code === 0 ? resolve() : reject(failure ?? new Error(`PGlite initdb worker exited ${code}`))));
    });
    await rename(dataDir, PGLITE_TEMPLATE).catch((error: NodeJS.ErrnoException) => {
      if (!existsSync(join(PGLITE_TEMPLATE, 'PG_VERSION'))) throw error;
    });
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  return PGLITE_TEMPLATE;
}

/** Copies the template to `target` (which must not exist yet); a store opened there skips initdb. */
export async function copyPgliteTemplate(target: string): Promise<void> {
  if (!existsSync(join(PGLITE_TEMPLATE, 'PG_VERSION'))) {
    throw new Error(`No PGlite template at ${PGLITE_TEMPLATE}: the project's global setup makes it (run through \`npm test\` or \`npm run test:unit\`).`);
  }
  await cp(PGLITE_TEMPLATE, target, { recursive: true });
}

/** A fresh data directory (a copy of the template) under the OS temp dir, removed by `remove()`. */
export async function pgliteDataDir(prefix = 'cxgw-store-'): Promise<{ path: string; remove(): Promise<void> }> {
  const parent = await mkdtemp(join(tmpdir(), prefix));
  const path = join(parent, 'pglite');
  await copyPgliteTemplate(path);
  return { path, remove: async () => await rm(parent, { recursive: true, force: true }) };
}
