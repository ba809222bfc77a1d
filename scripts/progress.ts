/**
 * Progress lines of the dev launcher: each step prints what it is doing, and while a step runs a
 * "still …" line follows every `tickMs`, so a first start (PGlite's initdb takes ≈ 15 s) never goes
 * quiet. Timers are injected so tests drive it with fake ones.
 */

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Where lines go (console.log in `npm start`). */
  readonly write: (line: string) => void;
  /** Interval of the "still …" lines (default 5000 ms). */
  readonly tickMs?: number;
  /** Clock, epoch milliseconds (default `Date.now`). */
  readonly now?: () => number;
}

/** A progress reporter: `step` starts a step (ending the previous one), `done` ends the last. */
export interface Progress {
  step(message: string): void;
  done(): void;
}

/** The prefix of every progress line, as `scripts/start.mjs` prints its own. */
export const PROGRESS_PREFIX = '[start]';

export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const tickMs = options.tickMs ?? 5_000;
  let ticker: ReturnType<typeof setInterval> | undefined;
  const stop = (): void => {
    if (ticker !== undefined) clearInterval(ticker);
    ticker = undefined;
  };
  return {
    step(message) {
      stop();
      const started = now();
      options.write(`${PROGRESS_PREFIX} ${message}…`);
      ticker = setInterval(() => options.write(`${PROGRESS_PREFIX} still ${message}… ${Math.round((now() - started) / 1000)} s`), tickMs);
      ticker.unref();
    },
    done: stop,
  };
}
