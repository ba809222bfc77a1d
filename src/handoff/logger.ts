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
