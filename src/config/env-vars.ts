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
  { name: 'DATABASE_POOL_SIZE', default: '10', description: 'Most PostgreSQL connections one replica opens (plus one LISTEN connection); replicas x (pool + 1) must stay under max_connections.' },
  { name: 'RETENTION_DAYS', default: '30', description: 'Days a SIGNALED/FAILED handoff (from its last change) and a call (from its INVITE) are kept before the retention worker deletes them; 0 keeps them for ever. PENDING handoffs are never deleted.' },
  { name: 'LOG_LEVEL', default: 'info', description: 'pino level: fatal, error, warn, info, debug, trace or silent.' },
  { name: 'LOG_PRETTY', default: 'on when stdout is a terminal, unless production', description: 'Human-readable log lines through pino-pretty (a dev dependency) instead of JSON (true/false).' },
  { name: 'NODE_ENV', default: 'development', description: '`production` turns introspection and the explorer off by default.' },
  { name: 'INTROSPECTION', default: 'on unless production', description: 'GraphQL introspection (true/false).' },
  { name: 'EXPLORER', default: 'on unless production', description: 'Browser explorer page (true/false).' },
  { name: 'SIGNAL_WAIT_MS', default: '3000', description: 'How long signalContact waits for CXone before answering PENDING.' },
  { name: 'SIGNAL_BUDGET_MS', default: '8000', description: "A handoff's total retry budget; after it the handoff is FAILED (RETRIES_EXHAUSTED)." },
  { name: 'CXONE_ATTEMPT_TIMEOUT_MS', default: '2000', description: 'Timeout of one CXone HTTP attempt (CXONE_TIMEOUT when passed).' },
  { name: 'WORKER_INTERVAL_MS', default: '500', description: 'How often the retry worker looks for PENDING handoffs.' },
  { name: 'CXONE_BREAKER_COOLDOWN_MS', default: '10000', description: "How long a tenant's open CXone circuit breaker keeps signals from being sent (CXONE_CIRCUIT_OPEN) before letting one through." },
  { name: 'CXONE_BREAKER_MIN_RPS', default: '25', description: "Signals per second over the breaker's 10 s window below which it never opens; above it, more than 20 % 429/503 answers open it." },
  { name: 'MAX_PARAM_LENGTH', default: '256', description: 'Longest accepted signal parameter (characters); at most 1000 (src/common/signal-limits.ts).' },
  { name: 'MAX_CONTEXT_BYTES', default: '16384', description: 'Largest accepted `context` (bytes of its JSON).' },
  { name: 'MAX_CONTEXT_DEPTH', default: '32', description: 'Deepest nesting of objects and arrays accepted in `context` (`{}` is 1).' },
  { name: 'MAX_SIP_INVITE_BYTES', default: '16384', description: 'Largest accepted SIP INVITE text for registerCall (bytes).' },
  { name: 'MAX_SIP_CONTEXT_BYTES', default: '8192', description: 'Largest JSON kept from one CXone context header of an INVITE (X-CXone, X-CXone-Custom, X-CXone-Extended); a larger one is left null with a warning.' },
  { name: 'MAX_SIP_CONTEXT_DEPTH', default: '32', description: 'Deepest nesting kept in one CXone context header of an INVITE; a deeper one is left null with a warning.' },
  { name: 'MAX_QUERY_DEPTH', default: '10', description: 'Deepest accepted GraphQL selection (QUERY_TOO_COMPLEX above it; introspection exempt).' },
  { name: 'MAX_QUERY_COMPLEXITY', default: '1000', description: 'Most fields one GraphQL operation may select, aliases included (QUERY_TOO_COMPLEX above it).' },
  { name: 'MAX_QUERY_ALIASES', default: '15', description: 'Most aliases in one GraphQL operation (QUERY_TOO_COMPLEX above it).' },
  { name: 'MAX_QUERY_DIRECTIVES', default: '20', description: 'Most directives in one GraphQL operation (QUERY_TOO_COMPLEX above it).' },
  { name: 'MAX_QUERY_TOKENS', default: '3000', description: 'Most lexical tokens in one GraphQL document; the parser stops there (QUERY_TOO_COMPLEX).' },
  { name: 'MAX_WEBSOCKET_CONNECTIONS', default: '1000', description: 'Most open graphql-ws connections; one more is closed with 1013 (Try Again Later).' },
  { name: 'MAX_WEBSOCKET_CONNECTIONS_PER_KEY', default: '50', description: 'Most open graphql-ws connections per API key; one more is closed with 1013.' },
  { name: 'MAX_WEBSOCKET_CONNECTIONS_PER_TENANT', default: '500', description: 'Most open graphql-ws connections per tenant, all its keys together; one more is closed with 1013.' },
  { name: 'MAX_SUBSCRIPTIONS_PER_CONNECTION', default: '10', description: 'Most subscriptions on one WebSocket connection (TOO_MANY_SUBSCRIPTIONS above it).' },
  { name: 'MAX_SUBSCRIPTIONS_PER_KEY', default: '100', description: 'Most subscriptions of one API key, all its connections together (TOO_MANY_SUBSCRIPTIONS above it).' },
  { name: 'MAX_SUBSCRIPTIONS_PER_TENANT', default: '500', description: 'Most subscriptions of one tenant, all its keys together (TOO_MANY_SUBSCRIPTIONS above it).' },
  { name: 'MAX_SUBSCRIPTIONS', default: '1000', description: 'Most subscriptions in the gateway process (TOO_MANY_SUBSCRIPTIONS above it).' },
  { name: 'MAX_SUBSCRIBER_BUFFER_BYTES', default: '1048576', description: 'Most unsent bytes a WebSocket client may leave queued (it stopped reading); past it the connection is closed with 4008.' },
  { name: 'BODY_LIMIT_BYTES', default: '65536', description: 'Largest accepted HTTP request body (PAYLOAD_TOO_LARGE above it).' },
  { name: 'REQUEST_TIMEOUT_MS', default: '30000', description: 'Longest time a client may take to send a whole request, headers and body; then 408 and the connection is closed (slow-body clients).' },
  { name: 'OTEL_TRACES_EXPORTER', default: 'none', description: 'OpenTelemetry tracing: otlp (OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT), console (spans on stdout) or none (off; the SDK is not even loaded).' },
  { name: 'OTEL_SERVICE_NAME', default: 'cxone-gateway', description: 'service.name of the spans.' },
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', default: 'http://localhost:4318', description: 'OTLP/HTTP collector base URL; spans go to its /v1/traces.' },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', default: undefined, description: 'Full OTLP/HTTP traces URL; overrides OTEL_EXPORTER_OTLP_ENDPOINT.' },
  { name: 'SHUTDOWN_TIMEOUT_MS', default: '10000', description: 'On SIGTERM/SIGINT, how long in-flight requests may take before the process exits anyway.' },
];
