/**
 * The environment variables the gateway reads, with their defaults: the one list behind `loadConfig`
 * and `cxone-gateway --help`, so the two cannot drift.
 */
export interface EnvVarDoc {
  readonly name: string;
  /** Shown by `--help`; `undefined` means "unset" (the description says what that does). */
  readonly default: string | undefined;
  readonly description: string;
}

export const ENV_VARS: readonly EnvVarDoc[] = [
  { name: 'PORT', default: '4000', description: 'HTTP port to listen on (0 picks a free port).' },
  { name: 'HOST', default: '127.0.0.1', description: 'Interface to listen on (0.0.0.0 for all).' },
  { name: 'TENANTS_FILE', default: undefined, description: 'Path of the tenants file (JSON). Required.' },
  { name: 'DATA_DIR', default: './.data', description: 'PGlite data directory (embedded store), used when DATABASE_URL is unset; one process owns it (a second is refused).' },
  { name: 'DATABASE_URL', default: undefined, description: 'postgres:// URL of a shared PostgreSQL; when set it replaces the embedded store.' },
  { name: 'LOG_LEVEL', default: 'info', description: 'pino level: fatal, error, warn, info, debug, trace or silent.' },
  { name: 'LOG_PRETTY', default: 'on when stdout is a terminal, unless production', description: 'Human-readable log lines through pino-pretty (a dev dependency) instead of JSON (true/false).' },
  { name: 'NODE_ENV', default: 'development', description: '`production` turns introspection and the explorer off by default.' },
  { name: 'INTROSPECTION', default: 'on unless production', description: 'GraphQL introspection (true/false).' },
  { name: 'EXPLORER', default: 'on unless production', description: 'Browser explorer page (true/false).' },
  { name: 'SIGNAL_WAIT_MS', default: '3000', description: 'How long signalContact waits for CXone before answering PENDING.' },
  { name: 'SIGNAL_BUDGET_MS', default: '8000', description: "A handoff's total retry budget; after it the handoff is FAILED (RETRIES_EXHAUSTED)." },
  { name: 'CXONE_ATTEMPT_TIMEOUT_MS', default: '2000', description: 'Timeout of one CXone HTTP attempt (CXONE_TIMEOUT when passed).' },
  { name: 'WORKER_INTERVAL_MS', default: '500', description: 'How often the retry worker looks for PENDING handoffs.' },
  { name: 'MAX_PARAM_LENGTH', default: '256', description: 'Longest accepted signal parameter (characters).' },
  { name: 'MAX_CONTEXT_BYTES', default: '16384', description: 'Largest accepted `context` (bytes of its JSON).' },
  { name: 'MAX_CONTEXT_DEPTH', default: '32', description: 'Deepest nesting of objects and arrays accepted in `context` (`{}` is 1).' },
  { name: 'MAX_SIP_INVITE_BYTES', default: '16384', description: 'Largest accepted SIP INVITE text for registerCall (bytes).' },
  { name: 'MAX_QUERY_DEPTH', default: '10', description: 'Deepest accepted GraphQL selection (QUERY_TOO_COMPLEX above it; introspection exempt).' },
  { name: 'MAX_QUERY_COMPLEXITY', default: '1000', description: 'Most fields one GraphQL operation may select, aliases included (QUERY_TOO_COMPLEX above it).' },
  { name: 'MAX_QUERY_ALIASES', default: '15', description: 'Most aliases in one GraphQL operation (QUERY_TOO_COMPLEX above it).' },
  { name: 'MAX_QUERY_DIRECTIVES', default: '20', description: 'Most directives in one GraphQL operation (QUERY_TOO_COMPLEX above it).' },
  { name: 'MAX_QUERY_TOKENS', default: '3000', description: 'Most lexical tokens in one GraphQL document; the parser stops there (QUERY_TOO_COMPLEX).' },
  { name: 'BODY_LIMIT_BYTES', default: '65536', description: 'Largest accepted HTTP request body (PAYLOAD_TOO_LARGE above it).' },
  { name: 'REQUEST_TIMEOUT_MS', default: '30000', description: 'Longest time a client may take to send a whole request, headers and body; then 408 and the connection is closed (slow-body clients).' },
  { name: 'SHUTDOWN_TIMEOUT_MS', default: '10000', description: 'On SIGTERM/SIGINT, how long in-flight requests may take before the process exits anyway.' },
];
