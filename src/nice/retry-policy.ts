/**
 * The retry policy of a signal (docs/architecture.md, "CXone wire contract"): retryable failures (5xx, 429, timeouts, connection
 * failures) are retried with capped exponential backoff and jitter, waiting at least what
 * `Retry-After` asked, and only while the wait ends before the deadline. Final failures (400, 404,
 * credentials) are not retried.
 *
 * Built on cockatiel 3's `retry()`. Its error filter runs before its backoff, so the filter makes
 * the whole decision (retryable? next delay? still within the deadline?) and a `DelegateBackoff`
 * hands cockatiel the delay chosen. Cockatiel's wait between attempts is a plain timer that an
 * abort signal does not cut short, so `runWithRetries` races it against the caller's signal.
 */
import { DelegateBackoff, ExponentialBackoff, handleWhen, type IBackoff, retry } from 'cockatiel';
import { abortedFailure, isNiceError, type NiceError } from './errors.js';
import { type Clock } from './cxone-http.js';

/** Backoff settings; every field has a default (`DEFAULT_RETRY`). */
export interface RetryConfig {
  /** Longest a signal call may take, retries included, whatever deadline the caller gives. */
  readonly totalMs: number;
  /** First backoff step. */
  readonly baseMs: number;
  /** Largest backoff step (a longer `Retry-After` is still honoured). */
  readonly capMs: number;
  /** Most tries per call, the first included. */
  readonly maxAttempts: number;
}

/** 8 s in total, backoff from 100 ms doubling up to 1 s, at most 10 tries. */
export const DEFAULT_RETRY: RetryConfig = Object.freeze({ totalMs: 8_000, baseMs: 100, capMs: 1_000, maxAttempts: 10 });

/** What `onRetry` is told before each retry. */
export interface RetryEvent {
  readonly error: NiceError;
  /** Tries made so far (1 before the first retry). */
  readonly attempt: number;
  readonly delayMs: number;
}

/** One call's retry settings. */
export interface RetryRun {
  readonly config: RetryConfig;
  readonly deadline: number;
  readonly clock: Clock;
  readonly signal?: AbortSignal | undefined;
  readonly onRetry?: ((event: RetryEvent) => void) | undefined;
}

/** What a retry decision found. */
export type RetryDecision = { readonly retry: true; readonly delayMs: number } | { readonly retry: false; readonly reason: 'final' | 'deadline' | 'attempts' };

/**
 * Decides whether `error` after `attempt` tries is retried and after how long. `backoffMs` is the
 * jittered exponential step for this retry.
 */
export function decideRetry(error: unknown, attempt: number, backoffMs: number, run: Pick<RetryRun, 'config' | 'deadline' | 'clock'>): RetryDecision {
  if (!isNiceError(error) || !error.retryable) return { retry: false, reason: 'final' };
  if (attempt >= run.config.maxAttempts) return { retry: false, reason: 'attempts' };
  const delayMs = Math.max(backoffMs, error.retryAfterMs ?? 0);
  if (run.clock.now() + delayMs >= run.deadline) return { retry: false, reason: 'deadline' };
  return { retry: true, delayMs };
}

/**
 * Runs `attempt` (given the 1-based try number) until it succeeds, fails finally, or a retry would
 * end past the deadline; rejects with the last error.
 */
export async function runWithRetries<T>(attempt: (tryNumber: number) => Promise<T>, run: RetryRun): Promise<T> {
  const { config } = run;
  // Full jitter over a capped exponential step (AWS "Exponential Backoff and Jitter").
  const exponential = new ExponentialBackoff({
    initialDelay: config.baseMs,
    maxDelay: config.capMs,
    generator: (state: number | undefined, options) => {
      const step = state ?? 0;
      return [Math.floor(Math.random() * Math.min(options.maxDelay, options.initialDelay * 2 ** step)), step + 1];
    },
  });
  let steps: IBackoff<unknown> | undefined;
  let tries = 0;
  let plannedDelay = 0;

  const policy = retry(
    handleWhen((error) => {
      steps = steps === undefined ? exponential.next() : steps.next(undefined);
      const decision = decideRetry(error, tries, steps.duration, run);
      if (!decision.retry) return false;
      plannedDelay = decision.delayMs;
      return true;
    }),
    { maxAttempts: Math.max(0, config.maxAttempts - 1), backoff: new DelegateBackoff(() => plannedDelay) },
  );
  policy.onRetry((event) => {
    if ('error' in event && isNiceError(event.error)) run.onRetry?.({ error: event.error, attempt: event.attempt, delayMs: event.delay });
  });

  const controller = new AbortController();
  const execution = policy.execute(() => {
    if (run.signal?.aborted === true || controller.signal.aborted) throw abortedFailure('signal');
    tries += 1;
    return attempt(tries);
  }, controller.signal);
  if (run.signal === undefined) return execution;

  const callerSignal = run.signal;
  // When the caller gives up during a wait, the loop finishes quietly on its own at the next try.
  execution.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      controller.abort();
      reject(abortedFailure('signal'));
    };
    if (callerSignal.aborted) return onAbort();
    callerSignal.addEventListener('abort', onAbort, { once: true });
    execution.then(resolve, reject).finally(() => callerSignal.removeEventListener('abort', onAbort));
  });
}
