/**
 * The embedded store: PGlite (PostgreSQL compiled to WASM) in a data directory, no server to run.
 *
 * PGlite is one connection inside this process and shares the event loop with everything else.
 * Measured here, its cost per statement is the protocol round trip into WASM (≈ 150-200 µs for a
 * parameterised statement), not the commit: wrapping statements in one transaction alone gains
 * little. Writes are therefore group-committed *and* sent as one message: statements arriving in
 * the same turn of the event loop (or while a batch runs) are rendered with their parameters as
 * quoted literals and run as one multi-statement simple query, which PostgreSQL executes as a single
 * implicit transaction. A caller's promise resolves only after that commit, so durability per write
 * is unchanged. When any statement fails, the whole batch rolls back and its statements re-run one
 * by one as ordinary parameterised queries, so a failing statement fails only its own caller.
 *
 * Reads and lone writes take the same one-message path, and every statement is a server-side
 * prepared statement. PGlite's `query()` sends the extended protocol as six separate calls into
 * WASM (parse, describe, bind, describe, execute, sync), each parsed back in JavaScript, and
 * PostgreSQL parses and plans the statement every time. Here each distinct statement is `PREPARE`d
 * once, and runs as `EXECUTE name(literals…)` in one simple query: the arguments are coerced to the
 * parameter types PostgreSQL inferred, as with bound parameters, and the rows come back in the same
 * text format, parsed by type. Measured on a 20-column row: ≈ 440 µs of CPU per `query()`, ≈ 150 µs
 * per `EXECUTE`. A statement whose parameters cannot be rendered, or that fails, runs (again)
 * through `query()`, so its caller sees PostgreSQL's error for the statement as written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { StoreUnavailableError } from '../handoff/errors.js';
import { type Logger } from '../common/logger.js';
import { type HandoffStore } from '../handoff/ports.js';
import { dataDirError, type DataDirLock, lockDataDir } from './data-dir-lock.js';
import { runMigrations } from './migrations.js';
import { type SqlExecutor, SqlHandoffStore } from './sql-handoff-store.js';

/**
 * `pg`'s own quoting, from its small utils module: importing `pg` itself would load the whole
 * PostgreSQL driver (≈ 60 ms at start) into a gateway that runs on PGlite.
 */
const { escapeLiteral } = createRequire(import.meta.url)('pg/lib/utils.js') as { escapeLiteral: (text: string) => string };

/** Options of the embedded store. */
export interface PgliteStoreOptions {
  /** Directory of the database files; created (initdb, ≈ 5 s, in a worker thread) on first open. */
  readonly dataDir: string;
  /** Most statements one group commit may hold (default 256). */
  readonly maxBatch?: number;
  /** PostgreSQL `shared_buffers` (default 16MB, which bounds the store's resident memory). */
  readonly sharedBuffers?: string;
  /** Turns group commit off (one autocommit transaction per write); for benchmarks and tests. */
  readonly groupCommit?: boolean;
}

/**
 * PostgreSQL's default 128MB of shared buffers lives in PGlite's WASM memory, which never shrinks:
 * once touched under load it is resident for good (≈ 100 MB of RSS). One single-connection store
 * of small rows is served as fast from 16MB.
 */
const DEFAULT_SHARED_BUFFERS = '16MB';

/**
 * Opens (creating if needed) the embedded database and applies pending migrations. The directory is
 * locked for this process first (see `data-dir-lock.ts`): a second process is refused, naming the
 * owner's pid. Problems with the directory itself are reported with its path and cause.
 */
export async function openPgliteStore(options: PgliteStoreOptions, deps: { readonly log: Logger }): Promise<HandoffStore> {
  const lock = await lockDataDir(options.dataDir);
  const dataDir = resolve(options.dataDir);
  let db: PGlite | undefined;
  try {
    const postgresqlconf = [`shared_buffers=${options.sharedBuffers ?? DEFAULT_SHARED_BUFFERS}`];
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      await createDataDir(dataDir, postgresqlconf).catch((error: unknown) => {
        throw pgliteError(dataDir, 'cannot be initialised', error);
      });
    }
    // PGlite writes postgresql.conf on every open it is given settings; an unchanged file is left
    // alone, so a start writes only what PostgreSQL itself must (its WAL and data files).
    const settings = currentConf(dataDir) === postgresqlconf.join('\n') ? {} : { postgresqlconf };
    try {
      db = new PGlite(dataDir, settings);
      await db.waitReady;
    } catch (error) {
      throw pgliteError(dataDir, 'cannot be opened', error);
    }
    const opened = db;
    const applied = await runMigrations({
      query: async (sql, params) => await opened.query(sql, params),
      exec: async (sql) => await opened.exec(sql),
    });
    if (applied.length > 0) deps.log.info({ store: 'pglite', migrations: applied }, 'store migrations applied');
    return new SqlHandoffStore(new PgliteExecutor(opened, options.maxBatch ?? 256, options.groupCommit ?? true, lock));
  } catch (error) {
    await db?.close().catch(() => undefined);
    await lock.release();
    throw error;
  }
}

function currentConf(dataDir: string): string | null {
  try {
    return readFileSync(join(dataDir, 'postgresql.conf'), 'utf8');
  } catch {
    return null;
  }
}

/**
 * PGlite's own failures read badly (`#<ErrnoError>`, `Aborted(). Build with -sASSERTIONS`): name the
 * directory and, when there is one, the file-system cause.
 */
function pgliteError(dataDir: string, what: string, error: unknown): Error {
  const errno = (error as { code?: unknown; errno?: unknown } | undefined)?.code;
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno)) return dataDirError(dataDir, what, error);
  const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
  const detail = /^Aborted\(/.test(message) || message.includes('ErrnoError') ? 'PGlite aborted: the files are unreadable, damaged or not a PGlite data directory' : message;
  return new Error(`DATA_DIR ${dataDir} ${what} (${detail}).`, { cause: error });
}

/**
 * The worker that creates a data directory. Inline (`eval`), so the same code runs from `dist/` and
 * from the TypeScript sources under vitest; it imports PGlite from the file URL the main thread
 * resolved, since an eval'd worker has no module of its own to resolve from.
 */
const CREATE_DATA_DIR_WORKER = `
const { workerData } = require('node:worker_threads');
import(workerData.pgliteUrl).then(async ({ PGlite }) => {
  const db = new PGlite(workerData.dataDir, { postgresqlconf: workerData.postgresqlconf });
  await db.waitReady;
  await db.close();
});
`;

/**
 * Creates a new data directory (initdb) in a worker thread. initdb touches ≈ 700 MB of PGlite's
 * WASM memory, which a WASM instance never gives back; run in this thread it stayed resident until a
 * major GC, if ever (measured: 735 MB of RSS). The worker's isolate, and that memory, are freed when
 * it exits. The store then opens the directory like any existing one (≈ 0.1 s more, once).
 */
async function createDataDir(dataDir: string, postgresqlconf: readonly string[]): Promise<void> {
  const pgliteUrl = pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite')).href;
  const worker = new Worker(CREATE_DATA_DIR_WORKER, { eval: true, workerData: { pgliteUrl, dataDir, postgresqlconf: [...postgresqlconf] } });
  await new Promise<void>((resolve, reject) => {
    let failure: unknown;
    worker.once('error', (error) => {
      failure = error;
    });
    worker.once('exit', (code) => {
      if (failure === undefined && code === 0) resolve();
      else reject(failure ?? new Error(`Creating the PGlite data directory ${dataDir} failed (worker exit code ${code}).`));
    });
  });
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
  /** Prepared statement name by SQL text; null when PREPARE failed (the statement runs unprepared). */
  readonly #prepared = new Map<string, Promise<string | null>>();
  #closed = false;
  readonly #lock: DataDirLock;

  constructor(db: PGlite, maxBatch: number, groupCommit: boolean, lock: DataDirLock) {
    this.#db = db;
    this.#lock = lock;
    this.#maxBatch = maxBatch;
    this.#groupCommit = groupCommit;
  }

  async read(sql: string, params: readonly unknown[]): Promise<unknown[]> {
    this.#assertOpen();
    // PGlite runs a query only between transactions, so a read never sees a batch half-written.
    const script = await this.#executeScript(sql, params);
    if (script !== null) {
      try {
        const results = await this.#db.exec(script);
        if (results.length === 1) return (results[0] as { rows: unknown[] }).rows;
      } catch {
        // Re-run below, parameterised, for the error as the statement was written.
      }
    }
    return (await this.#db.query(sql, [...params])).rows;
  }

  /** `EXECUTE name(literals…)` of the statement, prepared on first use; null when it cannot be. */
  async #executeScript(sql: string, params: readonly unknown[]): Promise<string | null> {
    let name = this.#prepared.get(sql);
    if (name === undefined) {
      const candidate = `cxgw_${this.#prepared.size + 1}`;
      name = this.#db.exec(`PREPARE ${candidate} AS ${sql}`).then(
        () => candidate,
        () => null,
      );
      this.#prepared.set(sql, name);
    }
    const prepared = await name;
    if (prepared === null) return null;
    try {
      return params.length === 0 ? `EXECUTE ${prepared}` : `EXECUTE ${prepared}(${params.map(sqlLiteral).join(', ')})`;
    } catch {
      return null;
    }
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
    try {
      await this.#db.close();
    } finally {
      await this.#lock.release();
    }
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
    let results: unknown[][];
    try {
      // One statement is its own implicit transaction; several commit together.
      const statements: string[] = [];
      for (const job of batch) {
        const statement = await this.#executeScript(job.sql, job.params);
        if (statement === null) throw new Error('A statement of the batch cannot run prepared.');
        statements.push(statement);
      }
      const script = statements.join(';\n');
      results = (await this.#db.exec(script)).map((r) => r.rows);
      if (results.length !== batch.length) throw new Error('Batch returned an unexpected number of results.');
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

/**
 * A parameter as an SQL literal for `EXECUTE name(…)`, which PostgreSQL coerces to the prepared
 * statement's parameter type exactly as it would a bound parameter. Strings are quoted by `pg`'s
 * `escapeLiteral` (the driver's own quoting: quotes doubled, and an `E'…'` literal with backslashes
 * doubled when the text holds any), never by hand. A value this cannot render exactly throws, which
 * sends the statement down the parameterised path, so its caller gets PostgreSQL's own answer for
 * the value as written: a NUL (C strings end there, and PostgreSQL text cannot hold one), a lone
 * UTF-16 surrogate (it has no UTF-8 form and would be stored altered), a non-finite number, an object.
 */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return textLiteral(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('Non-finite number parameter.');
    return String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return textLiteral(value.toISOString());
  if (Array.isArray(value)) {
    return `ARRAY[${value
      .map((item) => {
        if (typeof item !== 'string') throw new TypeError('Only arrays of strings are supported.');
        return textLiteral(item);
      })
      .join(', ')}]`;
  }
  throw new TypeError(`Unsupported parameter type: ${typeof value}.`);
}

function textLiteral(text: string): string {
  if (text.includes('\0')) throw new TypeError('NUL in a text parameter.');
  if (!text.isWellFormed()) throw new TypeError('A lone surrogate in a text parameter.');
  return escapeLiteral(text);
}
