import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, DEMO } from '../../simulator/index.js';
import { OTHER, TWO_UNIT_SEED, UUID, basic, createCall, passwordGrant, useSimulator } from './simulator-harness.js';

const FORM = 'application/x-www-form-urlencoded';
const demoBasic = basic(DEMO.clientId, DEMO.clientSecret);
const password = (username: string = DEMO.accessKeyId, secret: string = DEMO.accessKeySecret): string =>
  new URLSearchParams({ grant_type: 'password', username, password: secret }).toString();

function decodeJwt(jwt: string): { header: Record<string, unknown>; claims: Record<string, unknown>; signature: string; signingInput: string } {
  const [header = '', claims = '', signature = ''] = jwt.split('.');
  const decode = (part: string): Record<string, unknown> => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: decode(header), claims: decode(claims), signature, signingInput: `${header}.${claims}` };
}

describe('simulator: discovery', () => {
  const sim = useSimulator();

  it('serves OpenID configuration whose issuer is the simulator and token endpoint {issuer}/auth/token', async () => {
    const response = await fetch(`${sim.current.url}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect(response.headers.get('correlationid')).toMatch(UUID);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      issuer: sim.current.url,
      token_endpoint: `${sim.current.url}/auth/token`,
      grant_types_supported: expect.arrayContaining(['password', 'refresh_token']),
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      id_token_signing_alg_values_supported: ['RS256'],
      jwks_uri: `${sim.current.url}/auth/jwks`,
    });
    expect(body).toHaveProperty('response_types_supported');
    expect(body).toHaveProperty('subject_types_supported');
  });

  it('serves the tenant configuration with api_endpoint pointing at the simulator', async () => {
    const response = await fetch(`${sim.current.url}/.well-known/cxone-configuration?tenantId=${DEMO.tenantId}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ api_endpoint: sim.current.url, tenantId: DEMO.tenantId });
    for (const field of ['area', 'cluster', 'domain', 'acdDomain', 'uhDomain']) expect(typeof body[field]).toBe('string');
  });

  it.each([
    { url: `/.well-known/cxone-configuration?tenantId=${OTHER.tenantId}`, status: 404, error: 'tenant_not_found' },
    { url: '/.well-known/cxone-configuration', status: 400, error: 'invalid_request' },
    { url: '/.well-known/cxone-configuration?tenantId=', status: 400, error: 'invalid_request' },
  ])('GET $url → $status $error', async ({ url, status, error }) => {
    const response = await fetch(`${sim.current.url}${url}`);
    expect(response.status).toBe(status);
    expect(response.headers.get('correlationid')).toMatch(UUID);
    expect(await response.json()).toMatchObject({ error, message: expect.any(String) });
  });
});

describe('simulator: token endpoint', () => {
  const sim = useSimulator({ seed: TWO_UNIT_SEED });

  it('issues a bearer token for the password grant with the API client in HTTP Basic', async () => {
    const token = await passwordGrant(sim.current.url);
    expect(token).toMatchObject({
      token_type: 'Bearer',
      expires_in: DEFAULTS.tokenTtlSeconds,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    });
    expect(token.access_token.length).toBeGreaterThan(20);
    expect(token.refresh_token.length).toBeGreaterThan(20);
  });

  it('signs the id_token RS256 with the key published at jwks_uri, carrying iss and tenantId', async () => {
    const { id_token: idToken } = await passwordGrant(sim.current.url);
    const jwt = decodeJwt(idToken);
    const discovery = (await (await fetch(`${sim.current.url}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as { keys: (JsonWebKey & { kid: string })[] };
    expect(jwks.keys).toEqual([{ kty: 'RSA', n: expect.any(String), e: 'AQAB', kid: expect.any(String), alg: 'RS256', use: 'sig' }]);
    expect(jwt.header).toEqual({ alg: 'RS256', typ: 'JWT', kid: jwks.keys[0]?.kid });
    expect(jwt.claims).toMatchObject({ iss: sim.current.url, tenantId: DEMO.tenantId, aud: DEMO.clientId, icBUId: Number(DEMO.businessUnit) });
    const key = createPublicKey({ key: jwks.keys[0] ?? {}, format: 'jwk' });
    const signature = Buffer.from(jwt.signature, 'base64url');
    expect(verify('sha256', Buffer.from(jwt.signingInput), key, signature)).toBe(true);
    // The check can fail: the same signature does not verify other claims.
    expect(verify('sha256', Buffer.from(`${jwt.signingInput}x`), key, signature)).toBe(false);
  });

  it('gives the second tenant its own tenantId claim', async () => {
    const token = await passwordGrant(
      sim.current.url,
      { id: OTHER.clientId, secret: OTHER.clientSecret },
      { id: OTHER.accessKeyId, secret: OTHER.accessKeySecret },
    );
    expect(decodeJwt(token.id_token).claims.tenantId).toBe(OTHER.tenantId);
  });

  it('refreshes with the refresh_token grant', async () => {
    const first = await passwordGrant(sim.current.url);
    const response = await fetch(`${sim.current.url}/auth/token`, {
      method: 'POST',
      headers: { authorization: demoBasic, 'content-type': FORM },
      body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(first.refresh_token)}`,
    });
    expect(response.status).toBe(200);
    const refreshed = (await response.json()) as { access_token: string; token_type: string };
    expect(refreshed.token_type).toBe('Bearer');
    expect(refreshed.access_token).not.toBe(first.access_token);
  });

  it('records tokens under /_sim/tokens without their values', async () => {
    const token = await passwordGrant(sim.current.url);
    const response = await fetch(`${sim.current.url}/_sim/tokens?accessKeyId=${DEMO.accessKeyId}&_sort=id&_order=desc&_limit=1`);
    const text = await response.text();
    const [record] = JSON.parse(text) as Record<string, unknown>[];
    expect(record).toMatchObject({ clientId: DEMO.clientId, accessKeyId: DEMO.accessKeyId, grantType: 'password' });
    expect(Object.keys(record ?? {}).sort()).toEqual(['accessKeyId', 'clientId', 'expiresAt', 'grantType', 'id', 'issuedAt', 'refreshExpiresAt']);
    expect(text).not.toContain(token.access_token);
    const db = await (await fetch(`${sim.current.url}/_sim/db`)).text();
    expect(db).not.toContain(token.access_token);
    expect(db).not.toContain(token.refresh_token);
    expect(db).not.toContain(DEMO.clientSecret);
  });

  it.each([
    { name: 'no client authentication', auth: undefined, body: password(), type: FORM, status: 401, error: 'invalid_client' },
    { name: 'wrong client secret', auth: basic(DEMO.clientId, 'nope'), body: password(), type: FORM, status: 401, error: 'invalid_client' },
    { name: 'unknown client', auth: basic('who', DEMO.clientSecret), body: password(), type: FORM, status: 401, error: 'invalid_client' },
    { name: 'Bearer instead of Basic', auth: 'Bearer abc', body: password(), type: FORM, status: 401, error: 'invalid_client' },
    { name: 'wrong client_secret in the body', auth: undefined, body: `${password()}&client_id=${DEMO.clientId}&client_secret=nope`, type: FORM, status: 401, error: 'invalid_client' },
    { name: 'client_id in the body without client_secret', auth: undefined, body: `${password()}&client_id=${DEMO.clientId}`, type: FORM, status: 401, error: 'invalid_client' },
    {
      name: 'the client both in Basic and in the body',
      auth: demoBasic,
      body: `${password()}&client_id=${DEMO.clientId}&client_secret=${DEMO.clientSecret}`,
      type: FORM,
      status: 400,
      error: 'invalid_request',
    },
    { name: 'wrong access key secret', auth: demoBasic, body: password(DEMO.accessKeyId, 'nope'), type: FORM, status: 401, error: 'invalid_grant' },
    { name: 'unknown access key', auth: demoBasic, body: password('who'), type: FORM, status: 401, error: 'invalid_grant' },
    {
      name: "another business unit's access key",
      auth: demoBasic,
      body: password(OTHER.accessKeyId, OTHER.accessKeySecret),
      type: FORM,
      status: 401,
      error: 'invalid_grant',
    },
    { name: 'missing grant_type', auth: demoBasic, body: 'username=a&password=b', type: FORM, status: 400, error: 'invalid_request' },
    { name: 'missing password', auth: demoBasic, body: `grant_type=password&username=${DEMO.accessKeyId}`, type: FORM, status: 400, error: 'invalid_request' },
    { name: 'repeated parameter', auth: demoBasic, body: `${password()}&grant_type=password`, type: FORM, status: 400, error: 'invalid_request' },
    { name: 'client_credentials grant', auth: demoBasic, body: 'grant_type=client_credentials', type: FORM, status: 400, error: 'unsupported_grant_type' },
    { name: 'missing refresh_token', auth: demoBasic, body: 'grant_type=refresh_token', type: FORM, status: 400, error: 'invalid_request' },
    { name: 'unknown refresh_token', auth: demoBasic, body: 'grant_type=refresh_token&refresh_token=abc', type: FORM, status: 401, error: 'invalid_grant' },
    { name: 'JSON content type', auth: demoBasic, body: JSON.stringify({ grant_type: 'password' }), type: 'application/json', status: 400, error: 'invalid_request' },
    { name: 'malformed JSON', auth: demoBasic, body: '{"grant_type":', type: 'application/json', status: 400, error: 'invalid_request' },
    { name: 'text/plain body', auth: demoBasic, body: password(), type: 'text/plain', status: 400, error: 'invalid_request' },
    { name: 'no body at all', auth: demoBasic, body: undefined, type: undefined, status: 400, error: 'invalid_request' },
  ])('POST /auth/token with $name → $status $error', async ({ auth, body, type, status, error }) => {
    const headers: Record<string, string> = {};
    if (auth !== undefined) headers.authorization = auth;
    if (type !== undefined) headers['content-type'] = type;
    const response = await fetch(`${sim.current.url}/auth/token`, { method: 'POST', headers, ...(body === undefined ? {} : { body }) });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('correlationid')).toMatch(UUID);
    const json = (await response.json()) as Record<string, unknown>;
    expect(json).toEqual({ error, error_description: expect.any(String) });
    // The challenge belongs to client authentication only (RFC 6749 §5.2).
    expect(response.headers.get('www-authenticate')).toEqual(error === 'invalid_client' ? expect.stringMatching(/^Basic /) : null);
  });

  it('does not accept a refresh token issued to another client', async () => {
    const token = await passwordGrant(sim.current.url);
    const response = await fetch(`${sim.current.url}/auth/token`, {
      method: 'POST',
      headers: { authorization: basic(OTHER.clientId, OTHER.clientSecret), 'content-type': FORM },
      body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(token.refresh_token)}`,
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('authenticates the client with client_id/client_secret in the body (client_secret_post)', async () => {
    const response = await fetch(`${sim.current.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: `${password()}&client_id=${DEMO.clientId}&client_secret=${DEMO.clientSecret}`,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ token_type: 'Bearer', expires_in: DEFAULTS.tokenTtlSeconds });
    const [record] = (await (await fetch(`${sim.current.url}/_sim/tokens?_sort=id&_order=desc&_limit=1`)).json()) as Record<string, unknown>[];
    expect(record).toMatchObject({ clientId: DEMO.clientId, grantType: 'password' });
  });
});

describe('simulator: access-key grant', () => {
  const sim = useSimulator({ seed: TWO_UNIT_SEED });
  const accessKey = (body: string, type = 'application/json'): Promise<Response> =>
    fetch(`${sim.current.url}/authentication/v1/token/access-key`, { method: 'POST', headers: { 'content-type': type }, body });

  it('issues the same token answer for {accessKeyId, accessKeySecret} without an API client, and the token signals', async () => {
    const response = await accessKey(JSON.stringify({ accessKeyId: DEMO.accessKeyId, accessKeySecret: DEMO.accessKeySecret }));
    expect(response.status).toBe(200);
    const token = (await response.json()) as { access_token: string; id_token: string };
    expect(token).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: DEFAULTS.tokenTtlSeconds,
      refresh_token: expect.any(String),
      id_token: expect.any(String),
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    });
    expect(decodeJwt(token.id_token).claims).toMatchObject({ tenantId: DEMO.tenantId, aud: DEMO.accessKeyId });
    const [record] = (await (await fetch(`${sim.current.url}/_sim/tokens?_sort=id&_order=desc&_limit=1`)).json()) as Record<string, unknown>[];
    expect(record).toMatchObject({ clientId: null, accessKeyId: DEMO.accessKeyId, grantType: 'access_key' });

    const { contactId } = await createCall(sim.current.url);
    const signal = await fetch(`${sim.current.url}/incontactapi/services/v30.0/interactions/${contactId}/signal`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ p1: 'via access key' }),
    });
    expect(signal.status).toBe(202);
    const [signalRecord] = (await (await fetch(`${sim.current.url}/_sim/signals?contactId=${contactId}`)).json()) as Record<string, unknown>[];
    expect(signalRecord).toMatchObject({ params: ['via access key'], clientId: null });
  });

  it.each([
    { name: 'a wrong secret', body: JSON.stringify({ accessKeyId: DEMO.accessKeyId, accessKeySecret: 'nope' }), type: 'application/json', status: 401, error: 'invalid_grant' },
    { name: 'an unknown key', body: JSON.stringify({ accessKeyId: 'who', accessKeySecret: DEMO.accessKeySecret }), type: 'application/json', status: 401, error: 'invalid_grant' },
    { name: 'no accessKeySecret', body: JSON.stringify({ accessKeyId: DEMO.accessKeyId }), type: 'application/json', status: 400, error: 'invalid_request' },
    { name: 'an extra field', body: JSON.stringify({ accessKeyId: DEMO.accessKeyId, accessKeySecret: DEMO.accessKeySecret, grant_type: 'x' }), type: 'application/json', status: 400, error: 'invalid_request' },
    { name: 'a number for the id', body: JSON.stringify({ accessKeyId: 5, accessKeySecret: DEMO.accessKeySecret }), type: 'application/json', status: 400, error: 'invalid_request' },
    { name: 'malformed JSON', body: '{"accessKeyId":', type: 'application/json', status: 400, error: 'invalid_request' },
    { name: 'a form body', body: `accessKeyId=${DEMO.accessKeyId}&accessKeySecret=${DEMO.accessKeySecret}`, type: FORM, status: 400, error: 'invalid_request' },
  ])('POST /authentication/v1/token/access-key with $name → $status $error', async ({ body, type, status, error }) => {
    const response = await accessKey(body, type);
    expect(response.status).toBe(status);
    expect(response.headers.get('correlationid')).toMatch(UUID);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error, error_description: expect.any(String) });
    expect(text).not.toContain(DEMO.accessKeySecret);
  });

  it('does not let an API client refresh a token of the access-key grant', async () => {
    const token = (await (await accessKey(JSON.stringify({ accessKeyId: DEMO.accessKeyId, accessKeySecret: DEMO.accessKeySecret }))).json()) as { refresh_token: string };
    const response = await fetch(`${sim.current.url}/auth/token`, {
      method: 'POST',
      headers: { authorization: demoBasic, 'content-type': FORM },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token.refresh_token }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('simulator: token expiry (injected clock)', () => {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const sim = useSimulator({ tokenTtlSeconds: 60, now: () => clock });
  const refresh = (refreshToken: string): Promise<Response> =>
    fetch(`${sim.current.url}/auth/token`, {
      method: 'POST',
      headers: { authorization: demoBasic, 'content-type': FORM },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    });

  it('rejects an access token once its expires_in has passed, and a refresh gets a working one', async () => {
    const token = await passwordGrant(sim.current.url);
    expect(token.expires_in).toBe(60);
    const { contactId } = await createCall(sim.current.url);
    const signal = (accessToken: string): Promise<Response> =>
      fetch(`${sim.current.url}/incontactapi/services/v30.0/interactions/${contactId}/signal?p1=x`, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}` },
      });

    clock += 59_999;
    expect((await signal(token.access_token)).status).toBe(202);
    clock += 1;
    const expired = await signal(token.access_token);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ error: 'unauthorized' });

    const refreshed = await refresh(token.refresh_token);
    expect(refreshed.status).toBe(200);
    const { access_token: fresh } = (await refreshed.json()) as { access_token: string };
    expect((await signal(fresh)).status).toBe(202);
  });

  it('refuses a refresh token 7200 s after it was issued with 401 invalid_grant (and accepts it until then, reuse included)', async () => {
    const token = await passwordGrant(sim.current.url);
    const issuedAt = clock;
    clock = issuedAt + 7_199_999;
    expect((await refresh(token.refresh_token)).status).toBe(200);
    expect((await refresh(token.refresh_token)).status).toBe(200);
    clock = issuedAt + 7_200_000;
    const expired = await refresh(token.refresh_token);
    expect(expired.status).toBe(401);
    const body = (await expired.json()) as { error: string; error_description: string };
    expect(body).toEqual({ error: 'invalid_grant', error_description: expect.stringMatching(/expired/) });
    expect(expired.headers.get('www-authenticate')).toBeNull();
    const [record] = (await (await fetch(`${sim.current.url}/_sim/tokens?grantType=password&_sort=id&_order=desc&_limit=1`)).json()) as Record<string, unknown>[];
    expect(record).toMatchObject({ issuedAt: new Date(issuedAt).toISOString(), refreshExpiresAt: new Date(issuedAt + 7_200_000).toISOString() });
  });
});

describe('simulator: configurable refresh token lifetime', () => {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const sim = useSimulator({ refreshTokenTtlSeconds: 30, now: () => clock });

  it('expires refresh tokens after refreshTokenTtlSeconds', async () => {
    const token = await passwordGrant(sim.current.url);
    clock += 30_000;
    const response = await fetch(`${sim.current.url}/auth/token`, {
      method: 'POST',
      headers: { authorization: demoBasic, 'content-type': FORM },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token.refresh_token }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
  });
});
