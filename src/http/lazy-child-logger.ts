/**
 * fastify gives every request a child logger (`request.log`, bound to its request id), and the
 * GraphQL context a child of that (bound to the tenant). pino builds a child eagerly, serialising its
 * bindings, which measured ≈ 5 % of a `handoffStatus` request's CPU (issue 14), for a request that
 * at the default level writes no line at all. Here a child is made only when something is logged
 * at an enabled level, with the same bindings in the same order, so every line reads as before.
 */
import { type FastifyBaseLogger } from 'fastify';
import { type Bindings, type ChildLoggerOptions, type LogFn } from 'pino';

/** pino's level values; a level not listed (`silent`) is never enabled. */
const LEVEL_VALUES: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

type Method = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** A child logger that asks its parent for the real child on the first enabled line. */
export class LazyChildLogger implements FastifyBaseLogger {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions | undefined;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options?: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  /** Whether the real child exists (for tests). */
  get materialised(): boolean {
    return this.#child !== undefined;
  }

  get level(): string {
    return this.#child?.level ?? this.#options?.level ?? this.#parent.level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  #real(): FastifyBaseLogger {
    // The parent's real logger, so a chain of lazy children becomes a chain of real ones.
    const parent = this.#parent instanceof LazyChildLogger ? this.#parent.#real() : this.#parent;
    this.#child ??= parent.child(this.#bindings, this.#options);
    return this.#child;
  }

  #log(method: Method, args: unknown[]): void {
    if ((LEVEL_VALUES[method] ?? 0) < (LEVEL_VALUES[this.level] ?? Number.POSITIVE_INFINITY)) return;
    (this.#real()[method] as (...a: unknown[]) => void)(...args);
  }

  readonly fatal: LogFn = (...args: unknown[]) => this.#log('fatal', args);
  readonly error: LogFn = (...args: unknown[]) => this.#log('error', args);
  readonly warn: LogFn = (...args: unknown[]) => this.#log('warn', args);
  readonly info: LogFn = (...args: unknown[]) => this.#log('info', args);
  readonly debug: LogFn = (...args: unknown[]) => this.#log('debug', args);
  readonly trace: LogFn = (...args: unknown[]) => this.#log('trace', args);
  readonly silent: LogFn = () => undefined;

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    // A grandchild stays lazy too: the GraphQL context's tenant-bound logger of a request.
    return new LazyChildLogger(this, bindings, options);
  }
}

/** fastify's `childLoggerFactory`: every request's logger is lazy. */
export function lazyChildLoggerFactory(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options);
}
