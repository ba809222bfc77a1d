/**
 * The shared store: PostgreSQL through a `pg.Pool`, so N gateway replicas share handoffs and the
 * retry worker's claims (`FOR UPDATE SKIP LOCKED`).
 *
 * When the server goes away, queries reject with `StoreUnavailableError` (the GraphQL layer answers
 * SERVICE_UNAVAILABLE) and the pool recovers by itself once it is back: idle clients that die emit
 * `error` on the pool, which is logged rather than left to crash the process, and are replaced by
 * fresh connections on the next query.
 */
import pg from 'pg';
import { StoreUnavailableError } from '../handoff/errors.js';
import { type Logger } from '../common/logger.js';
import { type HandoffStore } from '../handoff/ports.js';
import { runMigrations } from './migrations.js';
import { type SqlExecutor, SqlHandoffStore } from './sql-handoff-store.js';

/** Options of the shared store. */
export interface PostgresStoreOptions {
  /** `postgres://user:pass@host:port/db` (DATABASE_URL). */
  readonly url: string;
  /** Most connections this replica opens (default 10). */
  readonly poolSize?: number;
  /** How long a query waits for a connection before failing as unavailable (default 5,000 ms). */
  readonly connectTimeoutMs?: number;
  /**
   * How long a query may wait for the server's answer before failing as unavailable (default
   * 5,000 ms). A server that hangs (frozen, or behind a network partition) refuses nothing, so
   * without it a request would wait on TCP for minutes instead of answering SERVICE_UNAVAILABLE.
   */
  readonly queryTimeoutMs?: number;
  /**
   * Whether handoff writes `pg_notify` their change for other replicas' subscriptions (default
   * true; see `handoff-notifications.ts`).
   */
  readonly notifyChanges?: boolean;
}

/** Connects, applies pending migrations (serialised across replicas) and returns the store. */
export async function openPostgresStore(options: PostgresStoreOptions, deps: { readonly log: Logger }): Promise<HandoffStore> {
  const log = deps.log.child({ store: 'postgres' });
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    // Client side: a timed-out query's connection is released with the error, so the pool drops it.
    query_timeout: options.queryTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
  });
  // Without a listener, an idle client losing its connection (server restart) crashes the process.
  pool.on('error', (error: Error & { code?: string }) => {
    log.warn({ err: { message: error.message, code: error.code } }, 'idle store connection lost; it will be replaced');
  });
  try {
    const client = await pool.connect().catch((error: unknown) => {
      throw translate(error);
    });
    try {
      const applied = await runMigrations({
        query: async (sql, params) => await client.query(sql, params),
        exec: async (sql) => await client.query(sql),
      });
      if (applied.length > 0) log.info({ migrations: applied }, 'store migrations applied');
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw translate(error);
  }
  return new SqlHandoffStore(new PostgresExecutor(pool), { notifyChanges: options.notifyChanges ?? true });
}

class PostgresExecutor implements SqlExecutor {
  readonly #pool: pg.Pool;
  #closed = false;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async read(sql: string, params: readonly unknown[]): Promise<unknown[]> {
    return await this.#query(sql, params);
  }

  async write(sql: string, params: readonly unknown[]): Promise<unknown[]> {
    return await this.#query(sql, params);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  async #query(sql: string, params: readonly unknown[]): Promise<unknown[]> {
    if (this.#closed) throw new StoreUnavailableError({ cause: new Error('The store is closed.') });
    try {
      return (await this.#pool.query(sql, [...params])).rows as unknown[];
    } catch (error) {
      throw translate(error);
    }
  }
}

/** Network error codes of Node sockets that mean "the server is not reachable right now". */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** SQLSTATEs of a server that is shutting down, starting, or out of connections. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '53400']);

// pg reports a dropped connection or a pool timeout as a plain Error without a code.
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'Query read timeout',
];

/** Whether a pg error means the database cannot be reached (rather than a bad statement). */
export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08')) return true;
  }
  return UNAVAILABLE_MESSAGES.some((text) => error.message.includes(text));
}

function translate(error: unknown): unknown {
  if (error instanceof StoreUnavailableError) return error;
  return isConnectionFailure(error) ? new StoreUnavailableError({ cause: error }) : error;
}
