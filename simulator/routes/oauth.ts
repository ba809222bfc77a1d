/**
 * The token endpoint (docs/architecture.md, "CXone wire contract"): password grant with the access key as username/password and the
 * API client in HTTP Basic, refresh_token grant; form-urlencoded only; RFC 6749 errors.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { signIdToken } from '../id-token.js';
import { oauthError } from '../errors.js';
import { type RouteDeps } from '../options.js';
import { type Reply, type RouteContext, type RouteDef } from '../pipeline.js';
import { type ApiClientSeed } from '../seed.js';
import { type GrantType } from '../state.js';

export const TOKEN_PATH = '/auth/token';

export function oauthRoutes(deps: RouteDeps): RouteDef[] {
  return [{ method: 'post', path: TOKEN_PATH, fault: 'token', shape: 'oauth', handle: (ctx) => token(ctx, deps) }];
}

function token(ctx: RouteContext, deps: RouteDeps): Reply {
  const { req } = ctx;
  if (ctx.bodyProblem !== undefined) return oauthError('invalid_request', 'The request body could not be read as a form.');
  if (!req.is('application/x-www-form-urlencoded')) {
    return oauthError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded.');
  }
  const form = formFields(req.body);
  if (typeof form === 'string') return oauthError('invalid_request', form);

  const client = authenticateClient(req.headers.authorization, deps);
  if (typeof client === 'string') return oauthError('invalid_client', client);

  const grantType = form.get('grant_type');
  if (grantType === undefined) return oauthError('invalid_request', 'Missing grant_type.');
  let key;
  let issuedBy: GrantType;
  if (grantType === 'password') {
    const username = form.get('username');
    const password = form.get('password');
    if (username === undefined || password === undefined) {
      return oauthError('invalid_request', 'The password grant needs username (access key id) and password (access key secret).');
    }
    key = deps.state.accessKey(username);
    if (key === undefined || !sameSecret(password, key.accessKeySecret) || key.businessUnit !== client.businessUnit) {
      return oauthError('invalid_grant', 'Invalid access key id or secret.');
    }
    issuedBy = 'password';
  } else if (grantType === 'refresh_token') {
    const refreshToken = form.get('refresh_token');
    if (refreshToken === undefined) return oauthError('invalid_request', 'Missing refresh_token.');
    const grant = deps.state.grantForRefreshToken(refreshToken);
    key = grant === undefined ? undefined : deps.state.accessKey(grant.accessKeyId);
    if (grant === undefined || key === undefined || grant.clientId !== client.clientId) {
      return oauthError('invalid_grant', 'The refresh token is unknown or was issued to another client.');
    }
    issuedBy = 'refresh_token';
  } else {
    return oauthError('unsupported_grant_type', 'Supported grant types: password, refresh_token.');
  }

  const now = deps.now();
  const { tokenTtlSeconds, idTokenKey } = deps.behaviour;
  const issued = deps.state.issueTokens(client.clientId, key, issuedBy, now, tokenTtlSeconds);
  const unit = deps.state.businessUnit(key.businessUnit);
  const iat = Math.floor(now / 1000);
  ctx.log.info({ clientId: client.clientId, accessKeyId: key.accessKeyId, grantType: issuedBy, tokenId: issued.record.id }, 'token issued');
  return {
    kind: 'json',
    status: 200,
    headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
    body: {
      access_token: issued.accessToken,
      token_type: 'Bearer',
      expires_in: tokenTtlSeconds,
      refresh_token: issued.refreshToken,
      id_token: signIdToken(
        {
          iss: ctx.baseUrl,
          sub: `user:${key.accessKeyId}`,
          aud: client.clientId,
          iat,
          exp: iat + tokenTtlSeconds,
          tenantId: unit?.tenantId ?? '',
          icBUId: Number(key.businessUnit),
          icClusterId: 'SIM1',
          name: key.accessKeyId,
        },
        idTokenKey,
      ),
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

/** The API client of a `Basic` Authorization header, or why it is not one. */
function authenticateClient(header: string | undefined, deps: RouteDeps): ApiClientSeed | string {
  const match = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match?.[1]) return 'Client authentication failed: send the API client id and secret as HTTP Basic credentials.';
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
  const clientId = safeDecode(decoded.slice(0, colon));
  const secret = safeDecode(decoded.slice(colon + 1));
  const client = colon === -1 || clientId === undefined ? undefined : deps.state.apiClient(clientId);
  if (client === undefined || secret === undefined || !sameSecret(secret, client.clientSecret)) {
    return 'Client authentication failed: unknown client id or wrong secret.';
  }
  return client;
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
