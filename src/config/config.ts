/**
 * Gateway configuration: read once at start from the environment and the tenants file, validated
 * with zod, every problem reported together (naming the field, never echoing a value), the result
 * deeply frozen.
 */
import { z } from 'zod';
import { MAX_SIGNAL_PARAM_LENGTH } from '../common/signal-limits.js';
import { type Tenant } from './tenant.js';
import { formatPath } from '../common/format-path.js';
import { LOG_LEVELS, type LogLevel } from '../common/logger.js';
import { parseTenantsFile, type SecretSources } from './tenants-file.js';

/** Where handoffs are kept: embedded PGlite in a directory, or a shared PostgreSQL. */
export type StoreConfig =
  | { readonly kind: 'pglite'; readonly dataDir: string }
  | {
      readonly kind: 'postgres';
      readonly url: string;
      /** Most connections this replica opens, the LISTEN connection aside (default 10). */
      readonly poolSize?: number;
    };

/**
 * How long finished handoffs and their calls are kept (RETENTION_DAYS): purged after `days` days by
 * the retention worker, or kept for ever (`off`, RETENTION_DAYS=0).
 */
export type RetentionConfig = { readonly kind: 'off' } | { readonly kind: 'purge'; readonly days: number };

/**
 * Tracing (OpenTelemetry): off unless `OTEL_TRACES_EXPORTER` names an exporter. `otlp` sends
 * spans as OTLP/HTTP (JSON) to `url`; `console` prints each span to stdout.
 */
export type TracingConfig =
  | { readonly exporter: 'none' }
  | { readonly exporter: 'console'; readonly serviceName: string }
  | { readonly exporter: 'otlp'; readonly serviceName: string; readonly url: string };

/** `OTEL_TRACES_EXPORTER` values the gateway knows (the OpenTelemetry names; one at a time). */
export const TRACES_EXPORTERS = ['none', 'otlp', 'console'] as const;

export interface GatewayConfig {
  readonly production: boolean;
  readonly http: {
    readonly port: number;
    readonly host: string;
    readonly bodyLimitBytes: number;
    readonly introspection: boolean;
    readonly explorer: boolean;
    readonly shutdownTimeoutMs: number;
    /** Longest time a client may take to send a whole request, headers and body (408 and closed after it). */
    readonly requestTimeoutMs: number;
  };
  readonly logLevel: LogLevel;
  /** LOG_PRETTY; `undefined` leaves it to the process (pretty on a terminal, unless production). */
  readonly logPretty: boolean | undefined;
  readonly store: StoreConfig;
  readonly retention: RetentionConfig;
  readonly signal: {
    /** How long `signalContact` waits for CXone before answering PENDING. */
    readonly waitMs: number;
    /** Total retry budget of one handoff. */
    readonly budgetMs: number;
    /** Timeout of one CXone HTTP attempt. */
    readonly attemptTimeoutMs: number;
    readonly workerIntervalMs: number;
    /** Cool-down of a tenant's open circuit breaker before one signal is let through. */
    readonly breakerCooldownMs: number;
    /** Signals per second (over the breaker's 10 s window) below which it never opens. */
    readonly breakerMinimumRps: number;
  };
  readonly limits: {
    readonly maxParamLength: number;
    readonly maxContextBytes: number;
    readonly maxContextDepth: number;
    readonly maxSipInviteBytes: number;
    /** Largest JSON of one CXone context header (X-CXone, X-CXone-Custom, X-CXone-Extended) kept from an INVITE. */
    readonly maxSipContextBytes: number;
    /** Deepest nesting of one such header's JSON. */
    readonly maxSipContextDepth: number;
    readonly maxQueryDepth: number;
    readonly maxQueryComplexity: number;
    readonly maxQueryAliases: number;
    readonly maxQueryDirectives: number;
    readonly maxQueryTokens: number;
    /** Open graphql-ws connections (1013 above it), in all and per API key. */
    readonly maxWebSocketConnections: number;
    readonly maxWebSocketConnectionsPerKey: number;
    readonly maxWebSocketConnectionsPerTenant: number;
    /** Subscriptions per connection, per API key and in all (TOO_MANY_SUBSCRIPTIONS above them). */
    readonly maxSubscriptionsPerConnection: number;
    readonly maxSubscriptionsPerKey: number;
    readonly maxSubscriptionsPerTenant: number;
    readonly maxSubscriptions: number;
    /** Unsent bytes one WebSocket connection may hold before it is closed with 4008. */
    readonly maxSubscriberBufferBytes: number;
  };
  readonly tracing: TracingConfig;
  readonly tenantsFile: string;
  readonly tenants: readonly Tenant[];
}

/** Thrown by `loadConfig`; `problems` lists every bad field, one line each. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = { true: true, '1': true, on: true, yes: true, false: false, '0': false, off: false, no: false };

const flag = z
  .string()
  .transform((raw, ctx) => {
    const value = BOOLEAN_WORDS[raw.trim().toLowerCase()];
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be true or false (also 1/0, on/off, yes/no)' });
      return z.NEVER;
    }
    return value;
  })
  .optional();

function integer(defaultValue: number, min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .default(defaultValue);
}

const envSchema = z.object({
  PORT: integer(4000, 0, 65_535),
  HOST: z.string().min(1, 'must not be empty').default('127.0.0.1'),
  TENANTS_FILE: z.string({ error: 'is required: the path of the tenants file (JSON)' }).min(1, 'must not be empty'),
  DATA_DIR: z.string().min(1, 'must not be empty').default('./.data'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }).optional(),
  DATABASE_POOL_SIZE: integer(10, 1, 1000),
  RETENTION_DAYS: integer(30, 0, 3650),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  LOG_PRETTY: flag,
  NODE_ENV: z.string().default('development'),
  INTROSPECTION: flag,
  EXPLORER: flag,
  SIGNAL_WAIT_MS: integer(3000, 0, 60_000),
  SIGNAL_BUDGET_MS: integer(8000, 1, 600_000),
  CXONE_ATTEMPT_TIMEOUT_MS: integer(2000, 1, 60_000),
  WORKER_INTERVAL_MS: integer(500, 10, 60_000),
  CXONE_BREAKER_COOLDOWN_MS: integer(10_000, 100, 600_000),
  CXONE_BREAKER_MIN_RPS: integer(25, 1, 100_000),
  // Never above what CXone (the simulator, for now) accepts: one definition in src/common.
  MAX_PARAM_LENGTH: integer(256, 1, MAX_SIGNAL_PARAM_LENGTH),
  MAX_CONTEXT_BYTES: integer(16_384, 2, 1_048_576),
  MAX_CONTEXT_DEPTH: integer(32, 1, 512),
  MAX_SIP_INVITE_BYTES: integer(16_384, 256, 1_048_576),
  MAX_SIP_CONTEXT_BYTES: integer(8192, 2, 1_048_576),
  MAX_SIP_CONTEXT_DEPTH: integer(32, 1, 1000),
  MAX_QUERY_DEPTH: integer(10, 2, 100),
  MAX_QUERY_COMPLEXITY: integer(1000, 10, 1_000_000),
  MAX_QUERY_ALIASES: integer(15, 0, 10_000),
  MAX_QUERY_DIRECTIVES: integer(20, 0, 10_000),
  MAX_QUERY_TOKENS: integer(3000, 100, 1_000_000),
  MAX_WEBSOCKET_CONNECTIONS: integer(1000, 1, 1_000_000),
  MAX_WEBSOCKET_CONNECTIONS_PER_KEY: integer(50, 1, 1_000_000),
  MAX_WEBSOCKET_CONNECTIONS_PER_TENANT: integer(500, 1, 1_000_000),
  MAX_SUBSCRIPTIONS_PER_CONNECTION: integer(10, 1, 10_000),
  MAX_SUBSCRIPTIONS_PER_KEY: integer(100, 1, 1_000_000),
  MAX_SUBSCRIPTIONS_PER_TENANT: integer(500, 1, 1_000_000),
  MAX_SUBSCRIPTIONS: integer(1000, 1, 1_000_000),
  MAX_SUBSCRIBER_BUFFER_BYTES: integer(1_048_576, 65_536, 1_073_741_824),
  BODY_LIMIT_BYTES: integer(65_536, 1024, 16_777_216),
  SHUTDOWN_TIMEOUT_MS: integer(10_000, 0, 600_000),
  REQUEST_TIMEOUT_MS: integer(30_000, 100, 600_000),
  // OpenTelemetry's own names, so a collector's usual environment works unchanged; read here (not
  // left to the SDK) so a typo stops the start like any other bad setting, and so that "unset" can
  // mean off: the SDK is then never loaded.
  OTEL_TRACES_EXPORTER: z.enum(TRACES_EXPORTERS, { error: `must be one of ${TRACES_EXPORTERS.join(', ')}` }).default('none'),
  OTEL_SERVICE_NAME: z.string().trim().min(1, 'must not be empty').max(256, 'must be at most 256 characters').default('cxone-gateway'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).default('http://localhost:4318'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
});

function tracingConfig(e: z.infer<typeof envSchema>): TracingConfig {
  switch (e.OTEL_TRACES_EXPORTER) {
    case 'none':
      return { exporter: 'none' };
    case 'console':
      return { exporter: 'console', serviceName: e.OTEL_SERVICE_NAME };
    case 'otlp':
      // The OTLP spec: the signal-specific variable is used as is; the base one gets /v1/traces.
      return { exporter: 'otlp', serviceName: e.OTEL_SERVICE_NAME, url: e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${e.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` };
  }
}

/** The environment variables `loadConfig` reads (TENANTS_FILE's `env:` references aside); ENV_VARS documents each. */
export const CONFIG_ENV_NAMES: readonly string[] = Object.keys(envSchema.shape);

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Empty strings count as unset, as shells and compose files tend to pass them. */
function withoutEmpty(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') out[name] = value;
  }
  return out;
}

/**
 * Reads and validates the tenants file at `path` (its `env:` references resolved from `env`): the
 * tenants, or every problem found, each naming the field. Used at start and for a reload.
 */
export function readTenantsFile(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
  io: { readonly readFile: (path: string) => string },
): { readonly ok: true; readonly tenants: readonly Tenant[] } | { readonly ok: false; readonly problems: readonly string[] } {
  let text: string;
  try {
    text = io.readFile(path);
  } catch (error) {
    return { ok: false, problems: [`TENANTS_FILE: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'read error'})`] };
  }
  const sources: SecretSources = { env, readFile: io.readFile };
  const result = parseTenantsFile(text, path, sources);
  return result.ok ? { ok: true, tenants: deepFreeze(result.tenants) } : result;
}

/**
 * Reads the configuration from `env` (e.g. `process.env`) and the tenants file it names. Throws a
 * `ConfigError` listing every problem; returns a frozen `GatewayConfig`.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, io: { readonly readFile: (path: string) => string }): GatewayConfig {
  const problems: string[] = [];
  const parsed = envSchema.safeParse(withoutEmpty(env));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${formatPath(issue.path)}: ${issue.message}`);
  }

  let tenants: readonly Tenant[] = [];
  if (env.TENANTS_FILE) {
    const loaded = readTenantsFile(env.TENANTS_FILE, env, io);
    if (loaded.ok) tenants = loaded.tenants;
    else problems.push(...loaded.problems);
  }

  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const config: GatewayConfig = {
    production,
    http: {
      port: e.PORT,
      host: e.HOST,
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      introspection: e.INTROSPECTION ?? !production,
      explorer: e.EXPLORER ?? !production,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    },
    logLevel: e.LOG_LEVEL,
    logPretty: e.LOG_PRETTY,
    store: e.DATABASE_URL ? { kind: 'postgres', url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE } : { kind: 'pglite', dataDir: e.DATA_DIR },
    retention: e.RETENTION_DAYS === 0 ? { kind: 'off' } : { kind: 'purge', days: e.RETENTION_DAYS },
    signal: {
      waitMs: e.SIGNAL_WAIT_MS,
      budgetMs: e.SIGNAL_BUDGET_MS,
      attemptTimeoutMs: e.CXONE_ATTEMPT_TIMEOUT_MS,
      workerIntervalMs: e.WORKER_INTERVAL_MS,
      breakerCooldownMs: e.CXONE_BREAKER_COOLDOWN_MS,
      breakerMinimumRps: e.CXONE_BREAKER_MIN_RPS,
    },
    limits: {
      maxParamLength: e.MAX_PARAM_LENGTH,
      maxContextBytes: e.MAX_CONTEXT_BYTES,
      maxContextDepth: e.MAX_CONTEXT_DEPTH,
      maxSipInviteBytes: e.MAX_SIP_INVITE_BYTES,
      maxSipContextBytes: e.MAX_SIP_CONTEXT_BYTES,
      maxSipContextDepth: e.MAX_SIP_CONTEXT_DEPTH,
      maxQueryDepth: e.MAX_QUERY_DEPTH,
      maxQueryComplexity: e.MAX_QUERY_COMPLEXITY,
      maxQueryAliases: e.MAX_QUERY_ALIASES,
      maxQueryDirectives: e.MAX_QUERY_DIRECTIVES,
      maxQueryTokens: e.MAX_QUERY_TOKENS,
      maxWebSocketConnections: e.MAX_WEBSOCKET_CONNECTIONS,
      maxWebSocketConnectionsPerKey: e.MAX_WEBSOCKET_CONNECTIONS_PER_KEY,
      maxWebSocketConnectionsPerTenant: e.MAX_WEBSOCKET_CONNECTIONS_PER_TENANT,
      maxSubscriptionsPerConnection: e.MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxSubscriptionsPerKey: e.MAX_SUBSCRIPTIONS_PER_KEY,
      maxSubscriptionsPerTenant: e.MAX_SUBSCRIPTIONS_PER_TENANT,
      maxSubscriptions: e.MAX_SUBSCRIPTIONS,
      maxSubscriberBufferBytes: e.MAX_SUBSCRIBER_BUFFER_BYTES,
    },
    tracing: tracingConfig(e),
    tenantsFile: e.TENANTS_FILE,
    tenants,
  };
  return deepFreeze(config);
}
