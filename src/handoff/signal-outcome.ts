/**
 * How one attempt at signalling CXone ends, and how a CXone client error becomes a handoff's
 * `lastError`. Errors are read structurally (`code`, `retryable`, `upstreamStatus`, `attempts`,
 * `message`), so the domain depends on the shape `src/nice/errors.ts` promises, not on its class.
 */
import { UnreachableCaseError } from '../common/unreachable.js';
import { CXONE_ERROR_CODES, type HandoffErrorCode, isOneOf, RETRYABLE_HANDOFF_ERROR_CODES } from '../common/vocabulary.js';
import { NotRetryableError } from './errors.js';
import { type Handoff, type HandoffError } from './model.js';

/** The end of one attempt (one `nice.signal` call with its own retries). */
export type AttemptOutcome =
  /** CXone answered 2xx. */
  | { readonly kind: 'signaled'; readonly attempts: number }
  /** A final error, or retries ran out within the budget: the handoff becomes FAILED. */
  | { readonly kind: 'failed'; readonly attempts: number; readonly error: HandoffError }
  /** Aborted by `stop()`: the row stays PENDING, released for the next worker. */
  | { readonly kind: 'abandoned' }
  /**
   * Not sent because the tenant's circuit breaker is open (CXONE_CIRCUIT_OPEN): the row stays
   * PENDING with `error` as its lastError, released for the worker from `notBefore` (the end of
   * the cool-down), so the worker backs off instead of hammering CXone.
   */
  | { readonly kind: 'deferred'; readonly attempts: number; readonly error: HandoffError; readonly notBefore: Date };


/** What the handoff layer reads of a CXone client error. */
export interface NiceFailure {
  readonly code: HandoffErrorCode;
  readonly retryable: boolean;
  readonly upstreamStatus: number | null;
  /** Requests the failed call made, when the error says. */
  readonly attempts: number | null;
  /** How long the client says to wait before trying again, when it says. */
  readonly retryAfterMs?: number | null;
  /** Safe to show (the client's contract); replaced by a generic text for unknown errors. */
  readonly message: string;
}

/**
 * Reads a rejection of `NiceClient.signal`. Anything without a known `code` is an unexpected
 * failure: reported as CXONE_UNAVAILABLE with a generic message (its own message may hold anything).
 */
export function readNiceFailure(error: unknown): NiceFailure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const code = e['code'];
  if (!isOneOf(CXONE_ERROR_CODES, code)) {
    return { code: 'CXONE_UNAVAILABLE', retryable: false, upstreamStatus: null, attempts: null, retryAfterMs: null, message: 'Signalling CXone failed unexpectedly.' };
  }
  const status = e['upstreamStatus'];
  const attempts = e['attempts'];
  const message = e['message'];
  const retryAfterMs = e['retryAfterMs'];
  return {
    code,
    retryable: e['retryable'] === true,
    upstreamStatus: typeof status === 'number' && Number.isInteger(status) ? status : null,
    attempts: typeof attempts === 'number' && Number.isInteger(attempts) && attempts >= 0 ? attempts : null,
    retryAfterMs: typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) && retryAfterMs >= 0 ? retryAfterMs : null,
    message: typeof message === 'string' && message !== '' ? message : `CXone signal failed (${code}).`,
  };
}

/** The `lastError` of a PENDING row while the client retries: the transient cause as it is. */
export function progressError(error: unknown, at: Date): HandoffError {
  const f = readNiceFailure(error);
  return { code: f.code, message: f.message, upstreamStatus: f.upstreamStatus, at };
}

/**
 * The `lastError` of a handoff that ends FAILED. A final error keeps its code. A retryable one
 * means the budget ran out while CXone kept failing: RETRIES_EXHAUSTED naming the last cause,
 * except a timeout, which stays CXONE_TIMEOUT (the caller learns CXone was too slow rather than
 * failing, which is what they need to tell apart).
 */
export function failureError(failure: NiceFailure, at: Date): HandoffError {
  if (!failure.retryable || failure.code === 'CXONE_TIMEOUT') {
    return { code: failure.code, message: failure.message, upstreamStatus: failure.upstreamStatus, at };
  }
  return {
    code: 'RETRIES_EXHAUSTED',
    message: `CXone kept failing until the retry budget was spent; last cause ${failure.code}: ${failure.message}`,
    upstreamStatus: failure.upstreamStatus,
    at,
  };
}

/** Throws `NotRetryableError` telling the user why, unless the handoff is FAILED with a transient cause. */
export function assertRetryable(h: Pick<Handoff, 'state' | 'lastError'>): void {
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
  if (isOneOf(RETRYABLE_HANDOFF_ERROR_CODES, code)) return;
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
