/**
 * The handoff state machine (DESIGN §7): a `signalContact` is stored PENDING and committed before
 * CXone is called, then signalled in the background while the caller waits up to `waitMs`; the
 * outcome (SIGNALED or FAILED) is recorded whenever it comes. A retry worker picks up PENDING rows
 * whose lease expired: the replica that accepted them died (or stopped) before recording an outcome.
 *
 * Delivery towards CXone is at least once: a replica that dies between CXone's 2xx and the commit of
 * SIGNALED leaves a PENDING row that another replica signals again once the lease expires.
 *
 * Leases: a row is leased to the replica working it (`leaseMs`, longer than the attempt budget, so a
 * live attempt never loses its row). Outcome and progress writes are fenced by the lease owner, so a
 * replica that lost its lease cannot overwrite what the new owner records.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type NiceClient, type NiceTenant } from '../nice/types.js';
import { type HandoffRecord, type HandoffStore } from '../store/handoff-store.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { HandoffNotFoundError, IdempotencyConflictError, NotRetryableError } from './errors.js';
import {
  type Call,
  type Handoff,
  type HandoffError,
  type HandoffOperations,
  type HandoffPage,
  type HandoffQuery,
  type ParsedInvite,
  type SignalRequest,
} from './handoff.js';
import { inputHash } from './input-hash.js';
import { type Logger } from './logger.js';
import { type AttemptOutcome, failureError, progressError, readNiceFailure, RETRYABLE_CODES } from './signal-outcome.js';

/** Tunables of the service; every one has a default. */
export interface HandoffServiceOptions {
  /** How long `signal`/`retry` wait for CXone before answering PENDING (default 3,000 ms). */
  readonly waitMs?: number;
  /** Time budget of one attempt, retries included: the deadline given to the CXone client (default 8,000 ms). */
  readonly budgetMs?: number;
  /** How often the retry worker looks for abandoned PENDING rows (default 500 ms). */
  readonly workerIntervalMs?: number;
  /** Most rows the worker works at once (default 50). */
  readonly workerBatch?: number;
  /** How long a replica holds a row it works; must exceed `budgetMs` (default `budgetMs` + 10,000 ms). */
  readonly leaseMs?: number;
  /**
   * How long after it became PENDING a row may still be signalled (default 5 minutes). Older rows
   * the worker finds become FAILED with RETRIES_EXHAUSTED without calling CXone: the caller is no
   * longer waiting for a human by then.
   */
  readonly maxAgeMs?: number;
  /** This replica's name in leases (default hostname, pid and a random suffix). */
  readonly replicaId?: string;
  /** How long `stop()` lets in-flight attempts finish before aborting them (default 5,000 ms). */
  readonly stopTimeoutMs?: number;
  /** Largest `first` of a page (default 100). */
  readonly maxPageSize?: number;
}

/** Observers of handoff changes (the subscription feature listens here). */
export interface HandoffEvents {
  /** Called after every committed change of a handoff: creation, retry progress, outcome, retry. */
  handoffChanged?(handoff: Handoff): void;
  /** Called after each retry-worker pass with the number of due PENDING rows it claimed (the backlog gauge). */
  workerPass?(claimed: number): void;
}

/** What `HandoffService` is built from. */
export interface HandoffServiceDeps {
  readonly store: HandoffStore;
  readonly nice: NiceClient;
  /** CXone settings of a tenant; undefined when the tenant is not (or no longer) configured. */
  readonly tenants: (tenantId: string) => NiceTenant | undefined;
  readonly log: Logger;
  /** Epoch milliseconds (default `Date.now`). */
  readonly clock?: () => number;
  readonly events?: HandoffEvents;
  readonly options?: HandoffServiceOptions;
}

interface InFlight {
  readonly promise: Promise<Handoff>;
  readonly controller: AbortController;
}

class UnreachableCaseError extends Error {
  constructor(value: never) {
    super(`Unreachable case: ${JSON.stringify(value)}`);
  }
}

/** The handoff domain behind the GraphQL layer; see the file comment for the lifecycle. */
export class HandoffService implements HandoffOperations {
  readonly #store: HandoffStore;
  readonly #nice: NiceClient;
  readonly #tenants: (tenantId: string) => NiceTenant | undefined;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #events: HandoffEvents;
  readonly #waitMs: number;
  readonly #budgetMs: number;
  readonly #workerIntervalMs: number;
  readonly #workerBatch: number;
  readonly #leaseMs: number;
  readonly #maxAgeMs: number;
  readonly #stopTimeoutMs: number;
  readonly #maxPageSize: number;
  /** Name of this replica in the `lease_owner` column. */
  readonly replicaId: string;

  readonly #inFlight = new Map<string, InFlight>();
  #timer: NodeJS.Timeout | null = null;
  #tick: Promise<void> | null = null;

  constructor(deps: HandoffServiceDeps) {
    const o = deps.options ?? {};
    this.#store = deps.store;
    this.#nice = deps.nice;
    this.#tenants = deps.tenants;
    this.#log = deps.log.child({ component: 'handoff' });
    this.#clock = deps.clock ?? Date.now;
    this.#events = deps.events ?? {};
    this.#waitMs = o.waitMs ?? 3_000;
    this.#budgetMs = o.budgetMs ?? 8_000;
    this.#workerIntervalMs = o.workerIntervalMs ?? 500;
    this.#workerBatch = o.workerBatch ?? 50;
    this.#leaseMs = o.leaseMs ?? this.#budgetMs + 10_000;
    this.#maxAgeMs = o.maxAgeMs ?? 5 * 60_000;
    this.#stopTimeoutMs = o.stopTimeoutMs ?? 5_000;
    this.#maxPageSize = o.maxPageSize ?? 100;
    this.replicaId = o.replicaId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    if (this.#leaseMs <= this.#budgetMs) {
      throw new RangeError(`leaseMs (${this.#leaseMs}) must exceed budgetMs (${this.#budgetMs}), or a live attempt could lose its row.`);
    }
  }

  // ---- HandoffOperations ----------------------------------------------------------------------

  async signal(tenantId: string, request: SignalRequest): Promise<Handoff> {
    const hash = inputHash(request);
    const now = this.#clock();
    const { record, created } = await this.#store.insertOrGet({
      id: randomUUID(),
      tenantId,
      contactId: request.contactId,
      params: request.params,
      context: request.context,
      idempotencyKey: request.idempotencyKey,
      inputHash: hash,
      leaseOwner: this.replicaId,
      leaseUntil: new Date(now + this.#leaseMs),
      now: new Date(now),
    });
    const log = this.#logFor(record);
    if (!created) {
      if (record.inputHash !== hash) {
        log.info({}, 'idempotency key reused with a different input');
        throw new IdempotencyConflictError();
      }
      log.debug({ state: record.state }, 'idempotent replay');
      // A replay during this replica's own attempt waits for it like the first request did.
      const running = this.#inFlight.get(record.id);
      return running === undefined ? toHandoff(record) : await this.#waitFor(record, running.promise);
    }
    log.info({}, 'handoff accepted');
    this.#emit(record);
    return await this.#waitFor(record, this.#launch(record, now + this.#budgetMs));
  }

  async status(tenantId: string, contactId: string): Promise<Handoff | null> {
    return nullable(await this.#store.latestForContact(tenantId, contactId));
  }

  async get(tenantId: string, id: string): Promise<Handoff | null> {
    return nullable(await this.#store.get(tenantId, id));
  }

  async list(tenantId: string, query: HandoffQuery): Promise<HandoffPage> {
    const limit = Math.min(Math.max(Math.trunc(query.first), 1), this.#maxPageSize);
    const rows = await this.#store.list({
      tenantId,
      limit: limit + 1,
      after: query.after === null ? null : decodeCursor(query.after),
      state: query.state,
      contactId: query.contactId,
    });
    const items = rows.slice(0, limit);
    return { items: items.map(toHandoff), cursors: items.map(encodeCursor), hasNextPage: rows.length > limit };
  }

  async retry(tenantId: string, id: string): Promise<Handoff> {
    const current = await this.#store.get(tenantId, id);
    if (current === null) throw new HandoffNotFoundError();
    assertRetryable(current);
    const now = this.#clock();
    const reopened = await this.#store.reopen(tenantId, id, {
      owner: this.replicaId,
      leaseUntil: new Date(now + this.#leaseMs),
      now: new Date(now),
      codes: RETRYABLE_CODES,
    });
    if (reopened === null) {
      // Someone else changed it between our read and the update (e.g. a concurrent retry).
      const latest = await this.#store.get(tenantId, id);
      if (latest === null) throw new HandoffNotFoundError();
      assertRetryable(latest);
      throw new NotRetryableError('This handoff changed while it was being retried; read it again.');
    }
    this.#logFor(reopened).info({ lastErrorCode: current.lastError?.code }, 'handoff retried');
    this.#emit(reopened);
    return await this.#waitFor(reopened, this.#launch(reopened, now + this.#budgetMs));
  }

  async registerCall(tenantId: string, invite: ParsedInvite): Promise<Call> {
    const call = await this.#store.upsertCall({
      tenantId,
      contactId: invite.contactId,
      pseudoNumber: invite.pseudoNumber,
      from: invite.from,
      sipCallId: invite.callId,
      receivedAt: new Date(this.#clock()),
    });
    this.#log.info({ tenantId, contactId: invite.contactId }, 'call registered');
    return call;
  }

  async getCall(tenantId: string, contactId: string): Promise<Call | null> {
    return await this.#store.getCall(tenantId, contactId);
  }

  // ---- retry worker ---------------------------------------------------------------------------

  /** Starts the retry worker (an unref'd timer: it never keeps the process alive on its own). */
  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => {
      this.#tick ??= this.#claimAndRun().finally(() => {
        this.#tick = null;
      });
    }, this.#workerIntervalMs);
    this.#timer.unref();
  }

  /**
   * Stops claiming rows and waits up to `stopTimeoutMs` for in-flight attempts; the ones still
   * running are then aborted and their rows released, PENDING, for the next worker to claim.
   */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#tick;
    const running = [...this.#inFlight.values()];
    const all = Promise.allSettled(running.map((r) => r.promise));
    if ((await withTimeout(all, this.#stopTimeoutMs)).done) return;
    this.#log.warn({ inFlight: running.length }, 'stopping: aborting attempts still in flight; their rows stay PENDING');
    for (const r of running) r.controller.abort();
    await withTimeout(all, Math.min(this.#stopTimeoutMs, 1_000));
  }

  async #claimAndRun(): Promise<void> {
    const room = this.#workerBatch - this.#inFlight.size;
    if (room <= 0) return;
    const now = this.#clock();
    let claimed: HandoffRecord[];
    try {
      claimed = await this.#store.claimDue({ owner: this.replicaId, now: new Date(now), leaseUntil: new Date(now + this.#leaseMs), limit: room });
    } catch (error) {
      this.#log.warn({ err: errorSummary(error) }, 'retry worker could not claim rows; will try again');
      return;
    }
    this.#events.workerPass?.(claimed.length);
    for (const record of claimed) {
      // Only if an attempt outlived its lease (it cannot, with leaseMs > budgetMs); never run one twice.
      if (this.#inFlight.has(record.id)) continue;
      const log = this.#logFor(record);
      const tooOldAt = record.pendingSince.getTime() + this.#maxAgeMs;
      if (tooOldAt <= now) {
        log.warn({ attempts: record.attempts }, 'abandoned handoff is too old to signal');
        await this.#finish(record, { kind: 'failed', attempts: record.attempts, error: tooOld(record, this.#maxAgeMs, new Date(now)) });
        continue;
      }
      log.info({ attempts: record.attempts }, 'retry worker resumes an abandoned handoff');
      // A fresh budget, but never past the row's max age.
      void this.#launch(record, Math.min(now + this.#budgetMs, tooOldAt));
    }
  }

  // ---- one attempt ----------------------------------------------------------------------------

  /** Runs an attempt in the background; the promise never rejects and ends with the handoff as recorded. */
  #launch(record: HandoffRecord, deadline: number): Promise<Handoff> {
    const controller = new AbortController();
    const promise = this.#attempt(record, deadline, controller.signal).finally(() => this.#inFlight.delete(record.id));
    this.#inFlight.set(record.id, { promise, controller });
    return promise;
  }

  async #attempt(record: HandoffRecord, deadline: number, signal: AbortSignal): Promise<Handoff> {
    const tenant = this.#tenants(record.tenantId);
    if (tenant === undefined) {
      // The tenant was removed from config: no credentials will ever make this succeed, and an
      // operator must act, so it is final (not retryable) rather than left PENDING forever.
      const error: HandoffError = {
        code: 'CXONE_AUTH_FAILED',
        message: 'The gateway has no CXone settings for this tenant.',
        upstreamStatus: null,
        at: new Date(this.#clock()),
      };
      return await this.#finish(record, { kind: 'failed', attempts: record.attempts, error });
    }
    const base = record.attempts;
    // Progress writes are chained so they land in order, and awaited before the outcome is written.
    let progress = Promise.resolve();
    let outcome: AttemptOutcome;
    try {
      const result = await this.#nice.signal(tenant, record.contactId, record.params, {
        deadline,
        signal,
        onRetry: ({ error, attempt }) => {
          const lastError = progressError(error, new Date(this.#clock()));
          progress = progress.then(() => this.#recordProgress(record, base + attempt, lastError));
        },
      });
      outcome = { kind: 'signaled', attempts: base + result.attempts };
    } catch (error) {
      if (signal.aborted) {
        outcome = { kind: 'abandoned' };
      } else {
        const failure = readNiceFailure(error);
        outcome = { kind: 'failed', attempts: base + (failure.attempts ?? 1), error: failureError(failure, new Date(this.#clock())) };
      }
    }
    await progress;
    return await this.#finish(record, outcome);
  }

  async #recordProgress(record: HandoffRecord, attempts: number, lastError: HandoffError): Promise<void> {
    try {
      const updated = await this.#store.recordProgress(record.id, this.replicaId, { attempts, lastError, now: new Date(this.#clock()) });
      if (updated !== null) this.#emit(updated);
    } catch (error) {
      // Best effort: the outcome write that follows is what matters.
      this.#logFor(record).warn({ err: errorSummary(error) }, 'could not record retry progress');
    }
  }

  /** Records the outcome; on a store failure the row stays PENDING and leased, and the worker redoes it. */
  async #finish(record: HandoffRecord, outcome: AttemptOutcome): Promise<Handoff> {
    const log = this.#logFor(record);
    const now = new Date(this.#clock());
    try {
      let updated: HandoffRecord | null;
      switch (outcome.kind) {
        case 'signaled':
          updated = await this.#store.complete(record.id, this.replicaId, { state: 'SIGNALED', attempts: outcome.attempts, lastError: null, signaledAt: now, now });
          break;
        case 'failed':
          updated = await this.#store.complete(record.id, this.replicaId, { state: 'FAILED', attempts: outcome.attempts, lastError: outcome.error, signaledAt: null, now });
          break;
        case 'abandoned':
          await this.#store.release(record.id, this.replicaId, now);
          log.info({}, 'attempt aborted; handoff left PENDING for the next worker');
          return toHandoff(record);
        default:
          throw new UnreachableCaseError(outcome);
      }
      if (updated === null) {
        log.warn({ outcome: outcome.kind }, 'lease lost before the outcome was recorded; another replica owns the handoff');
        return nullable(await this.#store.get(record.tenantId, record.id)) ?? toHandoff(record);
      }
      if (updated.state === 'SIGNALED') log.info({ attempts: updated.attempts }, 'handoff signaled');
      else log.warn({ attempts: updated.attempts, code: updated.lastError?.code, upstreamStatus: updated.lastError?.upstreamStatus }, 'handoff failed');
      this.#emit(updated);
      return toHandoff(updated);
    } catch (error) {
      log.error({ err: errorSummary(error), outcome: outcome.kind }, 'could not record the outcome; the retry worker will redo the handoff');
      return toHandoff(record);
    }
  }

  /** Waits for the attempt up to `waitMs`; then answers with the handoff as stored at that moment. */
  async #waitFor(record: HandoffRecord, attempt: Promise<Handoff>): Promise<Handoff> {
    const result = await withTimeout(attempt, this.#waitMs);
    if (result.done) return result.value;
    return nullable(await this.#store.get(record.tenantId, record.id).catch(() => null)) ?? toHandoff(record);
  }

  #emit(record: HandoffRecord): void {
    try {
      this.#events.handoffChanged?.(toHandoff(record));
    } catch (error) {
      this.#logFor(record).warn({ err: errorSummary(error) }, 'a handoffChanged listener threw');
    }
  }

  /** Log bindings of a handoff: ids only, never params or context (they may hold personal data). */
  #logFor(record: Pick<Handoff, 'id' | 'tenantId' | 'contactId'>): Logger {
    return this.#log.child({ handoffId: record.id, tenantId: record.tenantId, contactId: record.contactId });
  }
}

/** Throws `NotRetryableError` telling the user why, unless the handoff is FAILED with a transient cause. */
function assertRetryable(h: Handoff): void {
  switch (h.state) {
    case 'PENDING':
      throw new NotRetryableError('This handoff is still PENDING: the gateway is signalling CXone; wait for the outcome.');
    case 'SIGNALED':
      throw new NotRetryableError('This handoff was already SIGNALED; CXone has it.');
    case 'FAILED':
      break;
    default:
      throw new UnreachableCaseError(h.state);
  }
  const code = h.lastError?.code;
  if (code !== undefined && RETRYABLE_CODES.includes(code)) return;
  switch (code) {
    case 'CXONE_CONTACT_NOT_FOUND':
      throw new NotRetryableError('CXone no longer knows this contact (the call ended or the id is wrong); retrying cannot succeed.');
    case 'CXONE_BAD_REQUEST':
      throw new NotRetryableError('CXone rejected the contact id or params; correct them and signal again as a new handoff.');
    case 'CXONE_AUTH_FAILED':
      throw new NotRetryableError("CXone refused the tenant's credentials or permissions; fix the tenant's CXone settings, then signal again.");
    default:
      throw new NotRetryableError('This handoff failed for a reason a retry cannot fix.');
  }
}

function tooOld(record: HandoffRecord, maxAgeMs: number, at: Date): HandoffError {
  const last = record.lastError;
  return {
    code: 'RETRIES_EXHAUSTED',
    message:
      `Not signalled within ${Math.round(maxAgeMs / 1000)} s of being accepted (the gateway was interrupted)` +
      (last === null ? '.' : `; last cause ${last.code}: ${last.message}`),
    upstreamStatus: last?.upstreamStatus ?? null,
    at,
  };
}

/** The public fields only: leases and hashes stay inside the domain. */
function toHandoff(r: HandoffRecord): Handoff {
  return {
    id: r.id,
    tenantId: r.tenantId,
    contactId: r.contactId,
    state: r.state,
    params: r.params,
    context: r.context,
    idempotencyKey: r.idempotencyKey,
    attempts: r.attempts,
    lastError: r.lastError,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    signaledAt: r.signaledAt,
  };
}

function nullable(r: HandoffRecord | null): Handoff | null {
  return r === null ? null : toHandoff(r);
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<{ done: true; value: T } | { done: false }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ done: false }>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), ms);
  });
  try {
    return await Promise.race([promise.then((value) => ({ done: true as const, value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Name, code and message of an error: enough to diagnose, without dumping objects that may hold data. */
function errorSummary(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  return { name: error.name, code: (error as { code?: unknown }).code, message: error.message };
}
