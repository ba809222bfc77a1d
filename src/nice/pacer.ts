/**
 * Paces a tenant's Signal API requests at the rate CXone was seen to admit, once CXone has
 * throttled them (docs/reliability.md, "Throttling and the circuit breaker").
 *
 * CXone limits requests per business unit and often answers 429 without `Retry-After`, and it does
 * not publish the limit. (A 429 with `Retry-After` says when to come back, and the retry policy
 * follows it; it does not move the pace.) So a tenant starts unpaced; at its first 429 after CXone
 * admitted some of its requests, the pace becomes what CXone admitted over the second before the
 * refused request was sent (the limit, seen from here; counted by send time, so a starved process
 * that reads the answers late still sees that second), and from then on every Signal API request
 * of the tenant takes the next free slot at that pace. The pace then follows CXone the way TCP
 * follows a link (additive increase, multiplicative decrease): each admitted request raises it by
 * `1 / pace` (about one request per second, per second, while it is used in full), and a 429 to a
 * request sent at the current pace cuts it to `decrease` × itself, at most once per pace change.
 * A 429 to a request sent before the last cut says nothing new about this pace; one to a request
 * sent before the tenant was paced may only raise the first estimate, when answers still arriving
 * show that the same second admitted more. After `forgetAfterMs` with neither a 429 nor a request
 * the pace held back (booked a later slot, or told to come back), the tenant is unpaced again: a
 * pace still holding handoffs back is in use, and forgetting it would send their backlog unpaced
 * (RFC 7661 likewise keeps TCP's window while it is used, and lets it decay only when idle).
 *
 * A request whose slot would leave less than `minExchangeMs` before its caller's deadline is not
 * booked: the caller is told when its turn would be (`Paced.retryAt`) and the handoff waits in the
 * store, PENDING, for the retry worker, instead of holding a connection and a slot it cannot use.
 * One replica's pace is its own; N replicas sharing one business unit each converge on a share.
 */
import { type Clock } from './cxone-http.js';

/** Pacer settings; every field has a default (`DEFAULT_PACING`). */
export interface PacingConfig {
  /** Slowest pace, requests per second. */
  readonly minPerSecond: number;
  /** Fastest pace before the tenant counts as unpaced again, requests per second. */
  readonly maxPerSecond: number;
  /** Factor a 429 at the current pace multiplies it by. */
  readonly decrease: number;
  /** Time without a 429, and without a request the pace held back, after which the tenant is unpaced. */
  readonly forgetAfterMs: number;
}

/**
 * One request a second at the slowest; cut by 30 % on a 429 (CUBIC's factor); forgotten 10 s after
 * the last 429 and the last request it held back (the window of NICE's SDK breaker: a limit unseen
 * for that long is learnt again at the cost of one second's 429s).
 */
export const DEFAULT_PACING: PacingConfig = Object.freeze({ minPerSecond: 1, maxPerSecond: 1_000, decrease: 0.7, forgetAfterMs: 10_000 });

/** The window over which admitted requests are counted to find CXone's limit. */
const WINDOW_MS = 1_000;

/**
 * How long admissions are kept. A 429 is compared with what CXone admitted over the second before
 * that request was sent, and on a starved process its answer may be read seconds after; the
 * admissions of that second must still be there (an attempt lasts at most its timeout).
 */
const HISTORY_MS = 10_000;

/**
 * A slot: send at `sendAt` (now or later). Or no slot before the deadline: try again at `retryAt`;
 * `admitting` says whether CXone admitted any of the tenant's requests sent in the second before
 * its latest refused one, or since (by send time, like the estimate: a late read changes nothing).
 */
export type PaceDecision = { readonly sendAt: number; readonly paced: boolean; readonly generation: number } | { readonly retryAt: number; readonly admitting: boolean };

interface TenantPace {
  /** Requests per second; `null` while unpaced. */
  perSecond: number | null;
  /** Earliest time of the next slot. */
  nextSlot: number;
  /** When the tenant became paced: 429s to requests sent before it were sent unpaced. */
  pacedSince: number;
  /** The send time of the request whose 429 set the first estimate: the estimate is of the second before it. */
  estimatedAt: number;
  /** When `perSecond` was last set or cut: answers to requests sent before it describe an older pace. */
  changedAt: number;
  /** Counts sets, cuts and lifts of the pace: a slot booked under an older one is booked again. */
  generation: number;
  /** The latest of the last 429 and the time the last request the pace held back was due (its booked slot, or when it was told to come back). */
  inUseUntil: number;
  /** Send time of the latest request CXone answered 429 (without `Retry-After`). */
  lastRefusedSentAt: number;
  /** Send times, in order, of the requests CXone admitted that were sent within the last `HISTORY_MS` or two (trimmed in batches). */
  readonly admitted: number[];
}

/** The pace of every tenant, created on first use. */
export class TenantPacers {
  readonly #config: PacingConfig;
  readonly #clock: Clock;
  readonly #onPace: (tenantId: string, perSecond: number | null) => void;
  readonly #byTenant = new Map<string, TenantPace>();

  constructor(config: PacingConfig, clock: Clock, onPace: (tenantId: string, perSecond: number | null) => void = () => undefined) {
    this.#config = config;
    this.#clock = clock;
    this.#onPace = onPace;
  }

  /**
   * The tenant's pace generation. A request that waited for a slot booked under an older generation
   * books again: slots booked ahead at a pace CXone then cut would otherwise all still go out.
   */
  generation(tenantId: string): number {
    return this.#byTenant.get(tenantId)?.generation ?? 0;
  }

  /** A tenant's pace in requests per second, or `null` while it is unpaced. */
  pace(tenantId: string): number | null {
    const tenant = this.#byTenant.get(tenantId);
    if (tenant === undefined) return null;
    this.#maybeForget(tenantId, tenant, this.#clock.now());
    return tenant.perSecond;
  }

  /**
   * Books the tenant's next slot if it leaves `minExchangeMs` before `deadline`. Unpaced tenants
   * send at once.
   */
  reserve(tenantId: string, deadline: number, minExchangeMs: number): PaceDecision {
    const now = this.#clock.now();
    const tenant = this.#byTenant.get(tenantId);
    if (tenant === undefined) return { sendAt: now, paced: false, generation: 0 };
    this.#maybeForget(tenantId, tenant, now);
    if (tenant.perSecond === null) return { sendAt: now, paced: false, generation: tenant.generation };
    const slot = Math.max(now, tenant.nextSlot);
    if (slot > now) tenant.inUseUntil = Math.max(tenant.inUseUntil, slot);
    if (slot + minExchangeMs > deadline) {
      return { retryAt: slot, admitting: countSince(tenant.admitted, tenant.lastRefusedSentAt - WINDOW_MS) > 0 };
    }
    tenant.nextSlot = slot + 1000 / tenant.perSecond;
    return { sendAt: slot, paced: true, generation: tenant.generation };
  }

  /**
   * CXone admitted a request sent at `sentAt` (answered it below 500, 429 aside). Admissions are
   * counted by when they were sent, not answered: a stalled event loop that reads a second's
   * answers at once must not make CXone look faster than it is.
   */
  admitted(tenantId: string, sentAt: number = this.#clock.now()): void {
    const now = this.#clock.now();
    const tenant = this.#tenant(tenantId);
    insertSorted(tenant.admitted, sentAt);
    this.#trimHistory(tenant, now);
    if (tenant.perSecond !== null && tenant.perSecond < this.#config.maxPerSecond) {
      this.#set(tenantId, tenant, Math.min(this.#config.maxPerSecond, tenant.perSecond + 1 / tenant.perSecond), now, false);
    }
  }

  /** CXone answered 429, without `Retry-After`, to a request sent at `sentAt`. */
  throttled(tenantId: string, sentAt: number): void {
    const now = this.#clock.now();
    const tenant = this.#tenant(tenantId);
    tenant.inUseUntil = Math.max(tenant.inUseUntil, now);
    tenant.lastRefusedSentAt = Math.max(tenant.lastRefusedSentAt, sentAt);
    this.#trimHistory(tenant, now);
    if (tenant.perSecond === null) {
      const seen = this.#admittedPerSecond(tenant, sentAt);
      // A 429 with nothing admitted says CXone refuses this tenant, not at what rate it would admit
      // it: that is for the retry policy and the breaker. Otherwise the limit as seen from here is
      // what CXone admitted over the second before this request was sent.
      if (seen === 0) return;
      this.#set(tenantId, tenant, Math.max(this.#config.minPerSecond, seen), now, true);
      tenant.pacedSince = now;
      tenant.estimatedAt = sentAt;
      tenant.nextSlot = now;
    } else if (sentAt < tenant.pacedSince) {
      // Sent unpaced, answered after the first estimate: answers still arriving then may show that
      // the same second admitted more. Only that second counts: later ones, on a starved process,
      // can bunch more sends into one second of its clock than CXone admits in one of its own.
      const seen = this.#admittedPerSecond(tenant, tenant.estimatedAt);
      if (seen > tenant.perSecond && tenant.changedAt === tenant.pacedSince) this.#set(tenantId, tenant, seen, tenant.changedAt, true);
    } else if (sentAt >= tenant.changedAt) {
      this.#set(tenantId, tenant, Math.max(this.#config.minPerSecond, tenant.perSecond * this.#config.decrease), now, true);
      // The slots booked at the old pace are given up (their requests book again at the new one),
      // and the next one is a whole new interval away: CXone just refused one.
      tenant.nextSlot = now + 1000 / tenant.perSecond;
    }
    // Otherwise sent at a pace since cut: that cut already answered it.
  }

  #tenant(tenantId: string): TenantPace {
    let tenant = this.#byTenant.get(tenantId);
    if (tenant === undefined) {
      tenant = { perSecond: null, nextSlot: 0, pacedSince: 0, estimatedAt: 0, changedAt: 0, generation: 0, inUseUntil: 0, lastRefusedSentAt: 0, admitted: [] };
      this.#byTenant.set(tenantId, tenant);
    }
    return tenant;
  }

  /** Sets the pace (`null`: unpaced); `announce` reports it (increases happen per answer, so only cuts, estimates and forgetting are reported). */
  #set(tenantId: string, tenant: TenantPace, perSecond: number | null, changedAt: number, announce: boolean): void {
    tenant.perSecond = perSecond;
    if (announce) {
      tenant.changedAt = changedAt;
      tenant.generation += 1;
      this.#onPace(tenantId, perSecond);
    }
  }

  /**
   * What CXone admitted over the second before `sentAt`, by send time, not over the second before
   * the answer was read: a starved process reads answers late, and the second before now would
   * look empty.
   */
  #admittedPerSecond(tenant: TenantPace, sentAt: number): number {
    return countBetween(tenant.admitted, sentAt - WINDOW_MS, sentAt) * (1000 / WINDOW_MS);
  }

  /**
   * Drops admissions sent before the history, and keeps at most `maxPerSecond` per second of it;
   * in batches (once the oldest is a whole history old, or the count twice the cap), so a busy
   * tenant does not shift the array on every answer.
   */
  #trimHistory(tenant: TenantPace, now: number): void {
    const times = tenant.admitted;
    const cap = this.#config.maxPerSecond * (HISTORY_MS / WINDOW_MS);
    if (times.length <= 2 * cap && (times.length === 0 || times[0]! > now - 2 * HISTORY_MS)) return;
    let drop = 0;
    while (drop < times.length && times[drop]! <= now - HISTORY_MS) drop += 1;
    drop = Math.max(drop, times.length - cap);
    if (drop > 0) times.splice(0, drop);
  }

  #maybeForget(tenantId: string, tenant: TenantPace, now: number): void {
    if (tenant.perSecond !== null && now - tenant.inUseUntil >= this.#config.forgetAfterMs) this.#set(tenantId, tenant, null, now, true);
  }
}

/** Inserts `time` into the ascending `times` (answers come back nearly in send order: scan from the end). */
function insertSorted(times: number[], time: number): void {
  let at = times.length;
  while (at > 0 && times[at - 1]! > time) at -= 1;
  times.splice(at, 0, time);
}

/** How many of the ascending `times` are in (`from`, `to`]. */
function countBetween(times: readonly number[], from: number, to: number): number {
  let count = 0;
  for (let at = times.length - 1; at >= 0 && times[at]! > from; at -= 1) if (times[at]! <= to) count += 1;
  return count;
}

/** How many of the ascending `times` are after `from`. */
function countSince(times: readonly number[], from: number): number {
  return countBetween(times, from, Number.POSITIVE_INFINITY);
}
