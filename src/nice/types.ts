/**
 * The contract between the gateway and its CXone client. `nice/` knows nothing of GraphQL or of the
 * store: it takes a tenant's CXone settings and talks HTTP to CXone (or the simulator).
 */

/**
 * A tenant's CXone credentials (DESIGN §6). Never logged, never serialized. The password grant
 * needs all four; the access-key grant only the access key (no API client).
 */
export interface CxoneCredentials {
  readonly clientId?: string | undefined;
  readonly clientSecret?: string | undefined;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
}

/**
 * How the client gets a token: `password` (OAuth password grant at the discovered token endpoint,
 * API client in HTTP Basic; NICE's documented way) or `access-key` (`POST
 * {authEndpoint}/authentication/v1/token/access-key` with a JSON body, no API client).
 */
export type CxoneGrant = 'password' | 'access-key';

/**
 * Where a signal's p1..p9 travel: `body` (a JSON object, as NICE's SDK and connector send them;
 * long values fit) or `query` (the query string, as generated API clients do; the request line
 * limits their size).
 */
export type SignalParamsTransport = 'body' | 'query';

/** Per-tenant CXone settings, already resolved from config (secrets dereferenced). */
export interface CxoneTenantSettings {
  /** OIDC issuer, e.g. `https://cxone.niceincontact.com` (or the simulator's URL). */
  readonly issuer: string;
  /** Signal API version segment, e.g. `v30.0`. */
  readonly apiVersion: string;
  readonly credentials: CxoneCredentials;
  /** When set, skips tenant discovery (`/.well-known/cxone-configuration`). */
  readonly apiEndpoint?: string | undefined;
  /** Default `password`. */
  readonly grant?: CxoneGrant | undefined;
  /**
   * Base URL of the access-key grant, e.g. `https://na1.nice-incontact.com` (the tenant's area
   * host); default: the issuer. Only read with `grant: 'access-key'`.
   */
  readonly authEndpoint?: string | undefined;
  /** Default `body`. */
  readonly signalParams?: SignalParamsTransport | undefined;
}

/** What the client needs to know about a tenant: a stable key for caches and its CXone settings. */
export interface NiceTenant {
  readonly id: string;
  readonly cxone: CxoneTenantSettings;
}

/** Codes of CXone failures, as they appear in a handoff's `lastError.code` (DESIGN §9). */
export const NiceErrorCode = {
  ContactNotFound: 'CXONE_CONTACT_NOT_FOUND',
  BadRequest: 'CXONE_BAD_REQUEST',
  AuthFailed: 'CXONE_AUTH_FAILED',
  Unavailable: 'CXONE_UNAVAILABLE',
  Throttled: 'CXONE_THROTTLED',
  Timeout: 'CXONE_TIMEOUT',
} as const;
export type NiceErrorCode = (typeof NiceErrorCode)[keyof typeof NiceErrorCode];

/** Options of one `signal` call. */
export interface SignalOptions {
  /** Absolute deadline (epoch ms) for the whole call, retries included. */
  readonly deadline: number;
  /** Aborts the call (e.g. on shutdown). */
  readonly signal?: AbortSignal | undefined;
  /** Called before each retry with the error that caused it, so the caller can record progress. */
  readonly onRetry?: ((info: { readonly error: Error; readonly attempt: number; readonly delayMs: number }) => void) | undefined;
}

/** Outcome of a successful signal. */
export interface SignalResult {
  /** The 2xx status CXone answered. */
  readonly status: number;
  /**
   * Tries made, retries included: each try sends at most one Signal API request (a try can fail
   * earlier, at the token endpoint or discovery), and the re-send after a 401/403 counts as one.
   */
  readonly attempts: number;
}

/** Observability hooks; every member optional so tests can pass nothing. */
export interface NiceHooks {
  /** One upstream HTTP exchange finished (status, or 'error' for a network failure/timeout). */
  onUpstream?(event: { readonly kind: 'token' | 'discovery' | 'signal'; readonly outcome: number | 'error'; readonly ms: number }): void;
}

/** The CXone client used by the handoff service. */
export interface NiceClient {
  /**
   * Signals a contact with up to 9 params (p1..p9 in order), each at most
   * `MAX_SIGNAL_PARAM_LENGTH` characters (src/shared/signal-limits.ts). Resolves on any 2xx; otherwise rejects
   * with a `NiceError` (see `src/nice/errors.ts`) whose `code` is a `NiceErrorCode`, `retryable`
   * says whether a later attempt could succeed, and `attempts` counts the tries made (as in
   * `SignalResult`; 0 when the input was rejected before any).
   */
  signal(tenant: NiceTenant, contactId: string, params: readonly string[], options: SignalOptions): Promise<SignalResult>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}
