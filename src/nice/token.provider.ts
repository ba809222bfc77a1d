/**
 * Access tokens per tenant (docs/architecture.md, "CXone wire contract", "Client rules"): cached, fetched at most once at a time
 * (single flight: any number of concurrent callers share one request), refreshed ahead of expiry,
 * and invalidated when the Signal API refuses one.
 *
 * Refresh: once a token passes its refresh point (expiry minus the margin) the next caller starts
 * a background refresh and keeps using the still-valid token; only a caller holding no valid token
 * waits. A refresh uses the `refresh_token` grant when there is a refresh token and falls back to
 * the password grant when CXone refuses it; network failures and 5xx are not retried here (the
 * signal's retry policy does that).
 */
import { inspect } from 'node:util';
import { z } from 'zod';
import { type Budget, within } from './budget.js';
import { type Discovery } from './discovery.js';
import { isNiceError, malformedAnswer, tokenFailure, type NiceError } from './errors.js';
import { type Clock, errorSnippet, type NiceLogger, parseRetryAfter, type UpstreamHttp } from './cxone-http.js';
import { tenantIdFromIdToken } from './jwt.js';
import { type NiceTenant } from './types.js';

/** NICE's SDK refreshes 600 s before expiry. */
export const DEFAULT_REFRESH_MARGIN_SECONDS = 600;

/**
 * How long before expiry a token is refreshed. The configured margin applies when it is at most
 * half the lifetime, and is then raised to at least a tenth of it; a shorter-lived token is
 * refreshed when 90 % of its lifetime has passed. So a 3600 s token refreshes at 3000 s, a 60 s
 * token at 54 s, and the margin never reaches the lifetime.
 */
export function refreshMarginMs(lifetimeSeconds: number, marginSeconds: number): number {
  const tenth = lifetimeSeconds / 10;
  const margin = marginSeconds <= lifetimeSeconds / 2 ? Math.max(marginSeconds, tenth) : tenth;
  return margin * 1000;
}

/** A bearer token. Its value never appears in `JSON.stringify`, `util.inspect` or `String()`. */
export class AccessToken {
  readonly #value: string;
  /** CXone tenant id from the id_token (selects the discovery document). */
  readonly cxoneTenantId: string | undefined;
  /** Epoch ms after which the token is not used. */
  readonly expiresAt: number;
  /** Epoch ms after which a refresh starts. */
  readonly refreshAt: number;

  constructor(value: string, init: { cxoneTenantId: string | undefined; expiresAt: number; refreshAt: number }) {
    this.#value = value;
    this.cxoneTenantId = init.cxoneTenantId;
    this.expiresAt = init.expiresAt;
    this.refreshAt = init.refreshAt;
  }

  /** The `Authorization` header value. */
  authorization(): string {
    return `Bearer ${this.#value}`;
  }

  toJSON(): Record<string, unknown> {
    return { cxoneTenantId: this.cxoneTenantId, expiresAt: this.expiresAt, refreshAt: this.refreshAt };
  }

  toString(): string {
    return '[AccessToken]';
  }

  [inspect.custom](): string {
    return `AccessToken ${JSON.stringify(this.toJSON())}`;
  }
}

/** Dependencies and settings of a `TokenProvider`. */
export interface TokenProviderOptions {
  readonly http: UpstreamHttp;
  readonly discovery: Discovery;
  readonly clock: Clock;
  readonly log: NiceLogger;
  readonly attemptTimeoutMs: number;
  readonly refreshMarginSeconds?: number | undefined;
}

interface TenantTokens {
  current: AccessToken | undefined;
  refreshToken: string | undefined;
  flight: Promise<AccessToken> | undefined;
}

const TokenAnswer = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive().finite(),
  token_type: z
    .string()
    .regex(/^bearer$/i)
    .optional(),
  refresh_token: z.string().min(1).optional(),
  id_token: z.string().optional(),
});

type Grant = { readonly grant_type: 'password'; readonly username: string; readonly password: string } | { readonly grant_type: 'refresh_token'; readonly refresh_token: string };

/** Caches, single-flights and refreshes CXone access tokens per tenant. */
export class TokenProvider {
  readonly #options: TokenProviderOptions;
  readonly #marginSeconds: number;
  readonly #tenants = new Map<string, TenantTokens>();
  #requests = 0;

  constructor(options: TokenProviderOptions) {
    this.#options = options;
    this.#marginSeconds = options.refreshMarginSeconds ?? DEFAULT_REFRESH_MARGIN_SECONDS;
  }

  /** Token requests sent to CXone so far (both grants). */
  get requests(): number {
    return this.#requests;
  }

  /** A valid token for the tenant: cached, or from the one fetch in flight, within `budget`. */
  get(tenant: NiceTenant, budget: Budget): Promise<AccessToken> {
    const state = this.#state(tenant.id);
    const now = this.#options.clock.now();
    const current = state.current;
    if (current !== undefined && now < current.expiresAt) {
      if (now >= current.refreshAt && state.flight === undefined) {
        this.#startFlight(tenant, state).catch((error: unknown) => {
          this.#options.log.warn({ tenant: tenant.id, code: isNiceError(error) ? error.code : 'UNKNOWN' }, 'CXone token refresh ahead of expiry failed; using the current token');
        });
      }
      return Promise.resolve(current);
    }
    return within(state.flight ?? this.#startFlight(tenant, state), budget, this.#options.clock, 'token');
  }

  /** The tenant's credentials and the tokens held for it, for redacting upstream echoes. */
  secretsOf(tenant: NiceTenant): string[] {
    const { clientId, clientSecret, accessKeyId, accessKeySecret } = tenant.cxone.credentials;
    const state = this.#tenants.get(tenant.id);
    const held = [state?.current?.authorization().slice('Bearer '.length), state?.refreshToken].filter((value): value is string => value !== undefined);
    return [clientId, clientSecret, accessKeyId, accessKeySecret, ...held];
  }

  /**
   * Forgets a token CXone refused. Passing the refused token makes this idempotent across the
   * many callers that held it: only the first one drops it, the rest find a newer one.
   */
  invalidate(tenant: NiceTenant, refused?: AccessToken): void {
    const state = this.#tenants.get(tenant.id);
    if (state === undefined || (refused !== undefined && state.current !== refused)) return;
    state.current = undefined;
    // A refused token says little about its refresh token; start over with the password grant.
    state.refreshToken = undefined;
  }

  #state(tenantId: string): TenantTokens {
    let state = this.#tenants.get(tenantId);
    if (state === undefined) {
      state = { current: undefined, refreshToken: undefined, flight: undefined };
      this.#tenants.set(tenantId, state);
    }
    return state;
  }

  #startFlight(tenant: NiceTenant, state: TenantTokens): Promise<AccessToken> {
    const flight = this.#fetch(tenant, state).finally(() => {
      if (state.flight === flight) state.flight = undefined;
    });
    state.flight = flight;
    return flight;
  }

  async #fetch(tenant: NiceTenant, state: TenantTokens): Promise<AccessToken> {
    const { clock, discovery, attemptTimeoutMs } = this.#options;
    const { issuer, credentials } = tenant.cxone;
    const endpoint = await discovery.tokenEndpoint(issuer, { deadline: clock.now() + attemptTimeoutMs });
    let token: AccessToken | undefined;
    const refreshToken = state.refreshToken;
    if (refreshToken !== undefined) {
      try {
        token = await this.#grant(tenant, state, endpoint, { grant_type: 'refresh_token', refresh_token: refreshToken });
      } catch (error) {
        if (!refusedByCxone(error)) throw error;
        this.#options.log.debug({ tenant: tenant.id, code: error.code, upstreamStatus: error.upstreamStatus }, 'CXone refused the refresh token; using the password grant');
        state.refreshToken = undefined;
      }
    }
    token ??= await this.#grant(tenant, state, endpoint, { grant_type: 'password', username: credentials.accessKeyId, password: credentials.accessKeySecret });
    state.current = token;
    return token;
  }

  async #grant(tenant: NiceTenant, state: TenantTokens, endpoint: URL, grant: Grant): Promise<AccessToken> {
    const { http, clock, discovery, attemptTimeoutMs } = this.#options;
    const { clientId, clientSecret, accessKeyId, accessKeySecret } = tenant.cxone.credentials;
    const requestedAt = clock.now();
    this.#requests += 1;
    let response;
    try {
      response = await http.exchange({
        kind: 'token',
        url: endpoint,
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`, 'utf8').toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams(grant).toString(),
        timeoutMs: attemptTimeoutMs,
      });
    } catch (error) {
      // The endpoint may have moved; look it up again next time.
      discovery.forgetTokenEndpoint(tenant.cxone.issuer);
      throw error;
    }
    if (response.status < 200 || response.status > 299) {
      if (response.status === 404 || response.status >= 500) discovery.forgetTokenEndpoint(tenant.cxone.issuer);
      const secrets = [clientId, clientSecret, accessKeyId, accessKeySecret, grant.grant_type === 'refresh_token' ? grant.refresh_token : ''];
      throw tokenFailure({
        kind: 'token',
        status: response.status,
        correlationId: response.correlationId,
        retryAfterMs: parseRetryAfter(response.retryAfter, clock.now()),
        upstreamError: errorSnippet(response.body, secrets),
      });
    }
    const answer = response.body.type === 'json' ? TokenAnswer.safeParse(response.body.value) : undefined;
    if (answer?.success !== true) {
      throw malformedAnswer('token', response.status, 'no Bearer access_token with a positive expires_in', response.correlationId);
    }
    const { access_token, expires_in, refresh_token, id_token } = answer.data;
    // A refresh answer may omit the refresh token (RFC 6749 §6) and the id_token: keep the old ones.
    state.refreshToken = refresh_token ?? state.refreshToken;
    const cxoneTenantId = (id_token === undefined ? undefined : tenantIdFromIdToken(id_token)) ?? state.current?.cxoneTenantId;
    const expiresAt = requestedAt + expires_in * 1000;
    return new AccessToken(access_token, { cxoneTenantId, expiresAt, refreshAt: expiresAt - refreshMarginMs(expires_in, this.#marginSeconds) });
  }
}

/** CXone answered and said no (4xx or a malformed 2xx): the password grant may still work. */
function refusedByCxone(error: unknown): error is NiceError {
  return isNiceError(error) && error.upstreamStatus !== undefined && error.upstreamStatus < 500 && error.upstreamStatus !== 429;
}
