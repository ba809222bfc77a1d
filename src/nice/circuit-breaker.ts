/**
 * One circuit breaker per tenant around the Signal API request (docs/architecture.md, "CXone wire
 * contract", "Throttling and the circuit breaker"), shared by every signal of that tenant, as
 * NICE's SDK keeps one: cockatiel 3's `CircuitBreakerPolicy` with a `SamplingBreaker` that opens
 * when more than `threshold` of the requests of the last `samplingMs` were throttled (429) or
 * refused (503), once there are at least `minimumRps` of them, and lets one request through (half
 * open) after `halfOpenAfterMs`. While it is open a signal is not sent: it fails at once with
 * `CXONE_CIRCUIT_OPEN` (retryable), whose `retryAfterMs` is the rest of the cool-down.
 *
 * Cockatiel reads `Date.now()` for its windows and the cool-down, so tests drive it with fake timers.
 */
import { BrokenCircuitError, circuitBreaker, CircuitState, ConstantBackoff, handleWhen, type CircuitBreakerPolicy, SamplingBreaker } from 'cockatiel';
import { isNiceError, NiceError } from './errors.js';
import { NiceErrorCode } from './types.js';

/** Breaker settings; every field has a default (`DEFAULT_BREAKER`). */
export interface BreakerConfig {
  /** Share (0..1, exclusive) of throttled or refused requests over `samplingMs` that opens the breaker. */
  readonly threshold: number;
  /** Sampling window. */
  readonly samplingMs: number;
  /**
   * Requests per second (averaged over the window) below which the breaker never opens; cockatiel's
   * own default is 5 failures a second at the threshold (`5 / threshold`, 25 at 0.2).
   */
  readonly minimumRps: number;
  /** Cool-down after opening before one request is let through. */
  readonly halfOpenAfterMs: number;
}

/** NICE SDK's figures: 20 % over 10 s, 10 s cool-down; cockatiel's default minimum rate (25/s at 20 %). */
export const DEFAULT_BREAKER: BreakerConfig = Object.freeze({ threshold: 0.2, samplingMs: 10_000, minimumRps: 25, halfOpenAfterMs: 10_000 });

export type BreakerState = 'closed' | 'half-open' | 'open';

/** Answers that count against the breaker: CXone throttling (429) or refusing service (503). */
export function tripsBreaker(error: unknown): boolean {
  return isNiceError(error) && (error.code === NiceErrorCode.Throttled || (error.code === NiceErrorCode.Unavailable && error.upstreamStatus === 503));
}

interface TenantBreaker {
  readonly policy: CircuitBreakerPolicy;
  openedAt: number;
}

/** The breakers of all tenants, created on first use. */
export class TenantBreakers {
  readonly #config: BreakerConfig;
  readonly #onState: (tenantId: string, state: BreakerState) => void;
  readonly #byTenant = new Map<string, TenantBreaker>();

  constructor(config: BreakerConfig, onState: (tenantId: string, state: BreakerState) => void = () => undefined) {
    this.#config = config;
    this.#onState = onState;
  }

  /** The breaker's state for a tenant (`closed` when it never ran). */
  state(tenantId: string): BreakerState {
    const breaker = this.#byTenant.get(tenantId);
    return breaker === undefined ? 'closed' : toState(breaker.policy.state);
  }

  /** Runs `send` through the tenant's breaker; rejects with `CXONE_CIRCUIT_OPEN` while it is open. */
  async run<T>(tenantId: string, send: () => Promise<T>): Promise<T> {
    const breaker = this.#breaker(tenantId);
    try {
      return await breaker.policy.execute(send);
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw circuitOpen(Math.max(0, breaker.openedAt + this.#config.halfOpenAfterMs - Date.now()));
      throw error;
    }
  }

  #breaker(tenantId: string): TenantBreaker {
    const breaker = this.#byTenant.get(tenantId);
    if (breaker !== undefined) return breaker;
    const { threshold, samplingMs, minimumRps, halfOpenAfterMs } = this.#config;
    const policy = circuitBreaker(handleWhen(tripsBreaker), {
      halfOpenAfter: new ConstantBackoff(halfOpenAfterMs),
      breaker: new SamplingBreaker({ threshold, duration: samplingMs, minimumRps }),
    });
    const created: TenantBreaker = { policy, openedAt: 0 };
    policy.onStateChange((state) => {
      if (state === CircuitState.Open) created.openedAt = Date.now();
      this.#onState(tenantId, toState(state));
    });
    this.#byTenant.set(tenantId, created);
    return created;
  }
}

function toState(state: CircuitState): BreakerState {
  switch (state) {
    case CircuitState.Closed:
      return 'closed';
    case CircuitState.HalfOpen:
      return 'half-open';
    default:
      return 'open';
  }
}

/** The signal was not sent: the tenant's breaker is open. Retryable once the cool-down is over. */
export function circuitOpen(retryAfterMs: number): NiceError {
  return new NiceError({
    kind: 'signal',
    code: NiceErrorCode.CircuitOpen,
    retryable: true,
    retryAfterMs,
    message: `Not sent: CXone throttled or refused too many of this tenant's signals (HTTP 429/503), so the gateway's circuit breaker is open for ${Math.ceil(retryAfterMs / 1000)} s more.`,
  });
}
