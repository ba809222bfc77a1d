import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, DEMO } from '../../simulator/index.js';
import { OTHER, TWO_UNIT_SEED, UUID, basic, passwordGrant, useSimulator } from './simulator-harness.js';

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
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
      id_token_signing_alg_values_supported: ['HS256'],
    });
    expect(body).toHaveProperty('jwks_uri');
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

  it('signs the id_token HS256 with the simulator key, carrying iss and tenantId', async () => {
    const { id_token: idToken } = await passwordGrant(sim.current.url);
    const jwt = decodeJwt(idToken);
    expect(jwt.header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(jwt.claims).toMatchObject({ iss: sim.current.url, tenantId: DEMO.tenantId, aud: DEMO.clientId, icBUId: Number(DEMO.businessUnit) });
    expect(jwt.signature).toBe(createHmac('sha256', DEFAULTS.idTokenKey).update(jwt.signingInput).digest('base64url'));
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
    expect(Object.keys(record ?? {}).sort()).toEqual(['accessKeyId', 'clientId', 'expiresAt', 'grantType', 'id', 'issuedAt']);
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
    { name: 'wrong access key secret', auth: demoBasic, body: password(DEMO.accessKeyId, 'nope'), type: FORM, status: 400, error: 'invalid_grant' },
    { name: 'unknown access key', auth: demoBasic, body: password('who'), type: FORM, status: 400, error: 'invalid_grant' },
    {
      name: "another business unit's access key",
      auth: demoBasic,
      body: password(OTHER.accessKeyId, OTHER.accessKeySecret),
      type: FORM,
      status: 400,
      error: 'invalid_grant',
    },
    { name: 'missing grant_type', auth: demoBasic, body: 'username=a&password=b', type: FORM, status: 400, error: 'invalid_request' },
    { name: 'missing password', auth: demoBasic, body: `grant_type=password&username=${DEMO.accessKeyId}`, type: FORM, status: 400, error: 'invalid_request' },
    { name: 'repeated parameter', auth: demoBasic, body: `${password()}&grant_type=password`, type: FORM, status: 400, error: 'invalid_request' },
    { name: 'client_credentials grant', auth: demoBasic, body: 'grant_type=client_credentials', type: FORM, status: 400, error: 'unsupported_grant_type' },
    { name: 'missing refresh_token', auth: demoBasic, body: 'grant_type=refresh_token', type: FORM, status: 400, error: 'invalid_request' },
    { name: 'unknown refresh_token', auth: demoBasic, body: 'grant_type=refresh_token&refresh_token=abc', type: FORM, status: 400, error: 'invalid_grant' },
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
    if (status === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  it('does not accept a refresh token issued to another client', async () => {
    const token = await passwordGrant(sim.current.url);
    const response = await fetch(`${sim.current.url}/auth/token`, {
      method: 'POST',
      headers: { authorization: basic(OTHER.clientId, OTHER.clientSecret), 'content-type': FORM },
      body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(token.refresh_token)}`,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('simulator: token expiry', () => {
  const sim = useSimulator({ tokenTtlSeconds: 1 });

  it('rejects an access token once its expires_in has passed, and a refresh gets a working one', async () => {
    const token = await passwordGrant(sim.current.url);
    expect(token.expires_in).toBe(1);
    const { contactId } = (await (
      await fetch(`${sim.current.url}/_sim/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pseudoNumber: DEMO.pseudoNumber }),
      })
    ).json()) as { contactId: string };
    const signal = (accessToken: string): Promise<Response> =>
      fetch(`${sim.current.url}/incontactapi/services/v30.0/interactions/${contactId}/signal?p1=x`, {
        method: 'POST',
        headers: { authorization: `Bearer ${accessToken}` },
      });

    expect((await signal(token.access_token)).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const expired = await signal(token.access_token);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ error: 'unauthorized' });

    const refreshed = await fetch(`${sim.current.url}/auth/token`, {
      method: 'POST',
      headers: { authorization: demoBasic, 'content-type': FORM },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token.refresh_token }),
    });
    expect(refreshed.status).toBe(200);
    const { access_token: fresh } = (await refreshed.json()) as { access_token: string };
    expect((await signal(fresh)).status).toBe(202);
  });
});
