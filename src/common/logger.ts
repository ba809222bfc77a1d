/**
 * Logging, at the bottom of the layers so every layer can log: the `Logger` surface the domain and
 * the store use, and the gateway's pino logger behind it (JSON lines, or pino-pretty's in
 * development; ISO times; redaction of anything that could carry a key, token or secret, whatever a
 * caller passes in a log object).
 */
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type PinoPretty from 'pino-pretty';

/** pino's levels, as `LOG_LEVEL` accepts them. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The logging surface the handoff domain and the store use: a structural subset of pino's `Logger`,
 * so production passes pino and tests pass a silent or recording stub.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** Paths censored in every log line (pino `redact`). */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'authorization',
  'credentials',
  '*.credentials',
  'clientSecret',
  '*.clientSecret',
  'accessKeySecret',
  '*.accessKeySecret',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
];

const require = createRequire(import.meta.url);

/**
 * pino-pretty as a synchronous stream in this thread (no worker transport), fed the lines pino has
 * already redacted; `undefined` when it is not installed (it is a dev dependency).
 */
function prettyStream(destination: DestinationStream | undefined): DestinationStream | undefined {
  let build: typeof PinoPretty;
  try {
    build = require('pino-pretty') as typeof PinoPretty;
  } catch {
    return undefined;
  }
  const common = { sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' };
  // On stdout pino-pretty colors when the terminal supports it; a given stream gets plain text.
  return destination === undefined ? build({ ...common, destination: 1 }) : build({ ...common, destination, colorize: false });
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Where lines go (default stdout). */
  readonly destination?: DestinationStream;
  /** Human-readable lines through pino-pretty (colored on a terminal) instead of JSON; JSON when pino-pretty is not installed. */
  readonly pretty?: boolean;
  /** The `service` of every line (default `cxone-gateway`; the simulator logs as `cxone-sim`). */
  readonly service?: string;
}

export function createLogger(options: LoggerOptions): PinoLogger {
  const pretty = options.pretty ? prettyStream(options.destination) : undefined;
  const logger = pino(
    {
      level: options.level,
      base: { service: options.service ?? 'cxone-gateway' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    },
    pretty ?? options.destination,
  );
  if (options.pretty && pretty === undefined) logger.warn('pretty logs asked for, but pino-pretty is not installed; logging JSON');
  return logger;
}
