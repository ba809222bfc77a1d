/**
 * `createNiceClient`: signals CXone contacts (docs/architecture.md, "CXone wire contract"). Each try gets a token (cached, single
 * flight), the tenant's API endpoint (config or discovery) and sends one Signal API request (p1..p9
 * as a JSON body by default, as NICE's SDK sends them; in the query string when the tenant says
 * `signalParams: 'query'`); a
 * 401/403 invalidates the token and re-sends once with a fresh one; retryable failures go through
 * the retry policy within the caller's deadline.
 *
 * HTTP goes through one undici `Agent`, which keeps one keep-alive `Pool` per upstream origin
 * (auth host, API host), unless a dispatcher is injected (tests pass a `MockAgent`); the client
 * closes only a dispatcher it created. The global dispatcher is never touched.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type Dispatcher } from 'undici';
import { MAX_REQUEST_LINE_BYTES, MAX_SIGNAL_PARAM_LENGTH, MAX_SIGNAL_PARAMS, requestLineBytes, signalParamLength } from '../common/signal-limits.js';
import { type Budget, exchangeTimeout } from './budget.js';
import { Discovery } from './discovery.js';
import { abortedFailure, badInput, isNiceError, malformedAnswer, misconfigured, NiceError, redactSecrets, signalFailure } from './errors.js';
import { type Clock, errorSnippet, type NiceLogger, parseRetryAfter, silentLogger, systemClock, UpstreamHttp, type UpstreamResponse } from './cxone-http.js';
import { DEFAULT_RETRY, type RetryConfig, runWithRetries } from './retry-policy.js';
import { type BreakerConfig, DEFAULT_BREAKER, TenantBreakers } from './circuit-breaker.js';
import { DEFAULT_PACING, type PacingConfig, TenantPacers } from './pacer.js';
import { type AccessToken, TokenProvider } from './token.provider.js';
import { type NiceClient, NiceErrorCode, type NiceHooks, type NiceTenant, type SignalOptions, type SignalResult } from './types.js';
import { type SignalParamsTransport } from '../config/tenant.js';
import { inSpan, type Tracing } from '../common/tracing.js';

/** Dependencies and settings of the client; all optional. */
export interface NiceClientOptions {
  /** undici dispatcher for every request; default: an `Agent` owned (and closed) by the client. */
  readonly dispatcher?: Dispatcher | undefined;
  /** Time source for deadlines and token expiry; default `Date.now`. */
  readonly clock?: Clock | undefined;
  /** Receives debug/warn lines (no secrets); default: silent. */
  readonly log?: NiceLogger | undefined;
  /** Observability hooks (one `onUpstream` per exchange). */
  readonly hooks?: NiceHooks | undefined;
  /**
   * OpenTelemetry (src/common/tracing.ts): a span per `signal` call with its retries as events, a
   * client span per HTTP exchange, `traceparent` on every request. Default: off.
   */
  readonly tracing?: Tracing | undefined;
  /** Retry policy overrides (`DEFAULT_RETRY`). */
  readonly retry?: Partial<RetryConfig> | undefined;
  /** Circuit breaker overrides (`DEFAULT_BREAKER`); one breaker per tenant, shared by its signals. */
  readonly breaker?: Partial<BreakerConfig> | undefined;
  /** Pacing overrides (`DEFAULT_PACING`); one pace per tenant, learnt from CXone's 429s. */
  readonly pacing?: Partial<PacingConfig> | undefined;
  /** Refresh this long before a token expires, within the bounds of `refreshMarginMs`; default 600. */
  readonly tokenRefreshMarginSeconds?: number | undefined;
  /** How long a refresh token is offered after it was issued; default 7200 (NICE's examples). */
  readonly refreshTokenLifetimeSeconds?: number | undefined;
  /** Longest one exchange (connect, headers, body) may take; default 2000 ms. */
  readonly attemptTimeoutMs?: number | undefined;
  /** Connections per upstream origin of the default `Agent`; default 64. */
  readonly connectionsPerOrigin?: number | undefined;
}

/** The client plus its token provider (for tests and metrics). */
export interface NiceClientHandle extends NiceClient {
  readonly tokens: TokenProvider;
  /** The per-tenant circuit breakers (for tests and metrics). */
  readonly breakers: TenantBreakers;
  /** The per-tenant paces (for tests and metrics). */
  readonly pacers: TenantPacers;
}

/** Default time one exchange may take. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 2_000;

/** Creates the CXone client. */
export function createNiceClient(options: NiceClientOptions = {}): NiceClientHandle {
  const attemptTimeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  const ownedDispatcher =
    options.dispatcher === undefined
      ? new Agent({
          connections: options.connectionsPerOrigin ?? 64,
          keepAliveTimeout: 30_000,
          keepAliveMaxTimeout: 300_000,
          connect: { timeout: attemptTimeoutMs },
          headersTimeout: attemptTimeoutMs,
          bodyTimeout: attemptTimeoutMs,
        })
      : undefined;
  const clock = options.clock ?? systemClock;
  const log = options.log ?? silentLogger;
  const http = new UpstreamHttp(options.dispatcher ?? (ownedDispatcher as Dispatcher), options.hooks ?? {}, log, options.tracing);
  const discovery = new Discovery(http, clock, attemptTimeoutMs);
  const tokens = new TokenProvider({
    http,
    discovery,
    clock,
    log,
    attemptTimeoutMs,
    refreshMarginSeconds: options.tokenRefreshMarginSeconds,
    refreshTokenLifetimeSeconds: options.refreshTokenLifetimeSeconds,
  });
  const retryConfig: RetryConfig = Object.freeze({ ...DEFAULT_RETRY, ...options.retry });
  const hooks = options.hooks ?? {};
  const breakers = new TenantBreakers(Object.freeze({ ...DEFAULT_BREAKER, ...stripUndefined(options.breaker ?? {}) }), (tenantId, state) => {
    log.warn({ tenant: tenantId, state }, 'CXone circuit breaker changed state');
    safeHook(log, () => hooks.onBreaker?.({ tenantId, state }));
  });
  const pacers = new TenantPacers(Object.freeze({ ...DEFAULT_PACING, ...stripUndefined(options.pacing ?? {}) }), clock, (tenantId, perSecond) => {
    log.warn({ tenant: tenantId, perSecond: perSecond === null ? null : Math.round(perSecond * 10) / 10 }, perSecond === null ? 'CXone signals no longer paced' : 'CXone throttled signals; pacing them');
    safeHook(log, () => hooks.onPace?.({ tenantId, perSecond }));
  });
  const signaler = new Signaler({ http, discovery, tokens, clock, log, attemptTimeoutMs, retry: retryConfig, breakers, pacers, hooks });
  let closing: Promise<void> | undefined;
  return {
    tokens,
    breakers,
    pacers,
    signal: async (tenant, contactId, params, signalOptions) => {
      // Retryable: the handoff stays PENDING for the next process to finish.
      if (closing !== undefined) throw new NiceError({ code: NiceErrorCode.Unavailable, retryable: true, message: 'The CXone client is closed (shutting down); the signal was not sent.' });
      const tracing = options.tracing;
      if (tracing === undefined) return signaler.signal(tenant, contactId, params, signalOptions);
      // One span for the call: its tries' token, discovery and signal exchanges are its children,
      // each retry an event on it (what failed, the wait before the next try).
      return inSpan(tracing, 'cxone.signal', { attributes: { 'cxone.tenant': tenant.id } }, async (span) => {
        const result = await signaler.signal(tenant, contactId, params, {
          ...signalOptions,
          onRetry: (info) => {
            span.addEvent('cxone.retry', { 'cxone.attempt': info.attempt, 'error.type': info.error instanceof NiceError ? info.error.code : info.error.name, 'cxone.retry_delay_ms': Math.round(info.delayMs) });
            signalOptions.onRetry?.(info);
          },
        });
        span.setAttribute('cxone.attempts', result.attempts);
        return result;
      });
    },
    close: () => {
      // Idempotent: undici rejects a second close of the same dispatcher.
      closing ??= ownedDispatcher?.close() ?? Promise.resolve();
      return closing;
    },
  };
}

interface SignalerDeps {
  readonly http: UpstreamHttp;
  readonly discovery: Discovery;
  readonly tokens: TokenProvider;
  readonly clock: Clock;
  readonly log: NiceLogger;
  readonly attemptTimeoutMs: number;
  readonly retry: RetryConfig;
  readonly breakers: TenantBreakers;
  readonly pacers: TenantPacers;
  readonly hooks: NiceHooks;
}

/** Per-call bookkeeping shared by the tries of one `signal`. */
interface CallState {
  tries: number;
  authRetried: boolean;
  /** Time the current try had left before the deadline when it started. */
  tryBudgetMs: number;
  /** The failure of the try before the current one, if any. */
  previous: NiceError | undefined;
  /** Set when the last try found no paced slot while CXone admitted none of the tenant's requests. */
  refusedAll: boolean;
}

class Signaler {
  readonly #deps: SignalerDeps;

  constructor(deps: SignalerDeps) {
    this.#deps = deps;
  }

  async signal(tenant: NiceTenant, contactId: string, params: readonly string[], options: SignalOptions): Promise<SignalResult> {
    if (params.length > MAX_SIGNAL_PARAMS) throw badInput(`A signal carries at most ${MAX_SIGNAL_PARAMS} params (p1..p9); got ${params.length}.`);
    const long = params.findIndex((value) => signalParamLength(value) > MAX_SIGNAL_PARAM_LENGTH);
    // Names the param, never its value (it may be anything a caller typed).
    if (long !== -1) throw badInput(`Signal param p${long + 1} is longer than ${MAX_SIGNAL_PARAM_LENGTH} characters; CXone would refuse it.`);
    if (contactId.trim() === '') throw badInput('A signal needs a contact id.');
    const { clock, retry, log } = this.#deps;
    const deadline = Math.min(options.deadline, clock.now() + retry.totalMs);
    const budget: Budget = { deadline, signal: options.signal };
    const call: CallState = { tries: 0, authRetried: false, tryBudgetMs: deadline - clock.now(), previous: undefined, refusedAll: false };
    try {
      const status = await runWithRetries(() => this.#try(tenant, contactId, params, budget, call), {
        config: retry,
        deadline,
        clock,
        signal: options.signal,
        onRetry: ({ error, delayMs }) => {
          call.previous = error;
          log.debug({ tenant: tenant.id, contactId, code: error.code, upstreamStatus: error.upstreamStatus, correlationId: error.correlationId, attempt: call.tries, delayMs }, 'retrying CXone signal');
          options.onRetry?.({ error, attempt: call.tries, delayMs });
        },
      });
      return { status, attempts: call.tries };
    } catch (error) {
      if (!isNiceError(error)) {
        // A bug or a bad config value (e.g. an api_endpoint that is no URL): name it without the raw error.
        const { name, message } = error instanceof Error ? error : new Error(String(error));
        log.warn({ tenant: tenant.id, contactId, err: { name, message: redactSecrets(message, this.#deps.tokens.secretsOf(tenant)) } }, 'CXone client failed unexpectedly');
      }
      let final = isNiceError(error) ? error : new NiceError({ code: NiceErrorCode.Unavailable, retryable: false, message: 'The CXone client failed unexpectedly; see the log.' });
      // A last try that started with less than one attempt timeout left was cut short by the
      // deadline: its timeout says nothing about CXone, so the earlier cause (say, resets or 5xx)
      // is what the call reports. Otherwise the code would depend on where the jitter put that try.
      if (final.code === NiceErrorCode.Timeout && call.tryBudgetMs < this.#deps.attemptTimeoutMs && call.previous !== undefined && options.signal?.aborted !== true) {
        final = call.previous;
      }
      // No slot, and CXone admitted nothing of this tenant while refusing this call: that is
      // CXone's 429 (the handoff fails RETRIES_EXHAUSTED), not a turn to wait for in the store.
      if (final.code === NiceErrorCode.CircuitOpen && call.refusedAll && call.previous?.code === NiceErrorCode.Throttled) {
        final = call.previous;
      }
      log.debug({ tenant: tenant.id, contactId, code: final.code, retryable: final.retryable, upstreamStatus: final.upstreamStatus, correlationId: final.correlationId, attempts: call.tries }, 'CXone signal failed');
      throw final.withAttempts(call.tries).redacted(this.#deps.tokens.secretsOf(tenant));
    }
  }

  async #try(tenant: NiceTenant, contactId: string, params: readonly string[], budget: Budget, call: CallState): Promise<number> {
    const { tokens, discovery, clock } = this.#deps;
    call.tries += 1;
    call.tryBudgetMs = budget.deadline - clock.now();
    let token = await tokens.get(tenant, budget);
    const endpoint = await this.#apiEndpoint(tenant, token, budget);
    try {
      let response = await this.#send(tenant, endpoint, contactId, params, token, budget, call);
      if (refusesToken(response.status) && !call.authRetried) {
        tokens.invalidate(tenant, token);
        call.authRetried = true;
        call.tries += 1;
        token = await tokens.get(tenant, budget);
        response = await this.#send(tenant, endpoint, contactId, params, token, budget, call);
      }
      if (refusesToken(response.status)) {
        tokens.invalidate(tenant, token);
        throw this.#failure(tenant, contactId, response, token);
      }
      return response.status;
    } catch (error) {
      // A failure to reach or use the endpoint may mean it moved; throttling says nothing of that.
      if (isNiceError(error) && error.retryable && error.code !== NiceErrorCode.Throttled && error.code !== NiceErrorCode.CircuitOpen && tenant.cxone.apiEndpoint === undefined && token.cxoneTenantId !== undefined) {
        discovery.forgetApiEndpoint(tenant.cxone.issuer, token.cxoneTenantId);
      }
      throw error;
    }
  }

  async #apiEndpoint(tenant: NiceTenant, token: AccessToken, budget: Budget): Promise<URL> {
    const configured = tenant.cxone.apiEndpoint;
    if (configured !== undefined && configured !== '') return new URL(configured);
    if (token.cxoneTenantId === undefined) {
      throw misconfigured('discovery', 'The token answer carried no id_token with a tenantId, so the API endpoint cannot be discovered; set api_endpoint in the tenant config.');
    }
    return this.#deps.discovery.apiEndpoint(tenant.cxone.issuer, token.cxoneTenantId, budget);
  }

  /**
   * Sends one Signal API request in the tenant's next slot (when CXone has throttled it: see
   * `pacer.ts`) and through its circuit breaker; resolves with a 2xx or 401/403 answer, rejects
   * otherwise. While the breaker is open, or when no slot is free before the deadline, it rejects
   * with `CXONE_CIRCUIT_OPEN` without sending.
   */
  async #send(tenant: NiceTenant, endpoint: URL, contactId: string, params: readonly string[], token: AccessToken, budget: Budget, call: CallState): Promise<UpstreamResponse> {
    const { breakers, pacers, hooks, log, clock, attemptTimeoutMs } = this.#deps;
    for (;;) {
      const turn = pacers.reserve(tenant.id, budget.deadline, attemptTimeoutMs);
      if ('retryAt' in turn) {
        call.refusedAll = !turn.admitting;
        safeHook(log, () => hooks.onThrottled?.({ tenantId: tenant.id, reason: 'paced' }));
        // Past the deadline on purpose: the retry policy must not wait here; the row waits in the store.
        throw paced(Math.max(turn.retryAt, budget.deadline) - clock.now(), pacers.pace(tenant.id));
      }
      if (!turn.paced) break;
      await waitForTurn(turn.sendAt - clock.now(), budget.signal);
      // CXone cut the pace while this request waited: its slot was booked at the old one.
      if (pacers.generation(tenant.id) === turn.generation) break;
    }
    const sentAt = clock.now();
    try {
      const response = await breakers.run(tenant.id, () => this.#sendOnce(tenant, endpoint, contactId, params, token, budget));
      pacers.admitted(tenant.id, sentAt);
      return response;
    } catch (error) {
      if (isNiceError(error) && (error.code === NiceErrorCode.Throttled || error.code === NiceErrorCode.CircuitOpen)) {
        // A 429 that says when to come back (Retry-After) is followed by the retry policy; only
        // one that does not leaves the gateway to learn CXone's rate.
        if (error.code === NiceErrorCode.Throttled && error.retryAfterMs === undefined) pacers.throttled(tenant.id, sentAt);
        const reason = error.code === NiceErrorCode.Throttled ? 'upstream' : 'circuit_open';
        safeHook(log, () => hooks.onThrottled?.({ tenantId: tenant.id, reason }));
      } else if (isNiceError(error) && error.upstreamStatus !== undefined && error.upstreamStatus < 500) {
        // Answered within CXone's rate (a 400 or 404 was processed); a 5xx was not.
        pacers.admitted(tenant.id, sentAt);
      }
      throw error;
    }
  }

  async #sendOnce(tenant: NiceTenant, endpoint: URL, contactId: string, params: readonly string[], token: AccessToken, budget: Budget): Promise<UpstreamResponse> {
    const { http, clock, attemptTimeoutMs } = this.#deps;
    const request = signalRequest(endpoint, tenant.cxone.apiVersion, contactId, params, tenant.cxone.signalParams ?? 'body');
    const response = await http.exchange({
      kind: 'signal',
      url: request.url,
      method: 'POST',
      headers: { authorization: token.authorization(), accept: 'application/json', ...request.headers },
      body: request.body,
      timeoutMs: exchangeTimeout(budget, attemptTimeoutMs, clock),
      signal: budget.signal,
    });
    if ((response.status >= 200 && response.status <= 299) || refusesToken(response.status)) return response;
    throw this.#failure(tenant, contactId, response, token);
  }

  #failure(tenant: NiceTenant, contactId: string, response: UpstreamResponse, token: AccessToken): NiceError {
    if (response.status < 200) return malformedAnswer('signal', response.status, 'an informational status as the final answer', response.correlationId);
    const { credentials } = tenant.cxone;
    return signalFailure(contactId, {
      kind: 'signal',
      status: response.status,
      correlationId: response.correlationId,
      retryAfterMs: parseRetryAfter(response.retryAfter, this.#deps.clock.now()),
      // A proxy's error page may echo the request; the token must not travel on in the error.
      upstreamError: errorSnippet(
        response.body,
        [credentials.clientId, credentials.clientSecret, credentials.accessKeyId, credentials.accessKeySecret, token.authorization().slice('Bearer '.length)].filter(
          (value): value is string => value !== undefined,
        ),
      ),
    });
  }
}

const refusesToken = (status: number): boolean => status === 401 || status === 403;

/** Waits for a paced request's slot; an abort ends the wait (the caller is shutting down). */
async function waitForTurn(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return;
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw abortedFailure('signal');
  }
}

/** Not sent: the tenant is paced and its next free slot is past this call's deadline. */
function paced(retryAfterMs: number, perSecond: number | null): NiceError {
  const pace = perSecond === null ? '' : ` at ${Math.round(perSecond * 10) / 10}/s`;
  return new NiceError({
    kind: 'signal',
    code: NiceErrorCode.CircuitOpen,
    retryable: true,
    retryAfterMs,
    message: `Not sent yet: CXone throttled this tenant's signals, so the gateway paces them${pace} and this one's turn is ${Math.ceil(retryAfterMs / 1000)} s away.`,
  });
}

/** Runs a metrics hook; a broken hook must not fail a handoff. */
function safeHook(log: NiceLogger, call: () => void): void {
  try {
    call();
  } catch (error) {
    log.warn({ err: { name: (error as Error).name } }, 'nice hook threw');
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

/** What travels in a Signal API request besides the bearer token. */
export interface SignalRequest {
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
}

/**
 * The Signal API request for `transport`: `body` (default) posts `{"p1": …, "pN": …}` (only the
 * params given) as JSON; `query` puts them in the query string and is refused here, before it is
 * sent, when its request line would pass `MAX_REQUEST_LINE_BYTES` (CXone's front end would answer
 * 414; the message says to use the body).
 */
export function signalRequest(endpoint: URL, apiVersion: string, contactId: string, params: readonly string[], transport: SignalParamsTransport): SignalRequest {
  if (transport === 'body') {
    return {
      url: signalUrl(endpoint, apiVersion, contactId, []),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Object.fromEntries(params.map((value, index) => [`p${index + 1}`, value]))),
    };
  }
  const url = signalUrl(endpoint, apiVersion, contactId, params);
  const bytes = requestLineBytes('POST', `${url.pathname}${url.search}`);
  if (bytes > MAX_REQUEST_LINE_BYTES) {
    throw badInput(`The signal's query string makes a ${bytes}-byte request line, over CXone's ${MAX_REQUEST_LINE_BYTES}; set the tenant's signalParams to "body".`);
  }
  return { url, headers: {}, body: undefined };
}

/**
 * `{api_endpoint}/incontactapi/services/{vN.0}/interactions/{contactId}/signal?p1=..&pN=..`, keeping
 * any path prefix of the endpoint. Params are percent-encoded (`%20`, not `+`).
 */
export function signalUrl(endpoint: URL, apiVersion: string, contactId: string, params: readonly string[]): URL {
  const url = new URL(endpoint.href);
  const base = url.pathname.replace(/\/+$/, '');
  url.pathname = `${base}/incontactapi/services/${normalizeApiVersion(apiVersion)}/interactions/${encodeURIComponent(contactId)}/signal`;
  url.search = params.map((value, index) => `p${index + 1}=${encodeURIComponent(value)}`).join('&');
  url.hash = '';
  return url;
}

/** `v30.0`, `30.0`, `v30` and `30` all mean `v30.0`. */
export function normalizeApiVersion(apiVersion: string): string {
  const bare = apiVersion.trim().replace(/^v/i, '');
  return `v${bare.includes('.') ? bare : `${bare}.0`}`;
}
