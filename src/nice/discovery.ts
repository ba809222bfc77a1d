/**
 * CXone discovery (docs/architecture.md, "CXone wire contract"): the issuer's OpenID configuration gives the `token_endpoint`; the
 * tenant's CXone configuration (keyed by the `tenantId` claim of the id_token) gives the
 * `api_endpoint`. Both are cached as single-flight promises; a failed lookup is not cached, and
 * the client forgets an entry when using it fails, so the next attempt re-discovers.
 */
import { z } from 'zod';
import { type Budget, exchangeTimeout, within } from './budget.js';
import { discoveryFailure, malformedAnswer, type NiceError } from './errors.js';
import { type Clock, errorSnippet, parseRetryAfter, type UpstreamHttp, type UpstreamResponse } from './cxone-http.js';

const httpUrl = z.url({ protocol: /^https?$/ });

const OpenIdConfiguration = z.object({ token_endpoint: httpUrl });
const CxoneConfiguration = z.object({ api_endpoint: httpUrl });

/** Looks up and caches token and API endpoints. */
export class Discovery {
  readonly #http: UpstreamHttp;
  readonly #clock: Clock;
  readonly #attemptTimeoutMs: number;
  readonly #tokenEndpoints = new Map<string, Promise<URL>>();
  readonly #apiEndpoints = new Map<string, Promise<URL>>();

  constructor(http: UpstreamHttp, clock: Clock, attemptTimeoutMs: number) {
    this.#http = http;
    this.#clock = clock;
    this.#attemptTimeoutMs = attemptTimeoutMs;
  }

  /** `token_endpoint` of `{issuer}/.well-known/openid-configuration`. */
  tokenEndpoint(issuer: string, budget: Budget): Promise<URL> {
    return this.#cached(this.#tokenEndpoints, issuer, budget, () =>
      this.#fetch(wellKnown(issuer, 'openid-configuration'), 'openid-configuration', (json) => OpenIdConfiguration.safeParse(json).data?.token_endpoint),
    );
  }

  /** `api_endpoint` of `{issuer}/.well-known/cxone-configuration?tenantId=`. */
  apiEndpoint(issuer: string, cxoneTenantId: string, budget: Budget): Promise<URL> {
    const url = wellKnown(issuer, 'cxone-configuration');
    url.searchParams.set('tenantId', cxoneTenantId);
    return this.#cached(this.#apiEndpoints, `${issuer}\n${cxoneTenantId}`, budget, () =>
      this.#fetch(url, 'cxone-configuration', (json) => CxoneConfiguration.safeParse(json).data?.api_endpoint),
    );
  }

  /** Drops a token endpoint that failed, so the next use re-discovers it. */
  forgetTokenEndpoint(issuer: string): void {
    this.#tokenEndpoints.delete(issuer);
  }

  /** Drops an API endpoint that failed, so the next use re-discovers it. */
  forgetApiEndpoint(issuer: string, cxoneTenantId: string): void {
    this.#apiEndpoints.delete(`${issuer}\n${cxoneTenantId}`);
  }

  #cached(cache: Map<string, Promise<URL>>, key: string, budget: Budget, load: () => Promise<URL>): Promise<URL> {
    let entry = cache.get(key);
    if (entry === undefined) {
      entry = load();
      cache.set(key, entry);
      // Failures are not cached: the next caller starts a fresh lookup.
      entry.catch(() => {
        if (cache.get(key) === entry) cache.delete(key);
      });
    }
    return within(entry, budget, this.#clock, 'discovery');
  }

  async #fetch(url: URL, document: string, pick: (json: unknown) => string | undefined): Promise<URL> {
    // Shared by every waiter, so bounded by the attempt timeout rather than one caller's deadline.
    const budget = { deadline: this.#clock.now() + this.#attemptTimeoutMs };
    const response = await this.#http.exchange({
      kind: 'discovery',
      url,
      method: 'GET',
      headers: { accept: 'application/json' },
      timeoutMs: exchangeTimeout(budget, this.#attemptTimeoutMs, this.#clock),
    });
    if (response.status < 200 || response.status > 299) throw this.#failure(response, document);
    const found = response.body.type === 'json' ? pick(response.body.value) : undefined;
    if (found === undefined) {
      throw malformedAnswer('discovery', response.status, `${document} has no usable endpoint URL`, response.correlationId);
    }
    return new URL(found);
  }

  #failure(response: UpstreamResponse, document: string): NiceError {
    return discoveryFailure(
      {
        kind: 'discovery',
        status: response.status,
        correlationId: response.correlationId,
        retryAfterMs: parseRetryAfter(response.retryAfter, this.#clock.now()),
        upstreamError: errorSnippet(response.body, []),
      },
      document,
    );
  }
}

function wellKnown(issuer: string, document: string): URL {
  const base = new URL(issuer);
  base.pathname = `${base.pathname.replace(/\/+$/, '')}/.well-known/${document}`;
  base.search = '';
  return base;
}
