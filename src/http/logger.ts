/**
 * The gateway's pino logger: JSON lines, ISO times, and redaction of anything that could carry a key,
 * token or secret, whatever a caller passes in a log object.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import { type LogLevel } from '../config/config.js';

/** Paths censored in every log line (pino `redact`). */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
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

export function createLogger(options: { readonly level: LogLevel; readonly destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'cxone-gateway' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    },
    options.destination,
  );
}
