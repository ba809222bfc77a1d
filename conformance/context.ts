/**
 * What every fact's `check` receives: the target (issuer, credentials, contacts), an HTTP helper
 * that sends exactly the headers it is given (undici's `request`: no default `Accept`, unlike
 * `fetch`), and the shared steps several facts build on (discovery, the token), each run once.
 *
 * Every credential and every token the target hands out is remembered as a secret; the table
 * (run.ts) replaces them wherever they would appear.
 */
import { request } from 'undici';

/** Who the kit talks to: the simulator (everything checkable) or a real tenant (negative credentials opt-in). */
export type TargetMode = 'simulator' | 'real';

export interface ConformanceTarget {
  readonly mode: TargetMode;
  /** OIDC issuer, e.g. `https://cxone.niceincontact.com` (the simulator: its URL). */
  readonly issuer: string;
  readonly tenantId: string;
  /** The API client (password and refresh grants); without it those facts are not checkable. */
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly accessKeyId?: string;
  readonly accessKeySecret?: string;
  /** The one contact the kit may signal (once, p1 = {@link SIGNAL_P1}). */
  readonly contactId?: string;
  /** A contact id that does not exist: every negative signal goes there, never to a caller. */
  readonly missingContactId?: string;
  /** Against a real tenant, send wrong credentials (a failed login may lock an account). Always on against the simulator. */
  readonly includeNegativeAuth?: boolean;
  /** `v{N}.0` of the Signal API path; default 30 (the source C of docs/architecture.md). */
  readonly apiVersion?: number;
  /** Per-request timeout, ms; default 15 000. */
  readonly timeoutMs?: number;
}

/** What the signal fact sends as p1, so a Studio script (or a person watching) can tell it apart. */
export const SIGNAL_P1 = 'cxone-conformance-kit';
/** Digits only, 18 of them: no tenant has that many contacts, and a strict API accepts its format. */
export const DEFAULT_MISSING_CONTACT_ID = '999999999999999999';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

export interface HttpRequest {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface TokenAnswer {
  readonly answer: HttpAnswer;
  readonly body: Record<string, unknown>;
}

export class ConformanceContext {
  readonly target: ConformanceTarget;
  readonly #secrets = new Set<string>();
  readonly #memo = new Map<string, Promise<unknown>>();

  constructor(target: ConformanceTarget) {
    this.target = { ...target, issuer: target.issuer.replace(/\/+$/, '') };
    for (const secret of [target.clientSecret, target.accessKeySecret]) this.remember(secret);
  }

  get issuer(): string {
    return this.target.issuer;
  }

  get negativeAuth(): boolean {
    return this.target.mode === 'simulator' || this.target.includeNegativeAuth === true;
  }

  get apiVersion(): string {
    return `v${this.target.apiVersion ?? 30}.0`;
  }

  get missingContactId(): string {
    return this.target.missingContactId ?? DEFAULT_MISSING_CONTACT_ID;
  }

  /** Marks a value as secret: the table never shows it. */
  remember(value: unknown): void {
    if (typeof value === 'string' && value.length >= 4) this.#secrets.add(value);
  }

  /** `text` with every remembered secret replaced. */
  redact(text: string): string {
    let out = text;
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join('‹redacted›');
    return out;
  }

  /** One HTTP exchange; sends only the headers given. */
  async http(url: string, init: HttpRequest = {}): Promise<HttpAnswer> {
    const timeout = this.target.timeoutMs ?? 15_000;
    const response = await request(url, {
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
      body: init.body,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
    const text = await response.body.text();
    let json: unknown;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    // Whatever a token endpoint answers is remembered before any fact can print it.
    if (isRecord(json)) for (const field of ['access_token', 'refresh_token', 'id_token', 'token']) this.remember(json[field]);
    return { status: response.statusCode, headers: response.headers, text, json };
  }

  /** Runs `step` once per key; later callers share its promise (and its failure). */
  once<T>(key: string, step: () => Promise<T>): Promise<T> {
    let promise = this.#memo.get(key) as Promise<T> | undefined;
    if (promise === undefined) {
      promise = step();
      this.#memo.set(key, promise);
    }
    return promise;
  }

  /** `{issuer}/.well-known/openid-configuration`. */
  openIdConfiguration(): Promise<HttpAnswer> {
    return this.once('oidc', () => this.http(`${this.issuer}/.well-known/openid-configuration`, { headers: { accept: 'application/json' } }));
  }

  /** `{issuer}/.well-known/cxone-configuration?tenantId=`. */
  tenantConfiguration(): Promise<HttpAnswer> {
    return this.once('tenant', () =>
      this.http(`${this.issuer}/.well-known/cxone-configuration?tenantId=${encodeURIComponent(this.target.tenantId)}`, { headers: { accept: 'application/json' } }),
    );
  }

  /** The token endpoint the discovery names, or `{issuer}/auth/token` when it names none. */
  async tokenEndpoint(): Promise<string> {
    const doc = (await this.openIdConfiguration()).json;
    const named = isRecord(doc) ? doc.token_endpoint : undefined;
    return typeof named === 'string' ? named : `${this.issuer}/auth/token`;
  }

  /** The Signal API's base, from tenant discovery; undefined when discovery did not name one. */
  async apiEndpoint(): Promise<string | undefined> {
    const doc = (await this.tenantConfiguration()).json;
    const named = isRecord(doc) ? doc.api_endpoint : undefined;
    return typeof named === 'string' && named.length > 0 ? named.replace(/\/+$/, '') : undefined;
  }

  /** Where the access-key grant lives: tenant discovery's `auth_endpoint`, else the issuer. */
  async authEndpoint(): Promise<string> {
    const doc = (await this.tenantConfiguration()).json;
    const named = isRecord(doc) ? doc.auth_endpoint : undefined;
    return (typeof named === 'string' && named.length > 0 ? named : this.issuer).replace(/\/+$/, '');
  }

  /** A form POST to the token endpoint with HTTP Basic client authentication. */
  async tokenRequest(form: Record<string, string>, client: { id: string; secret: string }): Promise<TokenAnswer> {
    const answer = await this.http(await this.tokenEndpoint(), {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams(form).toString(),
    });
    return { answer, body: isRecord(answer.json) ? answer.json : {} };
  }

  /** The password grant with the supplied client and access key, once. */
  passwordGrant(): Promise<TokenAnswer> | undefined {
    const { clientId, clientSecret, accessKeyId, accessKeySecret } = this.target;
    if (clientId === undefined || clientSecret === undefined || accessKeyId === undefined || accessKeySecret === undefined) return undefined;
    return this.once('password', () => this.tokenRequest({ grant_type: 'password', username: accessKeyId, password: accessKeySecret }, { id: clientId, secret: clientSecret }));
  }

  /** The access-key grant (`POST {auth_endpoint}/authentication/v1/token/access-key`, JSON), once. */
  accessKeyGrant(): Promise<TokenAnswer> | undefined {
    const { accessKeyId, accessKeySecret } = this.target;
    if (accessKeyId === undefined || accessKeySecret === undefined) return undefined;
    return this.once('access-key', async () => {
      const answer = await this.http(`${await this.authEndpoint()}/authentication/v1/token/access-key`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ accessKeyId, accessKeySecret }),
      });
      return { answer, body: isRecord(answer.json) ? answer.json : {} };
    });
  }

  /** An access token for the Signal API: the password grant's, else the access-key grant's; undefined when neither works. */
  async accessToken(): Promise<string | undefined> {
    for (const grant of [this.passwordGrant(), this.accessKeyGrant()]) {
      if (grant === undefined) continue;
      const token = (await grant).body.access_token;
      if (typeof token === 'string') return token;
    }
    return undefined;
  }

  /** `{api_endpoint}/incontactapi/services/v{N}.0/interactions/{contactId}/signal`. */
  async signalUrl(contactId: string): Promise<string | undefined> {
    const api = await this.apiEndpoint();
    return api === undefined ? undefined : `${api}/incontactapi/services/${this.apiVersion}/interactions/${encodeURIComponent(contactId)}/signal`;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
