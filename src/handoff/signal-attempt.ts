/**
 * One attempt at signalling CXone for a handoff, and the registry of attempts in flight on this
 * replica. An attempt is one `nice.signal` call (with the client's own retries within the deadline)
 * followed by the write of its outcome: SIGNALED, FAILED, or (when aborted by shutdown) the row
 * released PENDING for the next worker.
 *
 * Progress and outcome writes are fenced by the lease owner (this replica), so a replica that lost
 * its lease cannot overwrite what the new owner records.
 */
import { errorSummary } from '../common/error-summary.js';
import { type Logger } from '../common/logger.js';
import { withTimeout } from '../common/timeout.js';
import { UnreachableCaseError } from '../common/unreachable.js';
import { type NiceClient, type NiceTenant } from '../nice/types.js';
import { type Handoff, type HandoffError } from './model.js';
import { type HandoffEvents, type HandoffRecord, type HandoffStore, toHandoff, toHandoffOrNull } from './ports.js';
import { type AttemptOutcome, failureError, progressError, readNiceFailure } from './signal-outcome.js';

export interface SignalAttemptsDeps {
  readonly store: HandoffStore;
  readonly nice: NiceClient;
  /** CXone settings of a tenant; undefined when the tenant is not (or no longer) configured. */
  readonly tenants: (tenantId: string) => NiceTenant | undefined;
  /** The handoff component's logger. */
  readonly log: Logger;
  readonly clock: () => number;
  readonly events: HandoffEvents;
  /** This replica's name in leases: the owner every write is fenced by. */
  readonly replicaId: string;
  /** How long a caller waits for an attempt before answering with the stored state. */
  readonly waitMs: number;
}

interface InFlight {
  readonly promise: Promise<Handoff>;
  readonly controller: AbortController;
}

/** Log bindings of a handoff: ids only, never params or context (they may hold personal data). */
export function handoffLog(log: Logger, record: Pick<Handoff, 'id' | 'tenantId' | 'contactId'>): Logger {
  return log.child({ handoffId: record.id, tenantId: record.tenantId, contactId: record.contactId });
}

export class SignalAttempts {
  readonly #d: SignalAttemptsDeps;
  readonly #inFlight = new Map<string, InFlight>();

  constructor(deps: SignalAttemptsDeps) {
    this.#d = deps;
  }

  /** Attempts running on this replica. */
  get size(): number {
    return this.#inFlight.size;
  }

  /** The running attempt of a handoff, if this replica is working it. */
  running(id: string): Promise<Handoff> | undefined {
    return this.#inFlight.get(id)?.promise;
  }

  /** Runs an attempt in the background; the promise never rejects and ends with the handoff as recorded. */
  launch(record: HandoffRecord, deadline: number): Promise<Handoff> {
    const controller = new AbortController();
    const promise = this.#attempt(record, deadline, controller.signal).finally(() => this.#inFlight.delete(record.id));
    this.#inFlight.set(record.id, { promise, controller });
    return promise;
  }

  /** Waits for the attempt up to `waitMs`; then answers with the handoff as stored at that moment. */
  async waitFor(record: HandoffRecord, attempt: Promise<Handoff>): Promise<Handoff> {
    const result = await withTimeout(attempt, this.#d.waitMs);
    if (result.done) return result.value;
    return toHandoffOrNull(await this.#d.store.get(record.tenantId, record.id).catch(() => null)) ?? toHandoff(record);
  }

  /**
   * Waits up to `timeoutMs` for the attempts in flight; the ones still running are then aborted
   * (their rows released PENDING) and given at most a second more.
   */
  async drain(timeoutMs: number): Promise<void> {
    const running = [...this.#inFlight.values()];
    const all = Promise.allSettled(running.map((r) => r.promise));
    if ((await withTimeout(all, timeoutMs)).done) return;
    this.#d.log.warn({ inFlight: running.length }, 'stopping: aborting attempts still in flight; their rows stay PENDING');
    for (const r of running) r.controller.abort();
    await withTimeout(all, Math.min(timeoutMs, 1_000));
  }

  /** Tells the observers about a committed version of a handoff; a throwing observer is logged, never propagated. */
  emit(record: HandoffRecord): void {
    try {
      this.#d.events.handoffChanged?.(toHandoff(record));
    } catch (error) {
      handoffLog(this.#d.log, record).warn({ err: errorSummary(error) }, 'a handoffChanged listener threw');
    }
  }

  /** Records the outcome; on a store failure the row stays PENDING and leased, and the worker redoes it. */
  async finish(record: HandoffRecord, outcome: AttemptOutcome): Promise<Handoff> {
    const { store, replicaId } = this.#d;
    const log = handoffLog(this.#d.log, record);
    const now = new Date(this.#d.clock());
    try {
      let updated: HandoffRecord | null;
      switch (outcome.kind) {
        case 'signaled':
          updated = await store.complete(record.id, replicaId, { state: 'SIGNALED', attempts: outcome.attempts, lastError: null, signaledAt: now, now });
          break;
        case 'failed':
          updated = await store.complete(record.id, replicaId, { state: 'FAILED', attempts: outcome.attempts, lastError: outcome.error, signaledAt: null, now });
          break;
        case 'abandoned':
          await store.release(record.id, replicaId, now);
          log.info({}, 'attempt aborted; handoff left PENDING for the next worker');
          return toHandoff(record);
        case 'deferred': {
          const progressed = await store.recordProgress(record.id, replicaId, { attempts: outcome.attempts, lastError: outcome.error, now });
          await store.release(record.id, replicaId, now, outcome.notBefore);
          log.info({ attempts: outcome.attempts, notBefore: outcome.notBefore.toISOString() }, 'circuit breaker open; handoff left PENDING until its cool-down ends');
          if (progressed === null) return toHandoffOrNull(await store.get(record.tenantId, record.id)) ?? toHandoff(record);
          this.emit(progressed);
          return toHandoff(progressed);
        }
        default:
          throw new UnreachableCaseError(outcome);
      }
      if (updated === null) {
        log.warn({ outcome: outcome.kind }, 'lease lost before the outcome was recorded; another replica owns the handoff');
        return toHandoffOrNull(await store.get(record.tenantId, record.id)) ?? toHandoff(record);
      }
      if (updated.state === 'SIGNALED') log.info({ attempts: updated.attempts }, 'handoff signaled');
      else log.warn({ attempts: updated.attempts, code: updated.lastError?.code, upstreamStatus: updated.lastError?.upstreamStatus }, 'handoff failed');
      this.emit(updated);
      return toHandoff(updated);
    } catch (error) {
      log.error({ err: errorSummary(error), outcome: outcome.kind }, 'could not record the outcome; the retry worker will redo the handoff');
      return toHandoff(record);
    }
  }

  async #attempt(record: HandoffRecord, deadline: number, signal: AbortSignal): Promise<Handoff> {
    const tenant = this.#d.tenants(record.tenantId);
    if (tenant === undefined) {
      // The tenant was removed from config: no credentials will ever make this succeed, and an
      // operator must act, so it is final (not retryable) rather than left PENDING forever.
      const error: HandoffError = {
        code: 'CXONE_AUTH_FAILED',
        message: 'The gateway has no CXone settings for this tenant.',
        upstreamStatus: null,
        at: new Date(this.#d.clock()),
      };
      return await this.finish(record, { kind: 'failed', attempts: record.attempts, error });
    }
    const base = record.attempts;
    // Progress writes are chained so they land in order, and awaited before the outcome is written.
    let progress = Promise.resolve();
    let outcome: AttemptOutcome;
    try {
      const result = await this.#d.nice.signal(tenant, record.contactId, record.params, {
        deadline,
        signal,
        onRetry: ({ error, attempt }) => {
          const lastError = progressError(error, new Date(this.#d.clock()));
          progress = progress.then(() => this.#recordProgress(record, base + attempt, lastError));
        },
      });
      outcome = { kind: 'signaled', attempts: base + result.attempts };
    } catch (error) {
      if (signal.aborted) {
        outcome = { kind: 'abandoned' };
      } else {
        const failure = readNiceFailure(error);
        const at = this.#d.clock();
        outcome =
          failure.code === 'CXONE_CIRCUIT_OPEN'
            ? // Nothing was sent; the worker takes it up again once the breaker lets a request through.
              { kind: 'deferred', attempts: base + (failure.attempts ?? 1), error: progressError(error, new Date(at)), notBefore: new Date(at + (failure.retryAfterMs ?? 0)) }
            : { kind: 'failed', attempts: base + (failure.attempts ?? 1), error: failureError(failure, new Date(at)) };
      }
    }
    await progress;
    return await this.finish(record, outcome);
  }

  async #recordProgress(record: HandoffRecord, attempts: number, lastError: HandoffError): Promise<void> {
    try {
      const updated = await this.#d.store.recordProgress(record.id, this.#d.replicaId, { attempts, lastError, now: new Date(this.#d.clock()) });
      if (updated !== null) this.emit(updated);
    } catch (error) {
      // Best effort: the outcome write that follows is what matters.
      handoffLog(this.#d.log, record).warn({ err: errorSummary(error) }, 'could not record retry progress');
    }
  }
}
