/**
 * Retention: handoffs hold caller data (params, context) and calls the caller's SIP `From`, so
 * neither is kept for ever. Each replica runs this worker on its own timer: a pass deletes, in
 * bounded batches, the SIGNALED and FAILED handoffs whose last change is older than the retention,
 * then the calls older than it that no remaining handoff refers to (`HandoffStore.purgeExpiredHandoffs`,
 * `purgeExpiredCalls`).
 * PENDING handoffs are never deleted, whatever their age: the retry worker owns them, and it ends
 * every one within its max age (5 min), after which the row is FAILED and ages like any other.
 *
 * Replicas need no coordination: each batch locks the rows it deletes with `FOR UPDATE SKIP
 * LOCKED`, so two passes at the same moment delete disjoint rows and neither waits (an advisory lock
 * would let one replica idle while the other works, and would hold a session across a pool). A pass
 * stops after `maxBatches` batches so that a large backlog (retention just turned on, or shortened)
 * never holds the store for long: the next pass follows after `backlogIntervalMs` rather than the
 * usual interval, until the backlog is gone.
 *
 * The cut-off is the service's clock minus the retention, never the database's `now()` (like every
 * time in the store), so a test moves it with a fake clock.
 */
import { errorSummary } from '../common/error-summary.js';
import { type Logger } from '../common/logger.js';
import { type HandoffEvents, type HandoffStore, type PurgedRows } from './ports.js';

/** When and how much the retention worker purges; every field has a default. */
export interface RetentionSchedule {
  /** Delay of the first pass after `start()` (default 60 s: out of the way of start-up). */
  readonly firstPassAfterMs: number;
  /** Delay between passes (default 1 h). */
  readonly intervalMs: number;
  /** Delay of the next pass when the last one stopped at `maxBatches` with rows left (default 5 s). */
  readonly backlogIntervalMs: number;
  /**
   * Most rows one batch deletes (default 200). The embedded store runs a batch on this event loop:
   * measured on PGlite, 100 rows take ≈ 5 ms (median) and 500 rows ≈ 30 ms, up to 120 ms cold.
   */
  readonly batchSize: number;
  /** Most batches of one pass (default 50: up to 10,000 rows). */
  readonly maxBatches: number;
}

export const DEFAULT_RETENTION_SCHEDULE: RetentionSchedule = {
  firstPassAfterMs: 60_000,
  intervalMs: 60 * 60_000,
  backlogIntervalMs: 5_000,
  batchSize: 200,
  maxBatches: 50,
};

/** What `RetentionWorker` is built from. */
export interface RetentionWorkerDeps {
  readonly store: HandoffStore;
  readonly log: Logger;
  /** Epoch milliseconds. */
  readonly clock: () => number;
  readonly events: HandoffEvents;
  /** How long a finished handoff (from its last change) and a call (from its INVITE) are kept. */
  readonly retainMs: number;
  readonly schedule?: Partial<RetentionSchedule>;
}

/** The outcome of one pass: rows deleted, and whether rows may be left (it stopped at its batch cap). */
export interface RetentionPass extends PurgedRows {
  readonly backlog: boolean;
}

export class RetentionWorker {
  readonly #d: RetentionWorkerDeps;
  readonly #schedule: RetentionSchedule;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;

  constructor(deps: RetentionWorkerDeps) {
    this.#d = deps;
    this.#schedule = { ...DEFAULT_RETENTION_SCHEDULE, ...deps.schedule };
    this.#log = deps.log.child({ component: 'retention' });
    if (!(deps.retainMs > 0)) throw new RangeError(`retainMs (${deps.retainMs}) must be positive; turn retention off by not starting the worker.`);
  }

  /** Schedules the first pass, then one after each pass ends (unref'd timers: they never keep the process alive). */
  start(): void {
    if (this.#timer !== null || this.#running !== null || this.#stopped) return;
    this.#plan(this.#schedule.firstPassAfterMs);
  }

  /** Stops scheduling; a pass under way stops after its current batch, and this resolves when it has. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /**
   * One pass: batches of handoffs until one deletes fewer than `batchSize`, then batches of calls
   * likewise, until `maxBatches` batches ran or the worker is stopped. Store failures end the pass with a warning (the next pass
   * tries again); they never reject.
   */
  async pass(): Promise<RetentionPass> {
    const { batchSize, maxBatches } = this.#schedule;
    const before = new Date(this.#d.clock() - this.#d.retainMs);
    let handoffs = 0;
    let calls = 0;
    let backlog = false;
    // Every expired handoff first, then the calls: a call is deleted only once no handoff of its
    // contact is left, so scanning calls while their handoffs still wait would read the same
    // referenced calls again in every batch.
    let table: 'handoffs' | 'calls' = 'handoffs';
    try {
      for (let batch = 0; !this.#stopped; batch++) {
        if (batch === maxBatches) {
          backlog = true;
          break;
        }
        // Each batch commits on its own and is reported at once: a later failure loses no count.
        if (table === 'handoffs') {
          const deleted = await this.#d.store.purgeExpiredHandoffs({ before, limit: batchSize });
          handoffs += deleted;
          if (deleted > 0) this.#d.events.purged?.({ handoffs: deleted, calls: 0 });
          if (deleted < batchSize) table = 'calls';
        } else {
          const deleted = await this.#d.store.purgeExpiredCalls({ before, limit: batchSize });
          calls += deleted;
          if (deleted > 0) this.#d.events.purged?.({ handoffs: 0, calls: deleted });
          if (deleted < batchSize) break;
        }
        // Let requests in between batches (the embedded store shares this event loop).
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      this.#log.warn({ err: errorSummary(error), handoffs, calls }, 'retention pass failed; the next pass tries again');
      return { handoffs, calls, backlog: false };
    }
    if (handoffs > 0 || calls > 0) this.#log.info({ handoffs, calls, before: before.toISOString(), backlog }, 'retention purged expired rows');
    return { handoffs, calls, backlog };
  }

  #plan(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#running = this.pass().then((outcome) => {
        this.#running = null;
        if (!this.#stopped) this.#plan(outcome.backlog ? this.#schedule.backlogIntervalMs : this.#schedule.intervalMs);
      });
    }, delayMs);
    this.#timer.unref();
  }
}
