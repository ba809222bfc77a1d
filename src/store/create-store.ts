import { type Logger } from '../common/logger.js';
import { type HandoffStore } from '../handoff/ports.js';
import { openPgliteStore } from './pglite.store.js';
import { openPostgresStore } from './postgres.store.js';

/** Which database backs the store: embedded PGlite (default) or a shared PostgreSQL. */
export type StoreConfig =
  | { readonly kind: 'pglite'; readonly dataDir: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly poolSize?: number };

/** Opens the configured store and applies pending migrations before resolving. */
export async function createStore(config: StoreConfig, deps: { readonly log: Logger }): Promise<HandoffStore> {
  switch (config.kind) {
    case 'pglite':
      return await openPgliteStore({ dataDir: config.dataDir }, deps);
    case 'postgres':
      return await openPostgresStore({ url: config.url, poolSize: config.poolSize }, deps);
    default:
      throw new Error(`Unknown store kind: ${(config satisfies never as { kind: string }).kind}`);
  }
}
