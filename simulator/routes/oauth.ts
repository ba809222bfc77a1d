/**
 * The token endpoints (docs/architecture.md, "CXone wire contract", sources A, N).
 *
 * `POST /auth/token` (form-urlencoded, RFC 6749 errors): the password grant with the access key as
 * username/password and the refresh_token grant. The API client authenticates with HTTP Basic
 * (`client_secret_basic`) or with `client_id`/`client_secret` in the form (`client_secret_post`),
 * the two methods CXone's discovery lists; using both at once is refused (RFC 6749 §2.3).
 *
 * `POST /authentication/v1/token/access-key` (JSON `{accessKeyId, accessKeySecret}`, no API
 * client): the access-key grant community clients use; same answer shape.
 *
 * Statuses: CXone answers 401 to both `invalid_client` and `invalid_grant` (docs/architecture.md, "CXone wire contract": partly
 * inferred; RFC 6749 would say 400 for invalid_grant). Refresh tokens expire after
 * `refreshTokenTtlSeconds` (NICE's examples: 7200 s) and stay valid until then, also after use.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { jsonBody } from '../body.js';
import { oauthError } from '../errors.js';
import { type RouteDeps } from '../options.js';
import { type Reply, type RouteContext, type RouteDef } from '../pipeline.js';
import { type AccessKeySeed, type ApiClientSeed } from '../seed.js';
import { type GrantType } from '../state.js';

export const TOKEN_PATH = '/auth/token';
export const ACCESS_KEY_TOKEN_PATH = '/authentication/v1/token/access-key';

export function oauthRoutes(deps: RouteDeps): RouteDef[] {
  return [
    { method: 'post', path: TOKEN_PATH, fault: 'token', shape: 'oauth', handle: (ctx) => token(ctx, deps) },
    { method: 'post', path: ACCESS_KEY_TOKEN_PATH, fault: 'token', shape: 'oauth', handle: (ctx) => accessKeyToken(ctx, deps) },
  ];
}

function token(ctx: RouteContext, deps: RouteDeps): Reply | Promise<Reply> {
  const { req } = ctx;
  if (ctx.bodyProblem !== undefined) return oauthError('invalid_request', 'The request body could not be read as a form.');
  if (!req.is('application/x-www-form-urlencoded')) {
    return oauthError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded.');
  }
  const form = formFields(req.body);
  if (typeof form === 'string') return oauthError('invalid_request', form);

  const client = authenticateClient(req.headers.authorization, form, deps);
  if (client.kind === 'bad_request') return oauthError('invalid_request', client.message);
  if (client.kind === 'refused') return oauthError('invalid_client', client.message);

  const grantType = form.get('grant_type');
  if (grantType === undefined) return oauthError('invalid_request', 'Missing grant_type.');
  const now = deps.now();
  let key;
  let issuedBy: GrantType;
  if (grantType === 'password') {
    const username = form.get('username');
    const password = form.get('password');
    if (username === undefined || password === undefined) {
      return oauthError('invalid_request', 'The password grant needs username (access key id) and password (access key secret).');
    }
    key = deps.state.accessKey(username);
    if (key === undefined || !sameSecret(password, key.accessKeySecret) || key.businessUnit !== client.client.businessUnit) {
      return oauthError('invalid_grant', 'Invalid access key id or secret.');
    }
    issuedBy = 'password';
  } else if (grantType === 'refresh_token') {
    const refreshToken = form.get('refresh_token');
    if (refreshToken === undefined) return oauthError('invalid_request', 'Missing refresh_token.');
    const grant = deps.state.grantForRefreshToken(refreshToken);
    key = grant === undefined ? undefined : deps.state.accessKey(grant.accessKeyId);
    if (grant === undefined || key === undefined || grant.clientId !== client.client.clientId) {
      return oauthError('invalid_grant', 'The refresh token is unknown or was issued to another client.');
    }
    if (grant.expiresAt <= now) return oauthError('invalid_grant', 'The refresh token has expired; use the password grant.');
    issuedBy = 'refresh_token';
  } else {
    return oauthError('unsupported_grant_type', 'Supported grant types: password, refresh_token.');
  }
  return issue(ctx, deps, { clientId: client.client.clientId, key, grantType: issuedBy, now });
}

const accessKeyBody = z.strictObject({ accessKeyId: z.string().min(1), accessKeySecret: z.string().min(1) });

function accessKeyToken(ctx: RouteContext, deps: RouteDeps): Reply | Promise<Reply> {
  const body = jsonBody(ctx);
  if (!body.ok || body.value === undefined) {
    return oauthError('invalid_request', 'Send a JSON object {"accessKeyId", "accessKeySecret"} with Content-Type: application/json.');
  }
  const parsed = accessKeyBody.safeParse(body.value);
  if (!parsed.success) {
    // Names the fields only: a value could be a secret sent in the wrong field.
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.map(String).join('.') || '(body)'))];
    return oauthError('invalid_request', `The body must be {"accessKeyId": string, "accessKeySecret": string} and nothing else; check ${fields.join(', ')}.`);
  }
  const key = deps.state.accessKey(parsed.data.accessKeyId);
  if (key === undefined || !sameSecret(parsed.data.accessKeySecret, key.accessKeySecret)) {
    return oauthError('invalid_grant', 'Invalid access key id or secret.');
  }
  return issue(ctx, deps, { clientId: null, key, grantType: 'access_key', now: deps.now() });
}

/** The 200 answer shared by every grant: a token pair and an RS256 id_token. */
async function issue(ctx: RouteContext, deps: RouteDeps, grant: { clientId: string | null; key: AccessKeySeed; grantType: GrantType; now: number }): Promise<Reply> {
  const { clientId, key, grantType, now } = grant;
  const { tokenTtlSeconds, refreshTokenTtlSeconds } = deps.behaviour;
  const unit = deps.state.businessUnit(key.businessUnit);
  const iat = Math.floor(now / 1000);
  // Signed first: a signing failure then leaves no issued (and unanswered) token pair behind.
  const idToken = await deps.idTokens.sign({
    iss: ctx.baseUrl,
    sub: `user:${key.accessKeyId}`,
    // The access-key grant names no API client; the key is the audience then (inferred).
    aud: clientId ?? key.accessKeyId,
    iat,
    exp: iat + tokenTtlSeconds,
    tenantId: unit?.tenantId ?? '',
    icBUId: Number(key.businessUnit),
    icClusterId: 'SIM1',
    name: key.accessKeyId,
  });
  const issued = deps.state.issueTokens(clientId, key, grantType, now, { accessSeconds: tokenTtlSeconds, refreshSeconds: refreshTokenTtlSeconds });
  ctx.log.info({ clientId, accessKeyId: key.accessKeyId, grantType, tokenId: issued.record.id }, 'token issued');
  return {
    kind: 'json',
    status: 200,
    headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
    body: {
      access_token: issued.accessToken,
      token_type: 'Bearer',
      expires_in: tokenTtlSeconds,
      refresh_token: issued.refreshToken,
      id_token: idToken,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    },
  };
}

/** The form as single-valued fields, or why it is not acceptable (RFC 6749 §3.2: no repeats). */
function formFields(body: unknown): Map<string, string> | string {
  const fields = new Map<string, string>();
  if (body === null || typeof body !== 'object') return fields;
  for (const [name, value] of Object.entries(body)) {
    if (typeof value !== 'string') return `The parameter ${name} must appear once.`;
    fields.set(name, value);
  }
  return fields;
}

type ClientAuth =
  | { readonly kind: 'ok'; readonly client: ApiClientSeed }
  | { readonly kind: 'refused'; readonly message: string }
  | { readonly kind: 'bad_request'; readonly message: string };

/** The API client, from HTTP Basic (`client_secret_basic`) or the form (`client_secret_post`). */
function authenticateClient(header: string | undefined, form: Map<string, string>, deps: RouteDeps): ClientAuth {
  const posted = form.has('client_id') || form.has('client_secret');
  if (header !== undefined && posted) {
    return { kind: 'bad_request', message: 'Authenticate the client one way: HTTP Basic or client_id/client_secret in the body, not both.' };
  }
  let credentials: { id: string; secret: string } | undefined;
  if (posted) {
    const id = form.get('client_id');
    const secret = form.get('client_secret');
    if (id !== undefined && secret !== undefined) credentials = { id, secret };
  } else {
    credentials = basicCredentials(header);
  }
  // Not leaking which half was wrong, and not forwarding the form's client fields to the grant.
  form.delete('client_id');
  form.delete('client_secret');
  if (credentials === undefined) {
    return { kind: 'refused', message: 'Client authentication failed: send the API client id and secret as HTTP Basic credentials or as client_id/client_secret.' };
  }
  const client = deps.state.apiClient(credentials.id);
  if (client === undefined || !sameSecret(credentials.secret, client.clientSecret)) {
    return { kind: 'refused', message: 'Client authentication failed: unknown client id or wrong secret.' };
  }
  return { kind: 'ok', client };
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
  const id = safeDecode(decoded.slice(0, colon));
  const secret = safeDecode(decoded.slice(colon + 1));
  return id === undefined || secret === undefined ? undefined : { id, secret };
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** Constant-time comparison (of digests, so lengths do not leak either). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
