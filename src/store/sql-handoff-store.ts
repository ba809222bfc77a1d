/**
 * The store's SQL, written once and run by both implementations through a `SqlExecutor`: PGlite
 * (group-committed writes) and PostgreSQL (`pg.Pool`). Every statement is a single round trip, so
 * an executor may batch writes from concurrent callers into one transaction.
 */
import { type Call, type CxoneContext, type HandoffError, type ScreenPopLookup } from '../handoff/model.js';
import { type HandoffErrorCode, type HandoffState, isUuid } from '../common/vocabulary.js';
import {
  type HandoffOutcome,
  type HandoffRecord,
  type HandoffStore,
  type ListHandoffs,
  type NewHandoff,
} from '../handoff/ports.js';
import { withChangeNotification } from './handoff-notifications.js';

/** How a store implementation runs one statement. */
export interface SqlExecutor {
  /** A statement that changes nothing; may run outside any batch. */
  read(sql: string, params: readonly unknown[]): Promise<unknown[]>;
  /** A single-statement write; resolves with its rows once committed. */
  write(sql: string, params: readonly unknown[]): Promise<unknown[]>;
  close(): Promise<void>;
}

interface HandoffRow {
  id: string;
  tenant_id: string;
  contact_id: string;
  state: HandoffState;
  params: string[];
  context: unknown;
  idempotency_key: string | null;
  shared_id: string | null;
  conversation_id: string | null;
  input_hash: string;
  attempts: number;
  last_error_code: HandoffErrorCode | null;
  last_error_message: string | null;
  last_error_status: number | null;
  last_error_at: Date | null;
  pending_since: Date;
  lease_owner: string | null;
  lease_until: Date | null;
  next_attempt_at: Date | null;
  created_at: Date;
  updated_at: Date;
  signaled_at: Date | null;
}

interface CallRow {
  tenant_id: string;
  contact_id: string;
  pseudo_number: string;
  from_address: string | null;
  sip_call_id: string | null;
  received_at: Date;
  master_contact_id: string | null;
  cxone_context: CxoneContext | null;
  warnings: string[];
}


// Parameters typed `text` and cast in SQL, so both drivers pass the JSON string through unchanged
// (PGlite would otherwise serialise a string bound to a jsonb parameter as a JSON string literal).
const INSERT_HANDOFF = /* SQL */ `
  INSERT INTO handoffs (id, tenant_id, contact_id, state, params, context, idempotency_key, input_hash, attempts,
                        pending_since, lease_owner, lease_until, next_attempt_at, created_at, updated_at,
                        shared_id, conversation_id)
  VALUES ($1, $2, $3, 'PENDING', $4::text[], $5::text::jsonb, $6, $7, 0, $8, $9, $10, $10, $8, $8, $11::text, $12::text)
  ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
  RETURNING *`;

// Without notifications, the new row is built from the input instead: only `context` comes back,
// as stored (jsonb normalises key order and duplicate keys). Parsing a whole returned row (20
// columns, 5 timestamps) costs the embedded store ≈ 100 µs of CPU per signal.
const INSERT_HANDOFF_LEAN = INSERT_HANDOFF.replace(/RETURNING \*$/, 'RETURNING context');

const SELECT_BY_KEY = /* SQL */ `SELECT * FROM handoffs WHERE tenant_id = $1 AND idempotency_key = $2`;

const SELECT_BY_ID = /* SQL */ `SELECT * FROM handoffs WHERE tenant_id = $1 AND id = $2`;

const SELECT_LATEST_FOR_CONTACT = /* SQL */ `
  SELECT * FROM handoffs WHERE tenant_id = $1 AND contact_id = $2
  ORDER BY created_at DESC, id DESC LIMIT 1`;

// The Handoff API's lookups: each branch walks its own index and keeps its newest row; the newer of
// the two answers. `$3` is the id as a uuid, or null when it is not one (the column would raise).
const SELECT_BY_SHARED_ID = /* SQL */ `
  SELECT * FROM (
    (SELECT * FROM handoffs WHERE tenant_id = $1 AND shared_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1)
    UNION ALL
    (SELECT * FROM handoffs WHERE tenant_id = $1 AND contact_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1)
  ) matched
  ORDER BY created_at DESC, id DESC LIMIT 1`;

const SELECT_BY_CONVERSATION_OR_ID = /* SQL */ `
  SELECT * FROM (
    (SELECT * FROM handoffs WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY created_at DESC, id DESC LIMIT 1)
    UNION ALL
    (SELECT * FROM handoffs WHERE tenant_id = $1 AND id = $3::uuid)
  ) matched
  ORDER BY created_at DESC, id DESC LIMIT 1`;

const LIST = /* SQL */ `
  SELECT * FROM handoffs
  WHERE tenant_id = $1
    AND ($2::text IS NULL OR state = $2::text)
    AND ($3::text IS NULL OR contact_id = $3::text)
    AND ($4::timestamptz IS NULL OR (created_at, id) < ($4::timestamptz, $5::uuid))
  ORDER BY created_at DESC, id DESC
  LIMIT $6`;

const RECORD_PROGRESS = /* SQL */ `
  UPDATE handoffs
  SET attempts = GREATEST(attempts, $3), last_error_code = $4, last_error_message = $5, last_error_status = $6,
      last_error_at = $7, updated_at = $8
  WHERE id = $1 AND state = 'PENDING' AND lease_owner = $2
  RETURNING *`;

const COMPLETE = /* SQL */ `
  UPDATE handoffs
  SET state = $3, attempts = $4, last_error_code = $5, last_error_message = $6, last_error_status = $7,
      last_error_at = $8, signaled_at = $9, updated_at = $10,
      lease_owner = NULL, lease_until = NULL, next_attempt_at = NULL
  WHERE id = $1 AND state = 'PENDING' AND lease_owner = $2
  RETURNING *`;

const RELEASE = /* SQL */ `
  UPDATE handoffs SET lease_owner = NULL, lease_until = NULL, next_attempt_at = $3
  WHERE id = $1 AND state = 'PENDING' AND lease_owner = $2
  RETURNING id`;

// The inner SELECT locks the rows it returns and skips rows another transaction holds; the lock
// re-checks the WHERE against the latest row version, so a row another claimer just leased is not
// taken again.
const CLAIM_DUE = /* SQL */ `
  UPDATE handoffs SET lease_owner = $1, lease_until = $2, next_attempt_at = $2
  WHERE id IN (
    SELECT id FROM handoffs
    WHERE state = 'PENDING' AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
    ORDER BY next_attempt_at
    LIMIT $4
    FOR UPDATE SKIP LOCKED)
  RETURNING *`;

const REOPEN = /* SQL */ `
  UPDATE handoffs
  SET state = 'PENDING', lease_owner = $3, lease_until = $4, next_attempt_at = $4, pending_since = $5,
      updated_at = $5, signaled_at = NULL
  WHERE tenant_id = $1 AND id = $2 AND state = 'FAILED' AND last_error_code = ANY($6::text[])
  RETURNING *`;

// cxone_context is bound as text and cast, like handoffs.context (see INSERT_HANDOFF).
const UPSERT_CALL = /* SQL */ `
  INSERT INTO calls (tenant_id, contact_id, pseudo_number, from_address, sip_call_id, received_at,
                     master_contact_id, cxone_context, warnings)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb, $9::text[])
  ON CONFLICT (tenant_id, contact_id) DO UPDATE
  SET pseudo_number = EXCLUDED.pseudo_number, from_address = EXCLUDED.from_address,
      sip_call_id = EXCLUDED.sip_call_id, received_at = EXCLUDED.received_at,
      master_contact_id = EXCLUDED.master_contact_id, cxone_context = EXCLUDED.cxone_context,
      warnings = EXCLUDED.warnings
  RETURNING *`;

const SELECT_CALL = /* SQL */ `SELECT * FROM calls WHERE tenant_id = $1 AND contact_id = $2`;

// Retention. The inner SELECT locks the rows it picks and skips rows another transaction holds, so
// two replicas purging at once take disjoint rows and neither waits; the lock re-checks the WHERE
// against the latest row version, so a FAILED row that a retryHandoff just reopened (PENDING) is
// left alone. The partial index handoffs_terminal_updated (migration 4) serves the scan: its
// predicate is this WHERE's state test, written the same way. One row back: the count.
const PURGE_HANDOFFS = /* SQL */ `
  WITH purged AS (
    DELETE FROM handoffs WHERE id IN (
      SELECT id FROM handoffs
      WHERE state IN ('SIGNALED', 'FAILED') AND updated_at < $1
      ORDER BY updated_at
      LIMIT $2
      FOR UPDATE SKIP LOCKED)
    RETURNING 1)
  SELECT count(*)::int AS purged FROM purged`;

// A call goes once it is older than the cut-off and no handoff of its contact is left (the worker
// purges the handoffs of the same age first): `Handoff.call` of a retained handoff keeps working.
const PURGE_CALLS = /* SQL */ `
  WITH purged AS (
    DELETE FROM calls WHERE (tenant_id, contact_id) IN (
      SELECT c.tenant_id, c.contact_id FROM calls c
      WHERE c.received_at < $1
        AND NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.tenant_id = c.tenant_id AND h.contact_id = c.contact_id)
      ORDER BY c.received_at
      LIMIT $2
      FOR UPDATE OF c SKIP LOCKED)
    RETURNING 1)
  SELECT count(*)::int AS purged FROM purged`;

/** Options of `SqlHandoffStore`. */
export interface SqlHandoffStoreOptions {
  /**
   * Whether writes that change a handoff also `pg_notify` the change in the same statement (see
   * `handoff-notifications.ts`); the shared PostgreSQL store turns it on so replicas hear of each
   * other's changes.
   */
  readonly notifyChanges?: boolean;
}

/** The `HandoffStore` operations over any executor. */
export class SqlHandoffStore implements HandoffStore {
  readonly #sql: SqlExecutor;
  readonly #statements: { readonly insert: string; readonly progress: string; readonly complete: string; readonly reopen: string };

  constructor(executor: SqlExecutor, options: SqlHandoffStoreOptions = {}) {
    this.#sql = executor;
    const notifying = options.notifyChanges === true ? withChangeNotification : (statement: string) => statement;
    this.#statements = {
      insert: options.notifyChanges === true ? withChangeNotification(INSERT_HANDOFF) : INSERT_HANDOFF_LEAN,
      progress: notifying(RECORD_PROGRESS),
      complete: notifying(COMPLETE),
      reopen: notifying(REOPEN),
    };
  }

  async insertOrGet(h: NewHandoff): Promise<{ record: HandoffRecord; created: boolean }> {
    const inserted = await this.#sql.write(this.#statements.insert, [
      h.id,
      h.tenantId,
      h.contactId,
      [...h.params],
      h.context === undefined || h.context === null ? null : JSON.stringify(h.context),
      h.idempotencyKey,
      h.inputHash,
      h.now,
      h.leaseOwner,
      h.leaseUntil,
      h.sharedId ?? null,
      h.conversationId ?? null,
    ]);
    const row = inserted[0] as Partial<HandoffRow> | undefined;
    if (row !== undefined) return { record: row.id === undefined ? newRecord(h, row.context) : toHandoff(row as HandoffRow), created: true };
    // Conflict on (tenant, key): the row was committed before our INSERT ran, so a new statement sees it.
    const existing = await this.#sql.read(SELECT_BY_KEY, [h.tenantId, h.idempotencyKey]);
    if (existing[0] === undefined) throw new Error('Idempotency conflict without a stored row.');
    return { record: toHandoff(existing[0] as HandoffRow), created: false };
  }

  async get(tenantId: string, id: string): Promise<HandoffRecord | null> {
    // A malformed id is simply not found (the column is uuid; the database would raise).
    if (!isUuid(id)) return null;
    return first(await this.#sql.read(SELECT_BY_ID, [tenantId, id]), toHandoff);
  }

  async latestForContact(tenantId: string, contactId: string): Promise<HandoffRecord | null> {
    return first(await this.#sql.read(SELECT_LATEST_FOR_CONTACT, [tenantId, contactId]), toHandoff);
  }

  async findForScreenPop(tenantId: string, lookup: ScreenPopLookup): Promise<HandoffRecord | null> {
    const rows =
      'sharedId' in lookup
        ? await this.#sql.read(SELECT_BY_SHARED_ID, [tenantId, lookup.sharedId])
        : await this.#sql.read(SELECT_BY_CONVERSATION_OR_ID, [tenantId, lookup.id, isUuid(lookup.id) ? lookup.id : null]);
    return first(rows, toHandoff);
  }

  async list(q: ListHandoffs): Promise<HandoffRecord[]> {
    const rows = await this.#sql.read(LIST, [
      q.tenantId,
      q.state,
      q.contactId,
      q.after?.createdAt ?? null,
      q.after?.id ?? null,
      q.limit,
    ]);
    return rows.map((row) => toHandoff(row as HandoffRow));
  }

  async recordProgress(
    id: string,
    owner: string,
    p: { attempts: number; lastError: HandoffError; now: Date },
  ): Promise<HandoffRecord | null> {
    const e = p.lastError;
    return first(await this.#sql.write(this.#statements.progress, [id, owner, p.attempts, e.code, e.message, e.upstreamStatus, e.at, p.now]), toHandoff);
  }

  async complete(id: string, owner: string, o: HandoffOutcome): Promise<HandoffRecord | null> {
    const e = o.lastError;
    return first(
      await this.#sql.write(this.#statements.complete, [
        id,
        owner,
        o.state,
        o.attempts,
        e?.code ?? null,
        e?.message ?? null,
        e?.upstreamStatus ?? null,
        e?.at ?? null,
        o.signaledAt,
        o.now,
      ]),
      toHandoff,
    );
  }

  async release(id: string, owner: string, now: Date, notBefore?: Date): Promise<boolean> {
    return (await this.#sql.write(RELEASE, [id, owner, notBefore ?? now])).length > 0;
  }

  async claimDue(c: { owner: string; now: Date; leaseUntil: Date; limit: number }): Promise<HandoffRecord[]> {
    const rows = await this.#sql.write(CLAIM_DUE, [c.owner, c.leaseUntil, c.now, c.limit]);
    return rows.map((row) => toHandoff(row as HandoffRow));
  }

  async reopen(
    tenantId: string,
    id: string,
    r: { owner: string; leaseUntil: Date; now: Date; codes: readonly HandoffErrorCode[] },
  ): Promise<HandoffRecord | null> {
    if (!isUuid(id)) return null;
    return first(await this.#sql.write(this.#statements.reopen, [tenantId, id, r.owner, r.leaseUntil, r.now, [...r.codes]]), toHandoff);
  }

  async purgeExpiredHandoffs(p: { before: Date; limit: number }): Promise<number> {
    return purgedCount(await this.#sql.write(PURGE_HANDOFFS, [p.before, p.limit]));
  }

  async purgeExpiredCalls(p: { before: Date; limit: number }): Promise<number> {
    return purgedCount(await this.#sql.write(PURGE_CALLS, [p.before, p.limit]));
  }

  async upsertCall(call: Call): Promise<Call> {
    const rows = await this.#sql.write(UPSERT_CALL, [
      call.tenantId,
      call.contactId,
      call.pseudoNumber,
      call.from,
      call.sipCallId,
      call.receivedAt,
      call.masterContactId,
      call.cxoneContext === null ? null : JSON.stringify(call.cxoneContext),
      [...call.warnings],
    ]);
    const row = rows[0];
    if (row === undefined) throw new Error('Upsert of a call returned no row.');
    return toCall(row as CallRow);
  }

  async getCall(tenantId: string, contactId: string): Promise<Call | null> {
    return first(await this.#sql.read(SELECT_CALL, [tenantId, contactId]), toCall);
  }

  /**
   * Readiness: runs the reads the gateway serves (the latest handoff of a contact, a call), by the
   * same statements and indexes, for a key that matches nothing. `SELECT 1` answered while a damaged
   * store failed every operation.
   */
  async ping(): Promise<void> {
    await this.#sql.read(SELECT_LATEST_FOR_CONTACT, ['', '']);
    await this.#sql.read(SELECT_CALL, ['', '']);
  }

  async close(): Promise<void> {
    await this.#sql.close();
  }
}

function first<R, T>(rows: unknown[], map: (row: R) => T): T | null {
  return rows[0] === undefined ? null : map(rows[0] as R);
}

function purgedCount(rows: unknown[]): number {
  return (rows[0] as { purged: number } | undefined)?.purged ?? 0;
}

function toHandoff(row: HandoffRow): HandoffRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    contactId: row.contact_id,
    state: row.state,
    params: row.params,
    context: row.context ?? null,
    idempotencyKey: row.idempotency_key,
    sharedId: row.shared_id,
    conversationId: row.conversation_id,
    attempts: row.attempts,
    lastError:
      row.last_error_code === null
        ? null
        : {
            code: row.last_error_code,
            message: row.last_error_message ?? '',
            upstreamStatus: row.last_error_status,
            at: row.last_error_at ?? row.updated_at,
          },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    signaledAt: row.signaled_at,
    inputHash: row.input_hash,
    pendingSince: row.pending_since,
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until,
    nextAttemptAt: row.next_attempt_at,
  };
}

/** The record INSERT_HANDOFF stores for `h` (see its column list), with `context` as stored. */
function newRecord(h: NewHandoff, context: unknown): HandoffRecord {
  return {
    id: h.id,
    tenantId: h.tenantId,
    contactId: h.contactId,
    state: 'PENDING',
    params: [...h.params],
    context: context ?? null,
    idempotencyKey: h.idempotencyKey,
    sharedId: h.sharedId ?? null,
    conversationId: h.conversationId ?? null,
    attempts: 0,
    lastError: null,
    createdAt: h.now,
    updatedAt: h.now,
    signaledAt: null,
    inputHash: h.inputHash,
    pendingSince: h.now,
    leaseOwner: h.leaseOwner,
    leaseUntil: h.leaseUntil,
    nextAttemptAt: h.leaseUntil,
  };
}

function toCall(row: CallRow): Call {
  return {
    tenantId: row.tenant_id,
    contactId: row.contact_id,
    pseudoNumber: row.pseudo_number,
    from: row.from_address,
    sipCallId: row.sip_call_id,
    receivedAt: row.received_at,
    masterContactId: row.master_contact_id,
    cxoneContext: row.cxone_context ?? null,
    warnings: row.warnings,
  };
}
