/**
 * The retry worker: picks up PENDING rows whose lease expired (the replica that accepted them died
 * or stopped before recording an outcome) and runs them again. Delivery towards CXone is therefore
 * at least once: a replica that dies between CXone's 2xx and the commit of SIGNALED leaves a
 * PENDING row that another replica signals again once the lease expires.
 *
 * Rows are claimed with `FOR UPDATE SKIP LOCKED` (see `HandoffStore.claimDue`), so two replicas
 * never work the same row; a row older than `maxAgeMs` is failed RETRIES_EXHAUSTED without calling
 * CXone, since the caller is no longer waiting for a human by then.
 */
import { errorSummary } from '../common/error-summary.js';
import { type Logger } from '../common/logger.js';
import { type HandoffError } from './model.js';
import { type HandoffEvents, type HandoffRecord, type HandoffStore } from './ports.js';
import { handoffLog, type SignalAttempts } from './signal-attempt.js';

export interface RetryWorkerDeps {
  readonly store: HandoffStore;
  readonly attempts: SignalAttempts;
  readonly log: Logger;
  readonly clock: () => number;
  readonly events: HandoffEvents;
  readonly replicaId: string;
  readonly intervalMs: number;
  /** Most rows worked at once, the attempts of `signalContact` included. */
  readonly batch: number;
  readonly leaseMs: number;
  /** Budget of one resumed attempt. */
  readonly budgetMs: number;
  readonly maxAgeMs: number;
}

export class RetryWorker {
  readonly #d: RetryWorkerDeps;
  #timer: NodeJS.Timeout | null = null;
  #tick: Promise<void> | null = null;

  constructor(deps: RetryWorkerDeps) {
    this.#d = deps;
  }

  /** Starts the passes (an unref'd timer: it never keeps the process alive on its own). */
  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => {
      this.#tick ??= this.pass().finally(() => {
        this.#tick = null;
      });
    }, this.#d.intervalMs);
    this.#timer.unref();
  }

  /** Stops claiming rows; resolves when a pass under way has claimed what it will. */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#tick;
  }

  /** One pass: claims due rows up to the free room and launches an attempt for each. */
  async pass(): Promise<void> {
    const { store, attempts, clock, replicaId, leaseMs, budgetMs, maxAgeMs } = this.#d;
    const room = this.#d.batch - attempts.size;
    if (room <= 0) return;
    const now = clock();
    let claimed: HandoffRecord[];
    try {
      claimed = await store.claimDue({ owner: replicaId, now: new Date(now), leaseUntil: new Date(now + leaseMs), limit: room });
    } catch (error) {
      this.#d.log.warn({ err: errorSummary(error) }, 'retry worker could not claim rows; will try again');
      return;
    }
    this.#d.events.workerPass?.(claimed.length);
    for (const record of claimed) {
      // Only if an attempt outlived its lease (it cannot, with leaseMs > budgetMs); never run one twice.
      if (attempts.running(record.id) !== undefined) continue;
      const log = handoffLog(this.#d.log, record);
      const tooOldAt = record.pendingSince.getTime() + maxAgeMs;
      if (tooOldAt <= now) {
        log.warn({ attempts: record.attempts }, 'abandoned handoff is too old to signal');
        await attempts.finish(record, { kind: 'failed', attempts: record.attempts, error: tooOld(record, maxAgeMs, new Date(now)) });
        continue;
      }
      log.info({ attempts: record.attempts }, 'retry worker resumes an abandoned handoff');
      // A fresh budget, but never past the row's max age.
      void attempts.launch(record, Math.min(now + budgetMs, tooOldAt));
    }
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
