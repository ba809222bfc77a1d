/**
 * The time a caller still has: an absolute deadline plus an optional abort signal. Shared work
 * (a single-flight token fetch) runs on its own clock; each caller waits for it only within its
 * own budget.
 */
import { abortedFailure, timeoutFailure, type NiceExchangeKind } from './errors.js';
import { type Clock } from './cxone-http.js';

/** Absolute deadline (epoch ms) and abort signal of one caller. */
export interface Budget {
  readonly deadline: number;
  readonly signal?: AbortSignal | undefined;
}

/** Time for one exchange: the attempt timeout, cut short by the deadline. */
export function exchangeTimeout(budget: Budget, attemptTimeoutMs: number, clock: Clock): number {
  return Math.min(attemptTimeoutMs, budget.deadline - clock.now());
}

/**
 * Waits for `work` within `budget`: rejects with a `CXONE_TIMEOUT` error when the deadline passes
 * first, or an aborted one when the signal fires; `work` itself keeps running for other waiters.
 */
export function within<T>(work: Promise<T>, budget: Budget, clock: Clock, kind: NiceExchangeKind): Promise<T> {
  const remaining = budget.deadline - clock.now();
  if (budget.signal?.aborted === true || remaining <= 0) {
    // This caller stops watching at once; the shared work may still fail later, with nobody else
    // waiting: observe that here, or it is an unhandled rejection (fatal to the process on Node 20).
    work.catch(() => undefined);
    return Promise.reject(budget.signal?.aborted === true ? abortedFailure(kind) : timeoutFailure(kind, 0));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedFailure(kind));
    };
    const timer = setTimeout(() => {
      budget.signal?.removeEventListener('abort', onAbort);
      reject(timeoutFailure(kind, remaining));
    }, remaining);
    budget.signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        clearTimeout(timer);
        budget.signal?.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        budget.signal?.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
