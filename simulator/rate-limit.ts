/**
 * Per-business-unit rate limit of the Signal API, as CXone applies one (docs/simulator.md, "Rate
 * limit"): a token bucket refilled at `perSecond` up to `burst`, read on the simulator's injected
 * clock, so tests move time instead of sleeping. A signal that finds the bucket empty is answered
 * 429, with `Retry-After` only when the limit says so (CXone often sends none).
 */
import { z } from 'zod';

/** A rate limit as seeded (`businessUnits[].rateLimit`) or set (`PUT /_sim/rate-limits/{bu}`). */
export const rateLimitSchema = z.strictObject({
  /** Signals per second refilled into the bucket. */
  perSecond: z.number().positive().max(100_000),
  /** Bucket size (the largest burst); default: `perSecond`, rounded up. */
  burst: z.number().int().positive().max(1_000_000).optional(),
  /** Seconds sent in `Retry-After` with each 429; omitted: no `Retry-After` header. */
  retryAfterSeconds: z.number().int().min(0).max(3_600).optional(),
});
export type RateLimitSpec = z.output<typeof rateLimitSchema>;

/** A business unit's limit and what it did, as `GET /_sim/rate-limits` lists it. */
export interface RateLimitView {
  readonly businessUnit: string;
  readonly limit: RateLimitSpec | null;
  /** Signal requests that reached the limit check (authenticated), accepted or not. */
  readonly received: number;
  /** Of those, answered 429 by the limit. */
  readonly throttled: number;
}

interface Bucket {
  spec: RateLimitSpec | null;
  tokens: number;
  /** Clock reading of the last refill; null until the first request (the bucket starts full). */
  refilledAt: number | null;
  received: number;
  throttled: number;
}

/** The buckets of every business unit; counters survive a limit change, `reset` restores the seed. */
export class RateLimits {
  readonly #seeded: ReadonlyMap<string, RateLimitSpec | undefined>;
  #buckets = new Map<string, Bucket>();

  constructor(seeded: ReadonlyMap<string, RateLimitSpec | undefined>) {
    this.#seeded = seeded;
    this.reset();
  }

  reset(): void {
    this.#buckets = new Map();
    for (const [unit, spec] of this.#seeded) this.#buckets.set(unit, this.#fresh(spec ?? null));
  }

  /** Sets (or with null removes) a unit's limit; the bucket starts full. */
  set(businessUnit: string, spec: RateLimitSpec | null): RateLimitView {
    const bucket = this.#bucket(businessUnit);
    Object.assign(bucket, { spec, tokens: spec === null ? 0 : capacity(spec), refilledAt: null });
    return view(businessUnit, bucket);
  }

  list(): RateLimitView[] {
    return [...this.#buckets].map(([unit, bucket]) => view(unit, bucket));
  }

  /**
   * Counts one signal request of `businessUnit` and takes a token: undefined when it may proceed,
   * otherwise the `Retry-After` seconds to send (null for none).
   */
  take(businessUnit: string, now: number): { readonly retryAfterSeconds: number | null } | undefined {
    const bucket = this.#bucket(businessUnit);
    bucket.received += 1;
    const { spec } = bucket;
    if (spec === null) return undefined;
    const elapsed = bucket.refilledAt === null ? 0 : Math.max(0, now - bucket.refilledAt);
    bucket.tokens = Math.min(capacity(spec), bucket.tokens + (elapsed * spec.perSecond) / 1000);
    bucket.refilledAt = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    bucket.throttled += 1;
    return { retryAfterSeconds: spec.retryAfterSeconds ?? null };
  }

  #bucket(businessUnit: string): Bucket {
    let bucket = this.#buckets.get(businessUnit);
    if (bucket === undefined) {
      bucket = this.#fresh(null);
      this.#buckets.set(businessUnit, bucket);
    }
    return bucket;
  }

  #fresh(spec: RateLimitSpec | null): Bucket {
    return { spec, tokens: spec === null ? 0 : capacity(spec), refilledAt: null, received: 0, throttled: 0 };
  }
}

const capacity = (spec: RateLimitSpec): number => spec.burst ?? Math.ceil(spec.perSecond);

function view(businessUnit: string, bucket: Bucket): RateLimitView {
  return { businessUnit, limit: bucket.spec, received: bucket.received, throttled: bucket.throttled };
}
