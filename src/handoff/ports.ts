/**
 * The ports of the handoff domain: what it needs from the outside, declared here beside the code
 * that calls them, implemented elsewhere (`src/store/` implements `HandoffStore`; the CXone client
 * in `src/nice/` is the other dependency). Nothing here imports an implementation.
 *
 * `HandoffStore` is the durable store of handoffs and calls. Two implementations (PGlite embedded,
 * PostgreSQL shared) run the same SQL (`src/store/sql-handoff-store.ts`) and migrations
 * (`src/store/migrations.ts`). Every write resolves only
 * once it is committed, so the service may call CXone right after `insertOrGet` resolves.
 *
 * Times are passed in by the caller (the service's clock), never taken from the database's `now()`:
 * tests drive leases and ages with a fake clock, and cursors round-trip exactly at millisecond
 * precision. Replicas sharing PostgreSQL therefore need synchronised clocks (NTP); leases are tens
 * of seconds, far above ordinary skew.
 *
 * Failures to reach the database reject with `StoreUnavailableError`.
 */
import { type HandoffErrorCode, type HandoffState } from '../common/vocabulary.js';
import { type Call, type Handoff, type HandoffError, type ScreenPopLookup } from './model.js';

/** A handoff as stored: the domain fields plus what the service needs for idempotency and the worker. */
export interface HandoffRecord extends Handoff {
  /** Hash of the input (contact id, params, context); a replay with a different hash is a conflict. */
  readonly inputHash: string;
  /** When the row last became PENDING (creation, or a `retry`); the worker's max age counts from here. */
  readonly pendingSince: Date;
  /** Replica working the row, while leased. */
  readonly leaseOwner: string | null;
  readonly leaseUntil: Date | null;
  /** Earliest time the retry worker may claim the row (PENDING rows only). */
  readonly nextAttemptAt: Date | null;
}

/** A new PENDING handoff, leased to the replica that will attempt it at once. */
export interface NewHandoff {
  readonly id: string;
  readonly tenantId: string;
  readonly contactId: string;
  readonly params: readonly string[];
  readonly context: unknown;
  readonly idempotencyKey: string | null;
  /** Absent means none. */
  readonly sharedId?: string | null;
  /** Absent means none. */
  readonly conversationId?: string | null;
  readonly inputHash: string;
  readonly leaseOwner: string;
  readonly leaseUntil: Date;
  readonly now: Date;
}

/** Keyset position in the `created_at desc, id desc` order. */
export interface HandoffKey {
  readonly createdAt: Date;
  readonly id: string;
}

export interface ListHandoffs {
  readonly tenantId: string;
  readonly limit: number;
  readonly after: HandoffKey | null;
  readonly state: HandoffState | null;
  readonly contactId: string | null;
}

/** The end of an attempt: SIGNALED or FAILED, releasing the lease. */
export interface HandoffOutcome {
  readonly state: Exclude<HandoffState, 'PENDING'>;
  readonly attempts: number;
  readonly lastError: HandoffError | null;
  readonly signaledAt: Date | null;
  readonly now: Date;
}

export interface HandoffStore {
  /**
   * Inserts the handoff, or returns the one already stored under `(tenantId, idempotencyKey)`
   * (`created: false`); the caller compares `inputHash`. A null key never conflicts.
   */
  insertOrGet(handoff: NewHandoff): Promise<{ readonly record: HandoffRecord; readonly created: boolean }>;
  get(tenantId: string, id: string): Promise<HandoffRecord | null>;
  latestForContact(tenantId: string, contactId: string): Promise<HandoffRecord | null>;
  /**
   * Latest handoff (`created_at desc, id desc`) of the tenant matching a screen-pop lookup: by
   * `sharedId`, a row whose `sharedId` or `contactId` equals it; by `id`, a row whose
   * `conversationId` or handoff id equals it.
   */
  findForScreenPop(tenantId: string, lookup: ScreenPopLookup): Promise<HandoffRecord | null>;
  /** Up to `limit` handoffs after the key, newest first. */
  list(query: ListHandoffs): Promise<HandoffRecord[]>;
  /** Records retry progress on a PENDING row this owner holds; null when the row is no longer ours. */
  recordProgress(id: string, owner: string, progress: { readonly attempts: number; readonly lastError: HandoffError; readonly now: Date }): Promise<HandoffRecord | null>;
  /** Ends an attempt on a PENDING row this owner holds; null when the row is no longer ours. */
  complete(id: string, owner: string, outcome: HandoffOutcome): Promise<HandoffRecord | null>;
  /**
   * Gives a PENDING row back (e.g. on shutdown) so any replica's worker may claim it from `now`,
   * or from `notBefore` when given (the tenant's circuit breaker is open until then).
   */
  release(id: string, owner: string, now: Date, notBefore?: Date): Promise<boolean>;
  /**
   * Leases up to `limit` PENDING rows that are due and whose lease expired, skipping rows another
   * transaction holds (`FOR UPDATE SKIP LOCKED`): two concurrent claimers never get the same row.
   */
  claimDue(claim: { readonly owner: string; readonly now: Date; readonly leaseUntil: Date; readonly limit: number }): Promise<HandoffRecord[]>;
  /** FAILED → PENDING, leased to `owner`, when its last error code is one of `codes`; null otherwise. */
  reopen(
    tenantId: string,
    id: string,
    reopen: { readonly owner: string; readonly leaseUntil: Date; readonly now: Date; readonly codes: readonly HandoffErrorCode[] },
  ): Promise<HandoffRecord | null>;
  /**
   * One retention batch of handoffs (see `retention-worker.ts`): deletes up to `limit` SIGNALED or
   * FAILED handoffs last changed (`updatedAt`) before `before`, and says how many. A PENDING
   * handoff is never deleted. Rows another transaction holds are skipped (`FOR UPDATE SKIP
   * LOCKED`): concurrent purgers (replicas) never delete the same row and never wait for each other
   * or for a writer.
   */
  purgeExpiredHandoffs(purge: { readonly before: Date; readonly limit: number }): Promise<number>;
  /**
   * One retention batch of calls: deletes up to `limit` calls received before `before` that no
   * remaining handoff of their contact refers to, skipping held rows likewise.
   */
  purgeExpiredCalls(purge: { readonly before: Date; readonly limit: number }): Promise<number>;
  /** Inserts or replaces the call facts of `(tenantId, contactId)`. */
  upsertCall(call: Call): Promise<Call>;
  getCall(tenantId: string, contactId: string): Promise<Call | null>;
  /** Resolves when the database answers the store's own reads (handoffs and calls); rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Rows one retention batch deleted, by table. */
export interface PurgedRows {
  readonly handoffs: number;
  readonly calls: number;
}

/** Observers of committed handoff changes (the subscription feed and the metrics listen here). */
export interface HandoffEvents {
  /** Called after every committed change of a handoff: creation, retry progress, outcome, retry. */
  handoffChanged?(handoff: Handoff): void;
  /** Called after each retry-worker pass with the number of due PENDING rows it claimed (the backlog gauge). */
  workerPass?(claimed: number): void;
  /** Called after each retention batch that deleted rows (the purged-rows counter). */
  purged?(rows: PurgedRows): void;
}

/**
 * What a change notification says of a handoff (PostgreSQL mode, see
 * `src/store/handoff-notifications.ts`): its keys and the fields a change can touch. A listener
 * completes it with the handoff's immutable fields.
 */
export type HandoffChange = Pick<Handoff, 'id' | 'tenantId' | 'contactId' | 'state' | 'attempts' | 'lastError' | 'updatedAt' | 'signaledAt'>;

/** The public fields of a stored handoff: leases and hashes stay inside the domain. */
export function toHandoff(r: HandoffRecord): Handoff {
  return {
    id: r.id,
    tenantId: r.tenantId,
    contactId: r.contactId,
    state: r.state,
    params: r.params,
    context: r.context,
    idempotencyKey: r.idempotencyKey,
    sharedId: r.sharedId,
    conversationId: r.conversationId,
    attempts: r.attempts,
    lastError: r.lastError,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    signaledAt: r.signaledAt,
  };
}

/** `toHandoff` of a record that may be missing. */
export function toHandoffOrNull(r: HandoffRecord | null): Handoff | null {
  return r === null ? null : toHandoff(r);
}
