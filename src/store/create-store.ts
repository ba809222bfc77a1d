import { type Logger } from '../common/logger.js';
import { type StoreConfig } from '../config/config.js';
import { type HandoffStore } from '../handoff/ports.js';

/**
 * Opens the configured store and applies pending migrations before resolving. Each store module is
 * loaded only when chosen: PGlite's WASM build is not loaded in PostgreSQL mode. The embedded store
 * sits behind a write-through cache of recent handoffs (`handoff-cache.ts`), coherent because this
 * process is the data directory's only writer; PostgreSQL's replicas share the rows, so reads there
 * stay on the database.
 */
export async function createStore(config: StoreConfig, deps: { readonly log: Logger }): Promise<HandoffStore> {
  switch (config.kind) {
    case 'pglite': {
      const [{ openPgliteStore }, { CachedHandoffStore }] = await Promise.all([import('./pglite.store.js'), import('./handoff-cache.js')]);
      return new CachedHandoffStore(await openPgliteStore({ dataDir: config.dataDir }, deps));
    }
    case 'postgres': {
      const { openPostgresStore } = await import('./postgres.store.js');
      return await openPostgresStore({ url: config.url, poolSize: config.poolSize }, deps);
    }
    default:
      throw new Error(`Unknown store kind: ${(config satisfies never as { kind: string }).kind}`);
  }
}
