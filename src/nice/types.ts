/**
 * The contract between the gateway and its CXone client. `nice/` knows nothing of GraphQL or of the
 * store: it takes a tenant's CXone settings and talks HTTP to CXone (or the simulator).
 */
import { type CxoneTenantSettings } from '../config/tenant.js';
import { type CxoneErrorCode } from '../common/vocabulary.js';

/** What the client needs to know about a tenant: a stable key for caches and its CXone settings. */
export interface NiceTenant {
  readonly id: string;
  readonly cxone: CxoneTenantSettings;
}

/** Codes of CXone failures, by name (the list itself is `CXONE_ERROR_CODES` in the shared vocabulary). */
export const NiceErrorCode = {
  ContactNotFound: 'CXONE_CONTACT_NOT_FOUND',
  BadRequest: 'CXONE_BAD_REQUEST',
  AuthFailed: 'CXONE_AUTH_FAILED',
  Unavailable: 'CXONE_UNAVAILABLE',
  Throttled: 'CXONE_THROTTLED',
  Timeout: 'CXONE_TIMEOUT',
  CircuitOpen: 'CXONE_CIRCUIT_OPEN',
} as const satisfies Record<string, CxoneErrorCode>;
export type NiceErrorCode = CxoneErrorCode;

/** Options of one `signal` call. */
export interface SignalOptions {
  /** Absolute deadline (epoch ms) for the whole call, retries included. */
  readonly deadline: number;
  /** Aborts the call (e.g. on shutdown). */
  readonly signal?: AbortSignal | undefined;
  /** Called before each retry with the error that caused it, so the caller can record progress. */
  readonly onRetry?: ((info: { readonly error: Error; readonly attempt: number; readonly delayMs: number }) => void) | undefined;
}

/** Outcome of a successful signal. */
export interface SignalResult {
  /** The 2xx status CXone answered. */
  readonly status: number;
  /**
   * Tries made, retries included: each try sends at most one Signal API request (a try can fail
   * earlier, at the token endpoint or discovery), and the re-send after a 401/403 counts as one.
   */
  readonly attempts: number;
}

/** Observability hooks; every member optional so tests can pass nothing. */
export interface NiceHooks {
  /** One upstream HTTP exchange finished (status, or 'error' for a network failure/timeout). */
  onUpstream?(event: { readonly kind: 'token' | 'discovery' | 'signal'; readonly outcome: number | 'error'; readonly ms: number }): void;
  /** A tenant's circuit breaker changed state. */
  onBreaker?(event: { readonly tenantId: string; readonly state: 'closed' | 'half-open' | 'open' }): void;
  /**
   * A signal of a tenant was throttled: CXone answered 429 (`upstream`), the open breaker kept it
   * from being sent (`circuit_open`), or the tenant's pace had no slot for it before its deadline (`paced`).
   */
  onThrottled?(event: { readonly tenantId: string; readonly reason: 'upstream' | 'circuit_open' | 'paced' }): void;
  /** A tenant's pace was set or cut after a 429 (requests per second), or lifted (`null`). */
  onPace?(event: { readonly tenantId: string; readonly perSecond: number | null }): void;
}

/** The CXone client used by the handoff service. */
export interface NiceClient {
  /**
   * Signals a contact with up to 9 params (p1..p9 in order), each at most
   * `MAX_SIGNAL_PARAM_LENGTH` characters (src/common/signal-limits.ts). Resolves on any 2xx; otherwise rejects
   * with a `NiceError` (see `src/nice/errors.ts`) whose `code` is a `NiceErrorCode`, `retryable`
   * says whether a later attempt could succeed, and `attempts` counts the tries made (as in
   * `SignalResult`; 0 when the input was rejected before any).
   */
  signal(tenant: NiceTenant, contactId: string, params: readonly string[], options: SignalOptions): Promise<SignalResult>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}
