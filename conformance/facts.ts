/**
 * The CXone wire contract (docs/architecture.md, "CXone wire contract") as one executable list.
 * Each fact names its source letter(s) from that document and whether a source shows it literally
 * (`sourced`) or it is `inferred`, says what it checks and what it expects, and checks it over HTTP
 * against a target: the simulator in `npm test`, a real tenant with `npm run conformance`.
 *
 * Read-only against a real tenant except `signal.json-body`, the one signal to the contact the user
 * names; every other signal goes to a contact id that does not exist. Facts that send wrong
 * credentials run against a real tenant only with `includeNegativeAuth` (a failed login may lock an
 * account or trip an alert); against the simulator they always run.
 */
import { MAX_REQUEST_LINE_BYTES, MAX_SIGNAL_PARAMS } from '../src/common/signal-limits.js';
import { type ConformanceContext, type HttpAnswer, SIGNAL_P1, isRecord } from './context.js';

export type Outcome =
  | { readonly status: 'matches'; readonly info?: string }
  | { readonly status: 'differs'; readonly expected: string; readonly actual: string }
  | { readonly status: 'not-checkable'; readonly why: string };

export interface Fact {
  readonly id: string;
  /** Source letters of docs/architecture.md ("CXone wire contract"), or the RFC a fact rests on. */
  readonly sources: string;
  readonly basis: 'sourced' | 'inferred';
  readonly checks: string;
  readonly expected: string;
  check(ctx: ConformanceContext): Promise<Outcome>;
}

const matches = (info?: string): Outcome => (info === undefined ? { status: 'matches' } : { status: 'matches', info });
const differs = (expected: string, actual: string): Outcome => ({ status: 'differs', expected, actual });
const notCheckable = (why: string): Outcome => ({ status: 'not-checkable', why });

const NEGATIVE_AUTH_OPT_IN =
  'sends a wrong credential, which may lock an account on a real tenant: opt in with --include-negative-auth';

/** `401 invalid_client`-style summary of an answer: status and, when JSON, its error code. */
function statusAndError(answer: HttpAnswer): string {
  const error = isRecord(answer.json) ? answer.json.error : undefined;
  return typeof error === 'string' ? `${answer.status} ${error}` : `${answer.status}`;
}

/** A short, single-line excerpt of a body for the table. */
function excerpt(text: string, max = 100): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

function describe(value: unknown): string {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

/** The discovery document as an object, or the outcome that says why there is none. */
async function document(answer: Promise<HttpAnswer>, name: string): Promise<Record<string, unknown> | Outcome> {
  const got = await answer;
  if (got.status !== 200 || !isRecord(got.json)) return differs(`200 with a JSON ${name} document`, `${got.status} ${excerpt(got.text)}`);
  return got.json;
}

const isOutcome = (value: unknown): value is Outcome => isRecord(value) && typeof value.status === 'string' && ('expected' in value || 'why' in value);

/** The claims of a JWT, without verifying it (the signature is not what this fact checks). */
function jwtClaims(token: unknown): Record<string, unknown> | undefined {
  if (typeof token !== 'string') return undefined;
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return isRecord(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** A signal to the contact that does not exist, with an access token; undefined when there is none. */
async function signalMissing(ctx: ConformanceContext, init: { query?: string; headers?: Record<string, string>; body?: string }): Promise<HttpAnswer | Outcome> {
  const token = await ctx.accessToken();
  if (token === undefined) return notCheckable('no access token: no grant succeeded (see the token facts)');
  const url = await ctx.signalUrl(ctx.missingContactId);
  if (url === undefined) return notCheckable('tenant discovery named no api_endpoint (see discovery.tenant)');
  return ctx.http(`${url}${init.query ?? ''}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...init.headers }, body: init.body });
}

const TOKEN_FIELDS = ['access_token', 'token_type', 'expires_in', 'refresh_token', 'id_token', 'issued_token_type'] as const;

export const FACTS: readonly Fact[] = [
  {
    id: 'discovery.token-endpoint',
    sources: 'A',
    basis: 'sourced',
    checks: 'GET {issuer}/.well-known/openid-configuration names the token endpoint',
    expected: 'token_endpoint = {issuer}/auth/token',
    async check(ctx) {
      const doc = await document(ctx.openIdConfiguration(), 'openid-configuration');
      if (isOutcome(doc)) return doc;
      const expected = `${ctx.issuer}/auth/token`;
      return doc.token_endpoint === expected ? matches() : differs(`token_endpoint ${expected}`, `token_endpoint ${describe(doc.token_endpoint)}`);
    },
  },
  {
    id: 'discovery.client-auth-methods',
    sources: 'A',
    basis: 'sourced',
    checks: 'the OIDC discovery lists both ways to authenticate the API client',
    expected: 'token_endpoint_auth_methods_supported ⊇ [client_secret_basic, client_secret_post]',
    async check(ctx) {
      const doc = await document(ctx.openIdConfiguration(), 'openid-configuration');
      if (isOutcome(doc)) return doc;
      const methods = doc.token_endpoint_auth_methods_supported;
      const listed = Array.isArray(methods) ? methods : [];
      return ['client_secret_basic', 'client_secret_post'].every((method) => listed.includes(method))
        ? matches()
        : differs('[client_secret_basic, client_secret_post]', describe(methods));
    },
  },
  {
    id: 'discovery.jwks',
    sources: 'A',
    basis: 'sourced',
    checks: 'id_tokens are RS256, with the keys published at {issuer}/auth/jwks',
    expected: 'jwks_uri = {issuer}/auth/jwks serving an RSA key; id_token_signing_alg_values_supported ∋ RS256',
    async check(ctx) {
      const doc = await document(ctx.openIdConfiguration(), 'openid-configuration');
      if (isOutcome(doc)) return doc;
      const expectedUri = `${ctx.issuer}/auth/jwks`;
      const algs = doc.id_token_signing_alg_values_supported;
      const problems: string[] = [];
      if (doc.jwks_uri !== expectedUri) problems.push(`jwks_uri ${describe(doc.jwks_uri)}`);
      if (!Array.isArray(algs) || !algs.includes('RS256')) problems.push(`id_token_signing_alg_values_supported ${describe(algs)}`);
      if (typeof doc.jwks_uri === 'string') {
        const jwks = await ctx.http(doc.jwks_uri, { headers: { accept: 'application/json' } });
        const keys = isRecord(jwks.json) && Array.isArray(jwks.json.keys) ? jwks.json.keys : [];
        if (jwks.status !== 200 || !keys.some((key) => isRecord(key) && key.kty === 'RSA')) problems.push(`jwks ${jwks.status} without an RSA key`);
      }
      return problems.length === 0 ? matches() : differs(`jwks_uri ${expectedUri}, RS256, an RSA key`, problems.join('; '));
    },
  },
  {
    id: 'discovery.tenant',
    sources: 'A',
    basis: 'sourced',
    checks: 'GET {issuer}/.well-known/cxone-configuration?tenantId= describes the tenant',
    expected: 'api_endpoint (a URL), area, cluster, domain (strings)',
    async check(ctx) {
      const doc = await document(ctx.tenantConfiguration(), 'cxone-configuration');
      if (isOutcome(doc)) return doc;
      const missing = ['api_endpoint', 'area', 'cluster', 'domain'].filter((field) => typeof doc[field] !== 'string' || doc[field] === '');
      if (missing.length === 0 && !URL.canParse(String(doc.api_endpoint))) missing.push('api_endpoint (not a URL)');
      return missing.length === 0 ? matches(`api_endpoint ${String(doc.api_endpoint)}`) : differs('api_endpoint, area, cluster, domain', `missing or empty: ${missing.join(', ')}`);
    },
  },
  {
    id: 'token.password.fields',
    sources: 'A',
    basis: 'sourced',
    checks: 'the password grant (HTTP Basic client, access key as username/password) answers a token pair',
    expected: `200 with ${TOKEN_FIELDS.join(', ')}`,
    async check(ctx) {
      const grant = ctx.passwordGrant();
      if (grant === undefined) return notCheckable('needs --client-id, the client secret, --access-key-id and the access key secret');
      const { answer, body } = await grant;
      if (answer.status !== 200) return differs('200', statusAndError(answer));
      const missing: string[] = TOKEN_FIELDS.filter((field) => body[field] === undefined);
      if (body.expires_in !== undefined && typeof body.expires_in !== 'number') missing.push('expires_in (a number)');
      return missing.length === 0 ? matches(`expires_in ${String(body.expires_in)}`) : differs(TOKEN_FIELDS.join(', '), `missing: ${missing.join(', ')}`);
    },
  },
  {
    id: 'token.type',
    sources: 'A',
    basis: 'sourced',
    checks: 'the token answer names the token type as NICE\'s examples spell it',
    expected: 'token_type "Bearer"',
    async check(ctx) {
      const grant = ctx.passwordGrant() ?? ctx.accessKeyGrant();
      if (grant === undefined) return notCheckable('needs credentials for a grant');
      const { answer, body } = await grant;
      if (answer.status !== 200) return notCheckable(`the grant failed (${statusAndError(answer)})`);
      return body.token_type === 'Bearer' ? matches() : differs('token_type "Bearer"', `token_type ${describe(body.token_type)}`);
    },
  },
  {
    id: 'token.id-token.tenant',
    sources: 'A',
    basis: 'sourced',
    checks: 'the id_token carries the tenant as a claim',
    expected: 'id_token claim tenantId = the tenant id',
    async check(ctx) {
      const grant = ctx.passwordGrant() ?? ctx.accessKeyGrant();
      if (grant === undefined) return notCheckable('needs credentials for a grant');
      const { answer, body } = await grant;
      if (answer.status !== 200) return notCheckable(`the grant failed (${statusAndError(answer)})`);
      const claims = jwtClaims(body.id_token);
      if (claims === undefined) return differs('an id_token (JWT) with claim tenantId', 'no readable id_token');
      return claims.tenantId === ctx.target.tenantId ? matches() : differs(`tenantId ${ctx.target.tenantId}`, `tenantId ${describe(claims.tenantId)}`);
    },
  },
  {
    id: 'token.no-store',
    sources: 'RFC 6749 §5.1',
    basis: 'inferred',
    checks: 'the token answer forbids caching it',
    expected: 'Cache-Control: no-store',
    async check(ctx) {
      const grant = ctx.passwordGrant() ?? ctx.accessKeyGrant();
      if (grant === undefined) return notCheckable('needs credentials for a grant');
      const { answer } = await grant;
      if (answer.status !== 200) return notCheckable(`the grant failed (${statusAndError(answer)})`);
      const header = answer.headers['cache-control'];
      const value = Array.isArray(header) ? header.join(', ') : header;
      return value !== undefined && /(^|,)\s*no-store\s*(,|$)/i.test(value) ? matches() : differs('Cache-Control: no-store', `Cache-Control: ${value ?? '(absent)'}`);
    },
  },
  {
    id: 'token.refresh',
    sources: 'B',
    basis: 'sourced',
    checks: 'the refresh_token grant (same client) renews the token',
    expected: '200 with access_token',
    async check(ctx) {
      const grant = ctx.passwordGrant();
      const { clientId, clientSecret } = ctx.target;
      if (grant === undefined || clientId === undefined || clientSecret === undefined) return notCheckable('needs the API client and access key (the password grant)');
      const refreshToken = (await grant).body.refresh_token;
      if (typeof refreshToken !== 'string') return notCheckable('the password grant gave no refresh_token');
      const { answer, body } = await ctx.tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken }, { id: clientId, secret: clientSecret });
      return answer.status === 200 && typeof body.access_token === 'string' ? matches() : differs('200 with access_token', statusAndError(answer));
    },
  },
  {
    id: 'token.access-key',
    sources: 'N',
    basis: 'sourced',
    checks: 'POST {auth_endpoint}/authentication/v1/token/access-key with JSON {accessKeyId, accessKeySecret}, no API client',
    expected: '200 with access_token, token_type, expires_in',
    async check(ctx) {
      const grant = ctx.accessKeyGrant();
      if (grant === undefined) return notCheckable('needs --access-key-id and the access key secret');
      const { answer, body } = await grant;
      if (answer.status !== 200) return differs('200', statusAndError(answer));
      const missing = ['access_token', 'token_type', 'expires_in'].filter((field) => body[field] === undefined);
      return missing.length === 0 ? matches() : differs('access_token, token_type, expires_in', `missing: ${missing.join(', ')}`);
    },
  },
  {
    id: 'token.wrong-client-secret',
    sources: 'RFC 6749 §5.2',
    basis: 'inferred',
    checks: 'the password grant with a wrong API client secret is refused',
    expected: '401 invalid_client',
    async check(ctx) {
      const { clientId, accessKeyId, accessKeySecret } = ctx.target;
      if (!ctx.negativeAuth) return notCheckable(NEGATIVE_AUTH_OPT_IN);
      if (clientId === undefined || accessKeyId === undefined || accessKeySecret === undefined) return notCheckable('needs --client-id and the access key');
      const { answer } = await ctx.tokenRequest({ grant_type: 'password', username: accessKeyId, password: accessKeySecret }, { id: clientId, secret: 'not-the-client-secret' });
      return statusAndError(answer) === '401 invalid_client' ? matches() : differs('401 invalid_client', statusAndError(answer));
    },
  },
  {
    id: 'token.wrong-access-key-secret',
    sources: 'RFC 6749 §5.2',
    basis: 'inferred',
    checks: 'the password grant with a wrong access key secret is refused (CXone: 401, where RFC 6749 says 400)',
    expected: '401 invalid_grant',
    async check(ctx) {
      const { clientId, clientSecret, accessKeyId } = ctx.target;
      if (!ctx.negativeAuth) return notCheckable(NEGATIVE_AUTH_OPT_IN);
      if (clientId === undefined || clientSecret === undefined || accessKeyId === undefined) return notCheckable('needs the API client and --access-key-id');
      const { answer } = await ctx.tokenRequest({ grant_type: 'password', username: accessKeyId, password: 'not-the-access-key-secret' }, { id: clientId, secret: clientSecret });
      return statusAndError(answer) === '401 invalid_grant' ? matches() : differs('401 invalid_grant', statusAndError(answer));
    },
  },
  {
    id: 'signal.json-body',
    sources: 'B, C, H',
    basis: 'sourced',
    checks: `POST {api_endpoint}/incontactapi/services/v{N}.0/interactions/{contact}/signal, JSON body {"p1": "${SIGNAL_P1}"}, Accept: application/json — the one signal the kit sends to a real contact`,
    expected: 'any 2xx (the simulator answers 202)',
    async check(ctx) {
      const contactId = ctx.target.contactId;
      if (contactId === undefined) return notCheckable('needs --contact-id: an active contact the kit may signal once');
      const token = await ctx.accessToken();
      if (token === undefined) return notCheckable('no access token: no grant succeeded (see the token facts)');
      const url = await ctx.signalUrl(contactId);
      if (url === undefined) return notCheckable('tenant discovery named no api_endpoint (see discovery.tenant)');
      const answer = await ctx.http(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ p1: SIGNAL_P1 }),
      });
      return answer.status >= 200 && answer.status < 300 ? matches(`answered ${answer.status}`) : differs('any 2xx', statusAndError(answer));
    },
  },
  {
    id: 'signal.invalid-token',
    sources: 'NICE docs (401/403 on the Signal API)',
    basis: 'sourced',
    checks: 'a signal with a bearer token CXone never issued is refused (sent to the missing contact)',
    expected: '401',
    async check(ctx) {
      const url = await ctx.signalUrl(ctx.missingContactId);
      if (url === undefined) return notCheckable('tenant discovery named no api_endpoint (see discovery.tenant)');
      const answer = await ctx.http(url, {
        method: 'POST',
        headers: { authorization: 'Bearer not-a-token-cxone-issued', 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ p1: SIGNAL_P1 }),
      });
      return answer.status === 401 ? matches() : differs('401', statusAndError(answer));
    },
  },
  {
    id: 'signal.unknown-contact',
    sources: '—',
    basis: 'inferred',
    checks: 'a signal to a contact id that does not exist is refused as not found',
    expected: '404',
    async check(ctx) {
      const answer = await signalMissing(ctx, { headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ p1: SIGNAL_P1 }) });
      if (isOutcome(answer)) return answer;
      return answer.status === 404 ? matches() : differs('404', statusAndError(answer));
    },
  },
  {
    id: 'signal.too-many-params',
    sources: 'H (p1..p9)',
    basis: 'inferred',
    checks: `more than ${MAX_SIGNAL_PARAMS} params (p1..p${MAX_SIGNAL_PARAMS + 1}) in the JSON body are refused (sent to the missing contact)`,
    expected: '400',
    async check(ctx) {
      const body = Object.fromEntries(Array.from({ length: MAX_SIGNAL_PARAMS + 1 }, (_, index) => [`p${index + 1}`, 'x']));
      const answer = await signalMissing(ctx, { headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
      if (isOutcome(answer)) return answer;
      return answer.status === 400 ? matches() : differs('400', statusAndError(answer));
    },
  },
  {
    id: 'signal.accept-required',
    sources: 'C',
    basis: 'sourced',
    checks: 'a signal without an Accept header is answered "No known way to render data" (sent to the missing contact)',
    expected: 'an answer containing "No known way to render data"',
    async check(ctx) {
      if (ctx.target.mode === 'simulator') return notCheckable('the simulator does not model it: it answers JSON whatever the Accept header says');
      const answer = await signalMissing(ctx, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ p1: SIGNAL_P1 }) });
      if (isOutcome(answer)) return answer;
      return /no known way to render data/i.test(answer.text) ? matches(`answered ${answer.status}`) : differs('"No known way to render data"', `${answer.status} ${excerpt(answer.text)}`);
    },
  },
  {
    id: 'signal.request-line-limit',
    sources: 'C (long values broke requests)',
    basis: 'inferred',
    checks: `a request line over ${MAX_REQUEST_LINE_BYTES} bytes (a long p1 in the query) is refused (sent to the missing contact)`,
    expected: '414',
    async check(ctx) {
      const answer = await signalMissing(ctx, { query: `?p1=${'x'.repeat(MAX_REQUEST_LINE_BYTES + 16)}`, headers: { accept: 'application/json' } });
      if (isOutcome(answer)) return answer;
      return answer.status === 414 ? matches() : differs('414', statusAndError(answer));
    },
  },
];
