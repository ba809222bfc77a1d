/**
 * The embedded store: PGlite (PostgreSQL compiled to WASM) in a data directory, no server to run.
 *
 * PGlite is one connection inside this process and shares the event loop with everything else, so
 * each autocommit write pays a full commit (DESIGN §12: ≈ 4,000 single-row inserts/s). Writes are
 * therefore group-committed: statements arriving while a batch runs wait in a queue and the next
 * flush runs all of them in one transaction. A caller's promise resolves only after COMMIT, so
 * durability per write is unchanged. When any statement of a batch fails, the transaction is rolled
 * back and its statements re-run one by one (autocommit), so a failing statement fails only its own
 * caller.
 */
import { PGlite } from '@electric-sql/pglite';
import { StoreUnavailableError } from '../handoff/errors.js';
import { type Logger } from '../handoff/logger.js';
import { type HandoffStore } from './handoff-store.js';
import { runMigrations } from './migrations.js';
import { type SqlExecutor, SqlHandoffStore } from './sql-handoff-store.js';

/** Options of the embedded store. */
export interface PgliteStoreOptions {
  /** Directory of the database files; created (initdb, ≈ 5 s) on first open. */
  readonly dataDir: string;
  /** Most statements one group commit may hold (default 256). */
  readonly maxBatch?: number;
  /** Turns group commit off (one autocommit transaction per write); for benchmarks and tests. */
  readonly groupCommit?: boolean;
}

/** Opens (creating if needed) the embedded database and applies pending migrations. */
export async function openPgliteStore(options: PgliteStoreOptions, deps: { readonly log: Logger }): Promise<HandoffStore> {
  const db = new PGlite(options.dataDir);
  await db.waitReady;
  try {
    const applied = await runMigrations({
      query: async (sql, params) => await db.query(sql, params),
      exec: async (sql) => await db.exec(sql),
    });
    if (applied.length > 0) deps.log.info({ store: 'pglite', migrations: applied }, 'store migrations applied');
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  return new SqlHandoffStore(new PgliteExecutor(db, options.maxBatch ?? 256, options.groupCommit ?? true));
}

interface QueuedWrite {
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly resolve: (rows: unknown[]) => void;
  readonly reject: (error: unknown) => void;
}

class PgliteExecutor implements SqlExecutor {
  readonly #db: PGlite;
  readonly #maxBatch: number;
  readonly #groupCommit: boolean;
  #queue: QueuedWrite[] = [];
  #flushing: Promise<void> | null = null;
  #closed = false;

  constructor(db: PGlite, maxBatch: number, groupCommit: boolean) {
    this.#db = db;
    this.#maxBatch = maxBatch;
    this.#groupCommit = groupCommit;
  }

  async read(sql: string, params: readonly unknown[]): Promise<unknown[]> {
    this.#assertOpen();
    // PGlite runs a query only between transactions, so a read never sees a batch half-written.
    return (await this.#db.query(sql, [...params])).rows;
  }

  async write(sql: string, params: readonly unknown[]): Promise<unknown[]> {
    this.#assertOpen();
    if (!this.#groupCommit) return (await this.#db.query(sql, [...params])).rows;
    return await new Promise<unknown[]>((resolve, reject) => {
      this.#queue.push({ sql, params, resolve, reject });
      // Flush on the next turn of the event loop, so writes issued by concurrent requests in this
      // turn share one commit; writes arriving during a flush go to the following batch.
      this.#flushing ??= new Promise<void>((done) => setImmediate(done)).then(() => this.#drain());
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#flushing;
    await this.#db.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreUnavailableError({ cause: new Error('The store is closed.') });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      await this.#runBatch(batch);
    }
    this.#flushing = null;
  }

  async #runBatch(batch: QueuedWrite[]): Promise<void> {
    if (batch.length === 1) {
      await this.#runAlone(batch[0] as QueuedWrite);
      return;
    }
    let results: unknown[][];
    try {
      results = await this.#db.transaction(async (tx) => {
        const out: unknown[][] = [];
        for (const job of batch) out.push((await tx.query(job.sql, [...job.params])).rows);
        return out;
      });
    } catch {
      // Rolled back as a whole: nothing of the batch is stored. Re-run each statement on its own so
      // only the failing one's caller sees the error.
      for (const job of batch) await this.#runAlone(job);
      return;
    }
    batch.forEach((job, i) => job.resolve(results[i] ?? []));
  }

  async #runAlone(job: QueuedWrite): Promise<void> {
    try {
      job.resolve((await this.#db.query(job.sql, [...job.params])).rows);
    } catch (error) {
      job.reject(error);
    }
  }
}
