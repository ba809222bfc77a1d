/**
 * Change notifications of the shared store (PostgreSQL LISTEN/NOTIFY), so a gateway learns of a
 * handoff change another replica made.
 *
 * The writer: each statement that changes what a client sees of a handoff (insert, retry progress,
 * outcome, reopen) is wrapped so that the same statement also calls `pg_notify` for every row it
 * returns. No extra round trip, and PostgreSQL delivers a notification only when (and if) its
 * transaction commits, in commit order.
 *
 * The payload carries the row's mutable fields (state, attempts, lastError, timestamps) besides its
 * keys, never params or context: a listener rebuilds the exact version that was committed from the
 * payload plus the row's immutable fields, which it loads once per handoff. (Loading the whole row
 * on each notification would return the row as it is *now*, and a PENDING that turned SIGNALED a
 * millisecond later would be reported as SIGNALED twice.) The payload stays far below PostgreSQL's
 * 8,000-byte limit: tenant ids are at most 63 characters, contact ids 20 digits, and the error
 * message is cut to `MAX_NOTIFIED_MESSAGE` characters.
 *
 * The reader: one dedicated connection per gateway that LISTENs, outside the store's pool, and
 * reconnects with capped exponential backoff when it drops. Notifications sent while it is down are
 * lost (PostgreSQL queues them only for live listeners); the gap is logged.
 */
import type pg from 'pg';
import { z } from 'zod';
import { type HandoffChange } from '../handoff/ports.js';
import { HANDOFF_ERROR_CODES, HANDOFF_STATES } from '../common/vocabulary.js';
import { type Logger } from '../common/logger.js';

/** The channel every replica LISTENs on. */
export const HANDOFF_CHANGED_CHANNEL = 'handoff_changed';

/** `application_name` of the LISTEN connection. */
export const LISTENER_APPLICATION_NAME = 'cxone-gateway-listener';

/** Longest `lastError.message` a notification carries (characters; four bytes each at worst). */
export const MAX_NOTIFIED_MESSAGE = 1_000;

/**
 * Wraps a data-modifying statement ending in `RETURNING *` on `handoffs` so it notifies
 * `HANDOFF_CHANGED_CHANNEL` once per returned row. The rows come back as before, plus a `notified`
 * column (void) that row mappers ignore.
 */
export function withChangeNotification(statement: string): string {
  return /* SQL */ `
  WITH changed AS (${statement})
  SELECT changed.*, pg_notify('${HANDOFF_CHANGED_CHANNEL}', json_build_object(
    'tenantId', changed.tenant_id, 'id', changed.id, 'contactId', changed.contact_id,
    'state', changed.state, 'attempts', changed.attempts,
    'lastError', CASE WHEN changed.last_error_code IS NULL THEN NULL ELSE json_build_object(
      'code', changed.last_error_code, 'message', left(changed.last_error_message, ${MAX_NOTIFIED_MESSAGE}),
      'upstreamStatus', changed.last_error_status, 'at', changed.last_error_at) END,
    'updatedAt', changed.updated_at, 'signaledAt', changed.signaled_at)::text) AS notified
  FROM changed`;
}


const timestamp = z.string().transform((text, ctx) => {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) {
    ctx.addIssue({ code: 'custom', message: 'must be a timestamp' });
    return z.NEVER;
  }
  return date;
});

const payloadSchema = z.object({
  tenantId: z.string().min(1),
  id: z.string().min(1),
  contactId: z.string().min(1),
  state: z.enum(HANDOFF_STATES),
  attempts: z.number().int().min(0),
  lastError: z
    .object({
      code: z.enum(HANDOFF_ERROR_CODES),
      message: z.string().nullable(),
      upstreamStatus: z.number().int().nullable(),
      at: timestamp.nullable(),
    })
    .nullable(),
  updatedAt: timestamp,
  signaledAt: timestamp.nullable(),
});

/** Reads a notification payload; null when it is not one this module wrote. */
export function parseHandoffChange(payload: string): HandoffChange | null {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return null;
  }
  return readHandoffChange(json);
}

/** The tenant a parsed payload names, if any: checked before the full validation. */
function tenantOf(json: unknown): unknown {
  return typeof json === 'object' && json !== null ? (json as { tenantId?: unknown }).tenantId : undefined;
}

function readHandoffChange(json: unknown): HandoffChange | null {
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) return null;
  const p = parsed.data;
  return {
    id: p.id,
    tenantId: p.tenantId,
    contactId: p.contactId,
    state: p.state,
    attempts: p.attempts,
    lastError:
      p.lastError === null
        ? null
        : { code: p.lastError.code, message: p.lastError.message ?? '', upstreamStatus: p.lastError.upstreamStatus, at: p.lastError.at ?? p.updatedAt },
    updatedAt: p.updatedAt,
    signaledAt: p.signaledAt,
  };
}

/** Options of `listenForHandoffChanges`. */
export interface HandoffChangeListenerOptions {
  /** `postgres://...` of the shared store. */
  readonly url: string;
  /** Called for each notification, in the order PostgreSQL delivers them (commit order). */
  readonly onChange: (change: HandoffChange) => void;
  /** Whether changes of a tenant are wanted at all (default: all); others are dropped unparsed. */
  readonly interested?: (tenantId: string) => boolean;
  /** First reconnect delay (default 100 ms); doubles up to `maxBackoffMs` (default 5,000 ms), with jitter. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** How long one connection attempt may take (default 5,000 ms). */
  readonly connectTimeoutMs?: number;
}

/** The running listener. */
export interface HandoffChangeListener {
  /** Whether the LISTEN connection is up right now. */
  readonly connected: boolean;
  /** Stops reconnecting and closes the connection. */
  close(): Promise<void>;
}

/**
 * Opens the dedicated LISTEN connection. Resolves after the first attempt, connected or not: a
 * failed first attempt is retried in the background like a dropped connection.
 */
export async function listenForHandoffChanges(options: HandoffChangeListenerOptions, deps: { readonly log: Logger }): Promise<HandoffChangeListener> {
  const listener = new ReconnectingListener(options, deps.log.child({ component: 'handoff-listener' }));
  await listener.connect();
  return listener;
}

class ReconnectingListener implements HandoffChangeListener {
  readonly #options: HandoffChangeListenerOptions;
  readonly #log: Logger;
  readonly #minBackoffMs: number;
  readonly #maxBackoffMs: number;
  #client: pg.Client | null = null;
  /** Failed connection attempts in a row (drives the backoff). */
  #failures = 0;
  #lostAt: number | null = null;
  #timer: NodeJS.Timeout | null = null;
  #connecting: Promise<void> | null = null;
  #closed = false;

  constructor(options: HandoffChangeListenerOptions, log: Logger) {
    this.#options = options;
    this.#log = log;
    this.#minBackoffMs = options.minBackoffMs ?? 100;
    this.#maxBackoffMs = options.maxBackoffMs ?? 5_000;
  }

  get connected(): boolean {
    return this.#client !== null;
  }

  async connect(): Promise<void> {
    this.#timer = null;
    if (this.#closed) return;
    this.#connecting = this.#attempt().finally(() => {
      this.#connecting = null;
    });
    await this.#connecting;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#connecting;
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => undefined);
  }

  async #attempt(): Promise<void> {
    // The driver is loaded on first use: `withChangeNotification` above is imported by the SQL store
    // that PGlite mode runs too, which never needs pg (≈ 65 ms of start-up).
    const { default: driver } = await import('pg');
    const client = new driver.Client({
      connectionString: this.#options.url,
      connectionTimeoutMillis: this.#options.connectTimeoutMs ?? 5_000,
      keepAlive: true,
      // Lets an operator find (and a test cut) this connection in pg_stat_activity.
      application_name: LISTENER_APPLICATION_NAME,
    });
    let listening = false;
    let lost = false;
    const onLost = (error?: Error & { code?: string }): void => {
      if (lost) return;
      lost = true;
      if (this.#client === client) this.#client = null;
      if (!listening) this.#failures += 1;
      client.end().catch(() => undefined);
      if (this.#closed) return;
      this.#lostAt ??= Date.now();
      this.#log.warn(
        { err: error ? { message: error.message, code: error.code } : undefined, failures: this.#failures },
        'handoff change listener disconnected; reconnecting (changes other replicas make meanwhile are not reported)',
      );
      this.#schedule();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => {
      if (message.channel !== HANDOFF_CHANGED_CHANNEL || message.payload === undefined) return;
      let json: unknown;
      try {
        json = JSON.parse(message.payload);
      } catch {
        json = undefined;
      }
      // Most changes concern tenants nobody on this replica subscribes to: drop those unvalidated.
      const tenantId = tenantOf(json);
      if (typeof tenantId === 'string' && this.#options.interested?.(tenantId) === false) return;
      const change = readHandoffChange(json);
      if (change === null) {
        this.#log.warn({ channel: message.channel }, 'ignored a handoff change notification that is not in the expected shape');
        return;
      }
      this.#options.onChange(change);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${HANDOFF_CHANGED_CHANNEL}`);
    } catch (error) {
      onLost(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (lost) return;
    if (this.#closed) {
      lost = true;
      await client.end().catch(() => undefined);
      return;
    }
    listening = true;
    this.#client = client;
    this.#failures = 0;
    if (this.#lostAt !== null) this.#log.info({ downMs: Date.now() - this.#lostAt }, 'handoff change listener reconnected');
    this.#lostAt = null;
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== null) return;
    const ceiling = Math.min(this.#maxBackoffMs, this.#minBackoffMs * 2 ** Math.min(this.#failures, 16));
    // Half fixed, half random: replicas that lost the server together do not return in step.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.#timer = setTimeout(() => void this.connect(), delay);
    this.#timer.unref();
  }
}
