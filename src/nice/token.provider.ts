/**
 * Access tokens per tenant (docs/architecture.md, "CXone wire contract", "Client rules"): cached, fetched at most once at a time
 * (single flight: any number of concurrent callers share one request), refreshed ahead of expiry,
 * and invalidated when the Signal API refuses one.
 *
 * Refresh: once a token passes its refresh point (expiry minus the margin) the next caller starts
 * a background refresh and keeps using the still-valid token; only a caller holding no valid token
 * waits. A refresh uses the `refresh_token` grant while the refresh token is within its lifetime
 * (7200 s in NICE's examples) and the password grant once it is past it or when CXone refuses it
 * (401 `invalid_grant`); network failures and 5xx are not retried here (the signal's retry policy
 * does that).
 *
 * Grants (per tenant, `cxone.grant`): `password` (default) at the discovered token endpoint, or
 * `access-key` at `{authEndpoint}/authentication/v1/token/access-key` with a JSON body. An
 * access-key tenant has no API client to present a refresh token with, so it renews by running its
 * grant again (no source shows an access-key refresh).
 */
import { inspect } from 'node:util';
import { z } from 'zod';
import { type Budget, within } from './budget.js';
import { type Discovery } from './discovery.js';
import { isNiceError, malformedAnswer, misconfigured, tokenFailure, type NiceError } from './errors.js';
import { type Clock, errorSnippet, type NiceLogger, parseRetryAfter, type UpstreamHttp } from './cxone-http.js';
import { tenantIdFromIdToken } from './jwt.js';
import { type CxoneGrant } from '../config/tenant.js';
import { type NiceTenant } from './types.js';

/** NICE's SDK refreshes 600 s before expiry. */
export const DEFAULT_REFRESH_MARGIN_SECONDS = 600;

/**
 * How long a refresh token stays usable: NICE's token examples say 7200 s (docs/architecture.md, "CXone wire contract", sources A). The
 * token answer does not carry it, so the client counts from when it asked.
 */
export const DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS = 7200;

/** Path of the access-key grant under the tenant's auth endpoint (docs/architecture.md, "CXone wire contract", sources N, D). */
export const ACCESS_KEY_TOKEN_PATH = '/authentication/v1/token/access-key';

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
  /** Default `DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS`. */
  readonly refreshTokenLifetimeSeconds?: number | undefined;
}

interface TenantTokens {
  current: AccessToken | undefined;
  refreshToken: string | undefined;
  /** Epoch ms after which the refresh token is not offered (CXone would refuse it). */
  refreshTokenExpiresAt: number;
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

type FormGrant = { readonly grant_type: 'password'; readonly username: string; readonly password: string } | { readonly grant_type: 'refresh_token'; readonly refresh_token: string };

/** One token request, whichever the grant. */
interface TokenRequest {
  readonly grant: CxoneGrant;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Values the answer must not carry on into an error (credentials, the refresh token sent). */
  readonly secrets: readonly string[];
  /** The URL came from discovery: forget it when it fails, so the next try looks it up again. */
  readonly discovered: boolean;
}

/** Caches, single-flights and refreshes CXone access tokens per tenant. */
export class TokenProvider {
  readonly #options: TokenProviderOptions;
  readonly #marginSeconds: number;
  readonly #refreshLifetimeMs: number;
  readonly #tenants = new Map<string, TenantTokens>();
  #requests = 0;

  constructor(options: TokenProviderOptions) {
    this.#options = options;
    this.#marginSeconds = options.refreshMarginSeconds ?? DEFAULT_REFRESH_MARGIN_SECONDS;
    this.#refreshLifetimeMs = (options.refreshTokenLifetimeSeconds ?? DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS) * 1000;
  }

  /** Token requests sent to CXone so far (every grant). */
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
    const held = [state?.current?.authorization().slice('Bearer '.length), state?.refreshToken];
    return [clientId, clientSecret, accessKeyId, accessKeySecret, ...held].filter((value): value is string => value !== undefined);
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
    state.refreshTokenExpiresAt = 0;
  }

  #state(tenantId: string): TenantTokens {
    let state = this.#tenants.get(tenantId);
    if (state === undefined) {
      state = { current: undefined, refreshToken: undefined, refreshTokenExpiresAt: 0, flight: undefined };
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
    const token = tenant.cxone.grant === 'access-key' ? await this.#send(tenant, state, accessKeyRequest(tenant)) : await this.#passwordOrRefresh(tenant, state);
    state.current = token;
    return token;
  }

  async #passwordOrRefresh(tenant: NiceTenant, state: TenantTokens): Promise<AccessToken> {
    const { clock, discovery, attemptTimeoutMs, log } = this.#options;
    const { issuer } = tenant.cxone;
    const endpoint = await discovery.tokenEndpoint(issuer, { deadline: clock.now() + attemptTimeoutMs });
    const refreshToken = state.refreshToken;
    if (refreshToken !== undefined && clock.now() >= state.refreshTokenExpiresAt) {
      // CXone would answer 401 invalid_grant: save the round trip.
      log.debug({ tenant: tenant.id }, 'CXone refresh token past its lifetime; using the password grant');
      state.refreshToken = undefined;
    } else if (refreshToken !== undefined) {
      try {
        return await this.#send(tenant, state, formRequest(tenant, endpoint, { grant_type: 'refresh_token', refresh_token: refreshToken }));
      } catch (error) {
        if (!refusedByCxone(error)) throw error;
        log.debug({ tenant: tenant.id, code: error.code, upstreamStatus: error.upstreamStatus }, 'CXone refused the refresh token; using the password grant');
        state.refreshToken = undefined;
      }
    }
    const { accessKeyId, accessKeySecret } = tenant.cxone.credentials;
    // A refresh token just dropped is still a secret: an upstream may echo it in this answer too.
    const dropped = refreshToken === undefined ? [] : [refreshToken];
    return this.#send(tenant, state, formRequest(tenant, endpoint, { grant_type: 'password', username: accessKeyId, password: accessKeySecret }, dropped));
  }

  async #send(tenant: NiceTenant, state: TenantTokens, request: TokenRequest): Promise<AccessToken> {
    const { http, clock, discovery, attemptTimeoutMs } = this.#options;
    const requestedAt = clock.now();
    this.#requests += 1;
    let response;
    try {
      response = await http.exchange({
        kind: 'token',
        url: request.url,
        method: 'POST',
        headers: request.headers,
        body: request.body,
        timeoutMs: attemptTimeoutMs,
      });
    } catch (error) {
      // The endpoint may have moved; look it up again next time.
      if (request.discovered) discovery.forgetTokenEndpoint(tenant.cxone.issuer);
      throw error;
    }
    if (response.status < 200 || response.status > 299) {
      if (request.discovered && (response.status === 404 || response.status >= 500)) discovery.forgetTokenEndpoint(tenant.cxone.issuer);
      throw tokenFailure(
        {
          kind: 'token',
          status: response.status,
          correlationId: response.correlationId,
          retryAfterMs: parseRetryAfter(response.retryAfter, clock.now()),
          upstreamError: errorSnippet(response.body, request.secrets),
        },
        request.grant,
      );
    }
    const answer = response.body.type === 'json' ? TokenAnswer.safeParse(response.body.value) : undefined;
    if (answer?.success !== true) {
      throw malformedAnswer('token', response.status, 'no Bearer access_token with a positive expires_in', response.correlationId);
    }
    const { access_token, expires_in, refresh_token, id_token } = answer.data;
    // An access-key tenant has no API client to present a refresh token with: it runs its grant again.
    if (request.grant === 'password' && refresh_token !== undefined) {
      state.refreshToken = refresh_token;
      state.refreshTokenExpiresAt = requestedAt + this.#refreshLifetimeMs;
    }
    // A refresh answer may omit the refresh token (RFC 6749 §6) and the id_token: the old ones stay.
    const cxoneTenantId = (id_token === undefined ? undefined : tenantIdFromIdToken(id_token)) ?? state.current?.cxoneTenantId;
    const expiresAt = requestedAt + expires_in * 1000;
    return new AccessToken(access_token, { cxoneTenantId, expiresAt, refreshAt: expiresAt - refreshMarginMs(expires_in, this.#marginSeconds) });
  }
}

/** A password or refresh_token grant: form body, the API client in HTTP Basic (client_secret_basic). */
function formRequest(tenant: NiceTenant, endpoint: URL, grant: FormGrant, moreSecrets: readonly string[] = []): TokenRequest {
  const { clientId, clientSecret, accessKeyId, accessKeySecret } = tenant.cxone.credentials;
  if (clientId === undefined || clientId === '' || clientSecret === undefined || clientSecret === '') {
    throw misconfigured('token', 'The password grant needs the API client (clientId and clientSecret); set them, or set grant to "access-key".');
  }
  return {
    grant: 'password',
    url: endpoint,
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`, 'utf8').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams(grant).toString(),
    secrets: [clientId, clientSecret, accessKeyId, accessKeySecret, ...(grant.grant_type === 'refresh_token' ? [grant.refresh_token] : []), ...moreSecrets],
    discovered: true,
  };
}

/** The access-key grant: `POST {authEndpoint}/authentication/v1/token/access-key`, JSON body, no API client. */
function accessKeyRequest(tenant: NiceTenant): TokenRequest {
  const { authEndpoint, issuer, credentials } = tenant.cxone;
  const { accessKeyId, accessKeySecret } = credentials;
  const url = new URL(authEndpoint ?? issuer);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${ACCESS_KEY_TOKEN_PATH}`;
  url.search = '';
  url.hash = '';
  return {
    grant: 'access-key',
    url,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ accessKeyId, accessKeySecret }),
    secrets: [credentials.clientId, credentials.clientSecret, accessKeyId, accessKeySecret].filter((value): value is string => value !== undefined),
    discovered: false,
  };
}

/** CXone answered and said no (4xx or a malformed 2xx): the password grant may still work. */
function refusedByCxone(error: unknown): error is NiceError {
  return isNiceError(error) && error.upstreamStatus !== undefined && error.upstreamStatus < 500 && error.upstreamStatus !== 429;
}
