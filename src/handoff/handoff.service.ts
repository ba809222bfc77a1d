/**
 * The handoff operations behind the GraphQL layer (docs/architecture.md, "Handoff lifecycle"): a
 * `signalContact` is stored PENDING and committed before CXone is called, then signalled in the
 * background (`signal-attempt.ts`) while the caller waits up to `waitMs`; the outcome (SIGNALED or
 * FAILED) is recorded whenever it comes. PENDING rows whose replica died are finished by the retry
 * worker (`retry-worker.ts`). Idempotency rules live in `idempotency.ts`.
 *
 * Leases: a row is leased to the replica working it (`leaseMs`, longer than the attempt budget, so a
 * live attempt never loses its row).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Logger } from '../common/logger.js';
import { MAX_PAGE_SIZE, RETRYABLE_HANDOFF_ERROR_CODES } from '../common/vocabulary.js';
import { type NiceClient, type NiceTenant } from '../nice/types.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { HandoffNotFoundError, NotRetryableError } from './errors.js';
import { inputHash, replayOf } from './idempotency.js';
import { type Handoff, type HandoffOperations, type HandoffPage, type HandoffQuery, type ScreenPopLookup, type SignalRequest } from './model.js';
import { type HandoffEvents, type HandoffStore, toHandoff, toHandoffOrNull } from './ports.js';
import { RetryWorker } from './retry-worker.js';
import { handoffLog, SignalAttempts } from './signal-attempt.js';
import { assertRetryable } from './signal-outcome.js';

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
  /** Largest `first` of a page (default `MAX_PAGE_SIZE`). */
  readonly maxPageSize?: number;
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

/** The handoff domain behind the GraphQL layer; see the file comment for the lifecycle. */
export class HandoffService implements HandoffOperations {
  readonly #store: HandoffStore;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #budgetMs: number;
  readonly #leaseMs: number;
  readonly #stopTimeoutMs: number;
  readonly #maxPageSize: number;
  readonly #attempts: SignalAttempts;
  readonly #worker: RetryWorker;
  /** Name of this replica in the `lease_owner` column. */
  readonly replicaId: string;

  constructor(deps: HandoffServiceDeps) {
    const o = deps.options ?? {};
    this.#store = deps.store;
    this.#log = deps.log.child({ component: 'handoff' });
    this.#clock = deps.clock ?? Date.now;
    this.#budgetMs = o.budgetMs ?? 8_000;
    this.#leaseMs = o.leaseMs ?? this.#budgetMs + 10_000;
    this.#stopTimeoutMs = o.stopTimeoutMs ?? 5_000;
    this.#maxPageSize = o.maxPageSize ?? MAX_PAGE_SIZE;
    this.replicaId = o.replicaId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    if (this.#leaseMs <= this.#budgetMs) {
      throw new RangeError(`leaseMs (${this.#leaseMs}) must exceed budgetMs (${this.#budgetMs}), or a live attempt could lose its row.`);
    }
    const events = deps.events ?? {};
    this.#attempts = new SignalAttempts({
      store: deps.store,
      nice: deps.nice,
      tenants: deps.tenants,
      log: this.#log,
      clock: this.#clock,
      events,
      replicaId: this.replicaId,
      waitMs: o.waitMs ?? 3_000,
    });
    this.#worker = new RetryWorker({
      store: deps.store,
      attempts: this.#attempts,
      log: this.#log,
      clock: this.#clock,
      events,
      replicaId: this.replicaId,
      intervalMs: o.workerIntervalMs ?? 500,
      batch: o.workerBatch ?? 50,
      leaseMs: this.#leaseMs,
      budgetMs: this.#budgetMs,
      maxAgeMs: o.maxAgeMs ?? 5 * 60_000,
    });
  }

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
      sharedId: request.sharedId ?? null,
      conversationId: request.conversationId ?? null,
      inputHash: hash,
      leaseOwner: this.replicaId,
      leaseUntil: new Date(now + this.#leaseMs),
      now: new Date(now),
    });
    const log = handoffLog(this.#log, record);
    if (!created) {
      replayOf(record, hash, log);
      // A replay during this replica's own attempt waits for it like the first request did.
      const running = this.#attempts.running(record.id);
      return running === undefined ? toHandoff(record) : await this.#attempts.waitFor(record, running);
    }
    log.info({}, 'handoff accepted');
    this.#attempts.emit(record);
    return await this.#attempts.waitFor(record, this.#attempts.launch(record, now + this.#budgetMs));
  }

  async status(tenantId: string, contactId: string): Promise<Handoff | null> {
    return toHandoffOrNull(await this.#store.latestForContact(tenantId, contactId));
  }

  async get(tenantId: string, id: string): Promise<Handoff | null> {
    return toHandoffOrNull(await this.#store.get(tenantId, id));
  }

  async findForScreenPop(tenantId: string, lookup: ScreenPopLookup): Promise<Handoff | null> {
    return toHandoffOrNull(await this.#store.findForScreenPop(tenantId, lookup));
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
      codes: RETRYABLE_HANDOFF_ERROR_CODES,
    });
    if (reopened === null) {
      // Someone else changed it between our read and the update (e.g. a concurrent retry).
      const latest = await this.#store.get(tenantId, id);
      if (latest === null) throw new HandoffNotFoundError();
      assertRetryable(latest);
      throw new NotRetryableError('This handoff changed while it was being retried; read it again.');
    }
    handoffLog(this.#log, reopened).info({ lastErrorCode: current.lastError?.code }, 'handoff retried');
    this.#attempts.emit(reopened);
    return await this.#attempts.waitFor(reopened, this.#attempts.launch(reopened, now + this.#budgetMs));
  }

  /** Starts the retry worker. */
  start(): void {
    this.#worker.start();
  }

  /**
   * Stops claiming rows and waits up to `stopTimeoutMs` for in-flight attempts; the ones still
   * running are then aborted and their rows released, PENDING, for the next worker to claim.
   */
  async stop(): Promise<void> {
    await this.#worker.stop();
    await this.#attempts.drain(this.#stopTimeoutMs);
  }
}
