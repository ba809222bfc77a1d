/**
 * The CXone client against undici's MockAgent, passed in as the dispatcher: the exact wire format
 * of every request and the handling of every answer of docs/architecture.md, "CXone wire contract".
 *
 * Why MockAgent and not nock: nock 14 (through @mswjs/interceptors) patches `node:http` and the
 * global `fetch`, but npm undici's `Agent`/`Pool` write to their own sockets, so nock never sees
 * them (tried: `Agent#request` to a nock-intercepted host fails with ENOTFOUND). MockAgent is
 * undici's own supported way to fake upstreams, and injecting it exercises the production path.
 */
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isNiceError, type NiceError } from '../../src/nice/errors.js';
import { createNiceClient, type NiceClientHandle, type NiceClientOptions } from '../../src/nice/nice.client.js';
import { NiceErrorCode, type NiceHooks, type NiceTenant } from '../../src/nice/types.js';
import { MAX_REQUEST_LINE_BYTES, MAX_SIGNAL_PARAM_LENGTH } from '../../src/common/signal-limits.js';

const ISSUER = 'https://auth.cxone.test';
const API = 'https://api-c9.cxone.test';
const CXONE_TENANT = '11EF0000-AAAA-BBBB-CCCC-000000000001';
const SIGNAL_PREFIX = '/incontactapi/services/v30.0/interactions/';

const tenant: NiceTenant = {
  id: 'acme',
  cxone: {
    issuer: ISSUER,
    apiVersion: 'v30.0',
    credentials: { clientId: 'client-id-acme', clientSecret: 'client-secret-acme', accessKeyId: 'ACCESSKEYID', accessKeySecret: 'access-key-secret-acme' },
  },
};
/** The same tenant with p1..p9 in the query string. */
const queryTenant: NiceTenant = { ...tenant, cxone: { ...tenant.cxone, signalParams: 'query' } };

const b64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const idToken = (tenantId = CXONE_TENANT): string => `${b64url({ alg: 'RS256' })}.${b64url({ iss: ISSUER, tenantId })}.c2lnbmF0dXJl`;
const tokenAnswer = (accessToken: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  access_token: accessToken,
  token_type: 'Bearer',
  expires_in: 3600,
  refresh_token: `refresh-of-${accessToken}`,
  id_token: idToken(),
  issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
  ...extra,
});
const json = { headers: { 'content-type': 'application/json' } };

/** A fake clock the tests move by hand. */
class FakeClock {
  time = Date.parse('2025-01-01T00:00:00Z');
  now(): number {
    return this.time;
  }
}

let agent: MockAgent;
let client: NiceClientHandle | undefined;

beforeEach(() => {
  agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
});
afterEach(async () => {
  await client?.close();
  client = undefined;
  await agent.close();
});

const auth = (): ReturnType<MockAgent['get']> => agent.get(ISSUER);
const api = (): ReturnType<MockAgent['get']> => agent.get(API);
const isSignalPath = (path: string): boolean => path.startsWith(SIGNAL_PREFIX);

/** Discovery answers (persisted) and, unless told otherwise, a token endpoint issuing AT1, AT2, … */
function upstream(options: { tokens?: boolean } = {}): void {
  auth().intercept({ path: '/.well-known/openid-configuration' }).reply(200, { issuer: ISSUER, token_endpoint: `${ISSUER}/auth/token` }, json).persist();
  auth()
    .intercept({ path: `/.well-known/cxone-configuration?tenantId=${CXONE_TENANT}` })
    .reply(200, { api_endpoint: API, area: 'na1', cluster: 'c9', domain: 'cxone.test' }, json)
    .persist();
  if (options.tokens !== false) {
    let issued = 0;
    auth()
      .intercept({ path: '/auth/token', method: 'POST' })
      .reply(() => {
        issued += 1;
        return { statusCode: 200, data: tokenAnswer(`AT${issued}`), responseOptions: json };
      })
      .persist();
  }
}

function newClient(options: NiceClientOptions = {}): NiceClientHandle {
  client = createNiceClient({ dispatcher: agent, ...options });
  return client;
}

const soon = (ms = 5_000): number => Date.now() + ms;

async function failure(promise: Promise<unknown>): Promise<NiceError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isNiceError(error)) throw new Error(`expected a NiceError, got ${String(error)}`);
  return error;
}

interface SentRequest {
  readonly method: string;
  /** Path and query string, as sent. */
  readonly path: string;
  readonly fullUrl: string;
  readonly headers: Record<string, string>;
  readonly body: string | null | undefined;
}

function calls(filter: (call: SentRequest) => boolean = () => true): SentRequest[] {
  return (agent.getCallHistory()?.calls() ?? [])
    .map((call) => {
      const url = new URL(call.fullUrl);
      return { method: call.method, path: `${url.pathname}${url.search}`, fullUrl: call.fullUrl, headers: call.headers as Record<string, string>, body: call.body as string | null | undefined };
    })
    .filter((call) => filter(call));
}
const tokenCalls = (): SentRequest[] => calls((call) => call.path === '/auth/token');
const signalCalls = (): SentRequest[] => calls((call) => isSignalPath(call.path));

describe('wire format', () => {
  it('discovers, gets a password-grant token and signals with Bearer and p1..pN as a JSON body', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '');
    const result = await newClient().signal(tenant, '5012345678', ['a b', 'x&y=z', 'ü/%"'], { deadline: soon() });

    expect(result).toEqual({ status: 202, attempts: 1 });
    const sent = calls();
    expect(sent.map((call) => `${call.method} ${call.fullUrl}`)).toEqual([
      `GET ${ISSUER}/.well-known/openid-configuration`,
      `POST ${ISSUER}/auth/token`,
      `GET ${ISSUER}/.well-known/cxone-configuration?tenantId=${CXONE_TENANT}`,
      `POST ${API}/incontactapi/services/v30.0/interactions/5012345678/signal`,
    ]);
    const [, token, , signal] = sent;
    expect(token?.headers).toEqual({
      authorization: `Basic ${Buffer.from('client-id-acme:client-secret-acme').toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    });
    expect(token?.body).toBe('grant_type=password&username=ACCESSKEYID&password=access-key-secret-acme');
    expect(signal?.headers).toEqual({ authorization: 'Bearer AT1', accept: 'application/json', 'content-type': 'application/json' });
    expect(signal?.body).toBe('{"p1":"a b","p2":"x&y=z","p3":"ü/%\\""}');
    expect(sent[0]?.headers).toEqual({ accept: 'application/json' });
    expect(sent[2]?.headers).toEqual({ accept: 'application/json' });
  });

  it.each([
    { name: 'no params', params: [], body: '{}' },
    { name: 'a gap kept as an empty string', params: ['a', '', 'c'], body: '{"p1":"a","p2":"","p3":"c"}' },
    { name: 'exactly 9 params', params: ['1', '2', '3', '4', '5', '6', '7', '8', '9'], body: '{"p1":"1","p2":"2","p3":"3","p4":"4","p5":"5","p6":"6","p7":"7","p8":"8","p9":"9"}' },
  ])('sends $name in the body as exactly the params given', async ({ params, body }) => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '');
    await newClient().signal(tenant, '1', params, { deadline: soon() });
    expect(signalCalls().map((call) => [call.path, call.body])).toEqual([[`${SIGNAL_PREFIX}1/signal`, body]]);
  });

  it('with signalParams "query" sends p1..pN percent-encoded in the query string and no body', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '');
    await newClient().signal(queryTenant, '5012345678', ['a b', 'x&y=z', 'ü/%'], { deadline: soon() });
    const [signal] = signalCalls();
    expect(signal?.fullUrl).toBe(`${API}/incontactapi/services/v30.0/interactions/5012345678/signal?p1=a%20b&p2=x%26y%3Dz&p3=%C3%BC%2F%25`);
    expect(signal?.headers).toEqual({ authorization: 'Bearer AT1', accept: 'application/json' });
    expect(signal?.body ?? undefined).toBeUndefined();
  });

  it('with signalParams "query" refuses, before sending, params whose request line would pass 8 KiB; the body carries them', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '');
    // 9 × 300 'é' is 9 × 1,800 bytes percent-encoded (%C3%A9): far over the request-line limit.
    const params = Array.from({ length: 9 }, () => 'é'.repeat(300));
    const c = newClient();
    const error = await failure(c.signal(queryTenant, '1', params, { deadline: soon() }));
    expect(error).toMatchObject({ code: NiceErrorCode.BadRequest, retryable: false, upstreamStatus: undefined });
    expect(error.message).toMatch(new RegExp(`over CXone's ${MAX_REQUEST_LINE_BYTES}; set the tenant's signalParams to "body"`));
    expect(error.message).not.toContain('é');
    expect(signalCalls()).toHaveLength(0);

    await expect(c.signal(tenant, '1', params, { deadline: soon() })).resolves.toEqual({ status: 202, attempts: 1 });
    expect(JSON.parse(signalCalls()[0]?.body ?? '') as unknown).toEqual(Object.fromEntries(params.map((value, index) => [`p${index + 1}`, value])));
  });

  it('form-encodes credentials with reserved characters in the password grant', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '');
    const odd: NiceTenant = { ...tenant, cxone: { ...tenant.cxone, credentials: { ...tenant.cxone.credentials, accessKeyId: 'key id+1', accessKeySecret: 's&cr=t/ü' } } };
    await newClient().signal(odd, '1', [], { deadline: soon() });
    const body = tokenCalls()[0]?.body ?? '';
    expect(body).toBe('grant_type=password&username=key+id%2B1&password=s%26cr%3Dt%2F%C3%BC');
    expect(Object.fromEntries(new URLSearchParams(body))).toEqual({ grant_type: 'password', username: 'key id+1', password: 's&cr=t/ü' });
  });

  it('URL-encodes the contact id, sends no query without params and accepts other version spellings', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(204, '').times(1);
    api().intercept({ path: (path) => path.startsWith('/incontactapi/services/v23.0/'), method: 'POST' }).reply(200, '');
    await newClient().signal(queryTenant, '12/34?5', [], { deadline: soon() });
    await client?.signal({ ...queryTenant, cxone: { ...queryTenant.cxone, apiVersion: '23' } }, '7', ['only'], { deadline: soon() });
    expect(calls((call) => call.method === 'POST' && call.path.startsWith('/incontactapi')).map((call) => call.path)).toEqual([
      `${SIGNAL_PREFIX}12%2F34%3F5/signal`,
      '/incontactapi/services/v23.0/interactions/7/signal?p1=only',
    ]);
  });

  it('skips tenant discovery when api_endpoint is configured (keeping its path prefix)', async () => {
    upstream();
    agent.get('https://proxy.cxone.test').intercept({ path: `/cx${SIGNAL_PREFIX}9/signal?p1=x`, method: 'POST' }).reply(202, '');
    const configured: NiceTenant = { ...queryTenant, cxone: { ...queryTenant.cxone, apiEndpoint: 'https://proxy.cxone.test/cx/' } };
    await newClient().signal(configured, '9', ['x'], { deadline: soon() });
    expect(calls((call) => call.path.includes('cxone-configuration'))).toHaveLength(0);
  });

  it('uses the refresh_token grant ahead of expiry and keeps serving the current token meanwhile', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '').persist();
    const clock = new FakeClock();
    const c = newClient({ clock });
    await c.signal(tenant, '1', [], { deadline: clock.now() + 5_000 });
    clock.time += 3_000_000 + 1; // past the refresh point of a 3600 s token (600 s margin)
    await c.signal(tenant, '1', [], { deadline: clock.now() + 5_000 });
    await expect.poll(() => tokenCalls().length).toBe(2);
    await c.signal(tenant, '1', [], { deadline: clock.now() + 5_000 });

    expect(tokenCalls()[1]?.body).toBe('grant_type=refresh_token&refresh_token=refresh-of-AT1');
    expect(tokenCalls()[1]?.headers.authorization).toBe(tokenCalls()[0]?.headers.authorization);
    expect(signalCalls().map((call) => call.headers.authorization)).toEqual(['Bearer AT1', 'Bearer AT1', 'Bearer AT2']);
  });

  it('waits for a new token once the cached one has expired', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '').persist();
    const clock = new FakeClock();
    const c = newClient({ clock });
    await c.signal(tenant, '1', [], { deadline: clock.now() + 5_000 });
    clock.time += 3_600_000;
    await c.signal(tenant, '1', [], { deadline: clock.now() + 5_000 });
    expect(signalCalls().map((call) => call.headers.authorization)).toEqual(['Bearer AT1', 'Bearer AT2']);
    expect(c.tokens.requests).toBe(2);
  });

  it.each([
    { status: 401, error: 'invalid_grant' },
    { status: 401, error: 'invalid_client' },
    { status: 400, error: 'invalid_grant' },
  ])('falls back to the password grant when CXone refuses the refresh token with $status $error', async ({ status, error }) => {
    upstream({ tokens: false });
    auth().intercept({ path: '/auth/token', method: 'POST' }).reply(200, tokenAnswer('AT1', { expires_in: 60 }), json);
    auth()
      .intercept({ path: '/auth/token', method: 'POST', body: (body) => body.startsWith('grant_type=refresh_token') })
      .reply(status, { error, error_description: 'refresh token expired' }, json);
    auth()
      .intercept({ path: '/auth/token', method: 'POST', body: (body) => body.startsWith('grant_type=password') })
      .reply(200, tokenAnswer('AT2'), json);
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '').persist();
    const clock = new FakeClock();
    const c = newClient({ clock });
    await c.signal(tenant, '1', [], { deadline: clock.now() + 5_000 });
    clock.time += 61_000;
    await c.signal(tenant, '1', [], { deadline: clock.now() + 5_000 });
    expect(tokenCalls().map((call) => new URLSearchParams(call.body ?? '').get('grant_type'))).toEqual(['password', 'refresh_token', 'password']);
    expect(signalCalls().at(-1)?.headers.authorization).toBe('Bearer AT2');
  });

  it.each([
    // A 3600 s token: expired after 3600 s; the refresh token (7200 s) decides which grant renews it.
    { name: 'within its lifetime', advanceS: 3_600, lifetimeS: undefined, grants: ['password', 'refresh_token'] },
    { name: 'one second before its 7200 s end', advanceS: 7_199, lifetimeS: undefined, grants: ['password', 'refresh_token'] },
    { name: 'at its 7200 s end', advanceS: 7_200, lifetimeS: undefined, grants: ['password', 'password'] },
    { name: 'past a configured 4000 s lifetime', advanceS: 4_000, lifetimeS: 4_000, grants: ['password', 'password'] },
  ])('offers the refresh token only $name (injected clock)', async ({ advanceS, lifetimeS, grants }) => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '').persist();
    const clock = new FakeClock();
    const c = newClient({ clock, refreshTokenLifetimeSeconds: lifetimeS });
    await c.signal(tenant, '1', [], { deadline: clock.now() + 5_000 });
    clock.time += advanceS * 1000;
    await c.signal(tenant, '1', [], { deadline: clock.now() + 5_000 });
    expect(tokenCalls().map((call) => new URLSearchParams(call.body ?? '').get('grant_type'))).toEqual(grants);
    expect(signalCalls().map((call) => call.headers.authorization)).toEqual(['Bearer AT1', 'Bearer AT2']);
  });

  it('keeps counting the refresh token from when it was issued, not from its last use', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '').persist();
    const clock = new FakeClock();
    const c = newClient({ clock });
    await c.signal(tenant, '1', [], { deadline: clock.now() + 5_000 }); // AT1 + refresh-of-AT1 at t=0
    clock.time += 3_600_000;
    await c.signal(tenant, '1', [], { deadline: clock.now() + 5_000 }); // refreshed at t=3600 s: a new refresh token
    clock.time += 3_600_000;
    await c.signal(tenant, '1', [], { deadline: clock.now() + 5_000 }); // t=7200 s: refresh-of-AT2 is 3600 s old
    expect(tokenCalls().map((call) => call.body)).toEqual([
      'grant_type=password&username=ACCESSKEYID&password=access-key-secret-acme',
      'grant_type=refresh_token&refresh_token=refresh-of-AT1',
      'grant_type=refresh_token&refresh_token=refresh-of-AT2',
    ]);
  });

  it('shares one token request and one discovery among concurrent callers on a cold cache', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '').persist();
    const c = newClient();
    const results = await Promise.all(Array.from({ length: 200 }, (_, index) => c.signal(tenant, String(index), ['x'], { deadline: soon() })));
    expect(results.every((result) => result.status === 202)).toBe(true);
    expect(tokenCalls()).toHaveLength(1);
    expect(calls((call) => call.path.startsWith('/.well-known/'))).toHaveLength(2);
    expect(signalCalls()).toHaveLength(200);
  });
});

describe('Signal API answers', () => {
  it.each([
    { status: 200, outcome: 'ok' },
    { status: 202, outcome: 'ok' },
    { status: 204, outcome: 'ok' },
    { status: 400, code: NiceErrorCode.BadRequest, retryable: false },
    { status: 404, code: NiceErrorCode.ContactNotFound, retryable: false },
    { status: 405, code: NiceErrorCode.BadRequest, retryable: false },
    { status: 409, code: NiceErrorCode.BadRequest, retryable: false },
    { status: 422, code: NiceErrorCode.BadRequest, retryable: false },
    { status: 429, code: NiceErrorCode.Throttled, retryable: true },
    { status: 500, code: NiceErrorCode.Unavailable, retryable: true },
    { status: 502, code: NiceErrorCode.Unavailable, retryable: true },
    { status: 503, code: NiceErrorCode.Unavailable, retryable: true },
    { status: 504, code: NiceErrorCode.Unavailable, retryable: true },
  ])('HTTP $status → $code', async ({ status, code, retryable }) => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(status, '', { headers: { CorrelationId: 'corr-42' } });
    const c = newClient({ retry: { maxAttempts: 1 } });
    const call = c.signal(tenant, '77', ['p'], { deadline: soon() });
    if (code === undefined) {
      await expect(call).resolves.toEqual({ status, attempts: 1 });
      return;
    }
    const error = await failure(call);
    expect(error).toMatchObject({ code, retryable, upstreamStatus: status, correlationId: 'corr-42', attempts: 1, kind: 'signal' });
  });

  it.each([401, 403])('HTTP %i invalidates the token and re-sends once with a fresh one', async (status) => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(status, { message: 'token expired' }, json);
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '');
    const result = await newClient().signal(tenant, '1', [], { deadline: soon() });
    expect(result).toEqual({ status: 202, attempts: 2 });
    expect(signalCalls().map((call) => call.headers.authorization)).toEqual(['Bearer AT1', 'Bearer AT2']);
    expect(tokenCalls().map((call) => new URLSearchParams(call.body ?? '').get('grant_type'))).toEqual(['password', 'password']);
  });

  it('many callers refused with the same token cause one new token, not one each', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST', headers: { authorization: 'Bearer AT1' } }).reply(202, '');
    api().intercept({ path: isSignalPath, method: 'POST', headers: { authorization: 'Bearer AT1' } }).reply(401, '').persist();
    api().intercept({ path: isSignalPath, method: 'POST', headers: { authorization: 'Bearer AT2' } }).reply(202, '').persist();
    const c = newClient();
    await c.signal(tenant, '0', [], { deadline: soon() }); // caches AT1, which CXone then stops accepting
    const results = await Promise.all(Array.from({ length: 100 }, (_, index) => c.signal(tenant, String(index), [], { deadline: soon() })));
    expect(results.every((result) => result.status === 202 && result.attempts === 2)).toBe(true);
    expect(c.tokens.requests).toBe(2);
  });

  it.each([
    [401, 401],
    [403, 403],
    [401, 403],
  ])('HTTP %i then %i with the fresh token is a final CXONE_AUTH_FAILED', async (first, second) => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(first, '');
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(second, '', { headers: { correlationid: 'c-2' } });
    const error = await failure(newClient().signal(tenant, '1', [], { deadline: soon() }));
    expect(error).toMatchObject({ code: NiceErrorCode.AuthFailed, retryable: false, upstreamStatus: second, correlationId: 'c-2', attempts: 2 });
    expect(signalCalls()).toHaveLength(2);
  });

  it.each([
    {
      name: 'HTML from a proxy',
      body: '<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>',
      headers: { 'content-type': 'text/html' },
      status: 502,
      code: NiceErrorCode.Unavailable,
      upstreamError: '502 Bad Gateway',
    },
    { name: 'an empty body', body: '', headers: {}, status: 503, code: NiceErrorCode.Unavailable, upstreamError: undefined },
    { name: 'malformed JSON', body: '{"error": "bad', headers: { 'content-type': 'application/json' }, status: 400, code: NiceErrorCode.BadRequest, upstreamError: '{"error": "bad' },
    {
      name: "CXone's JSON error",
      body: JSON.stringify({ error: 'InvalidParameter', error_description: 'p1 is too long' }),
      headers: { 'content-type': 'application/json; charset=utf-8' },
      status: 400,
      code: NiceErrorCode.BadRequest,
      upstreamError: 'InvalidParameter: p1 is too long',
    },
    { name: 'JSON with a message', body: JSON.stringify({ message: 'Contact not active' }), headers: {}, status: 404, code: NiceErrorCode.ContactNotFound, upstreamError: 'Contact not active' },
    { name: 'plain text', body: 'Service Unavailable\r\n', headers: { 'content-type': 'text/plain' }, status: 503, code: NiceErrorCode.Unavailable, upstreamError: 'Service Unavailable' },
  ])('keeps a short sanitized snippet of $name', async ({ body, headers, status, code, upstreamError }) => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(status, body, { headers });
    const error = await failure(newClient({ retry: { maxAttempts: 1 } }).signal(tenant, '1', [], { deadline: soon() }));
    expect(error).toMatchObject({ code, upstreamStatus: status, upstreamError });
  });

  it('caps a long upstream body to a short snippet', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(400, 'x'.repeat(100_000));
    const error = await failure(newClient().signal(tenant, '1', [], { deadline: soon() }));
    expect(error.upstreamError?.length).toBeLessThanOrEqual(201);
  });

  it.each([
    { header: '2', expected: 2_000 },
    { header: 'Wed, 01 Jan 2025 00:00:07 GMT', expected: 7_000 },
    { header: 'Tue, 31 Dec 2024 23:00:00 GMT', expected: 0 },
    { header: 'soon', expected: undefined },
  ])('reads Retry-After "$header" as $expected ms', async ({ header, expected }) => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(429, '', { headers: { 'retry-after': header } });
    const clock = new FakeClock();
    const error = await failure(newClient({ clock, retry: { maxAttempts: 1 } }).signal(tenant, '1', [], { deadline: clock.now() + 5_000 }));
    expect(error).toMatchObject({ code: NiceErrorCode.Throttled, retryable: true, retryAfterMs: expected });
  });
});

describe('retries', () => {
  it('retries 5xx, 429 and connection resets with backoff, calling onRetry before each retry', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(503, '');
    api().intercept({ path: isSignalPath, method: 'POST' }).replyWithError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(429, '');
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '');
    const retries: { code: string; attempt: number; delayMs: number }[] = [];
    const result = await newClient().signal(tenant, '1', ['p'], {
      deadline: soon(),
      onRetry: ({ error, attempt, delayMs }) => retries.push({ code: (error as NiceError).code, attempt, delayMs }),
    });
    expect(result).toEqual({ status: 202, attempts: 4 });
    expect(retries.map(({ code, attempt }) => ({ code, attempt }))).toEqual([
      { code: NiceErrorCode.Unavailable, attempt: 1 },
      { code: NiceErrorCode.Unavailable, attempt: 2 },
      { code: NiceErrorCode.Throttled, attempt: 3 },
    ]);
    // Capped exponential steps with full jitter: [0, 100), [0, 200), [0, 400).
    retries.forEach(({ delayMs }, index) => expect(delayMs).toBeLessThan(100 * 2 ** index));
  });

  it('re-discovers the API endpoint after a connection failure', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).replyWithError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '');
    await newClient().signal(tenant, '1', [], { deadline: soon() });
    expect(calls((call) => call.path.startsWith('/.well-known/cxone-configuration'))).toHaveLength(2);
  });

  it('honours Retry-After before retrying', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(429, '', { headers: { 'retry-after': '1' } });
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '');
    const delays: number[] = [];
    const started = Date.now();
    await newClient().signal(tenant, '1', [], { deadline: soon(), onRetry: ({ delayMs }) => delays.push(delayMs) });
    expect(delays).toEqual([1_000]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
  });

  it('does not retry when the wait would pass the deadline: the error stays final with its own code', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(429, '', { headers: { 'retry-after': '30' } });
    const onRetry: unknown[] = [];
    // A frozen clock: 2 s are left whatever the machine's load, and 30 s of Retry-After do not fit.
    const clock = new FakeClock();
    const error = await failure(newClient({ clock }).signal(tenant, '1', [], { deadline: clock.now() + 2_000, onRetry: (info) => onRetry.push(info) }));
    expect(error).toMatchObject({ code: NiceErrorCode.Throttled, retryable: true, retryAfterMs: 30_000, attempts: 1 });
    // No retry was planned, so there was no wait: onRetry runs before every wait.
    expect(onRetry).toEqual([]);
  });

  it.each([
    { name: '400', reply: 400, code: NiceErrorCode.BadRequest },
    { name: '404', reply: 404, code: NiceErrorCode.ContactNotFound },
  ])('does not retry a final $name', async ({ reply, code }) => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(reply, '').persist();
    const error = await failure(newClient().signal(tenant, '1', [], { deadline: soon() }));
    expect(error).toMatchObject({ code, retryable: false, attempts: 1 });
    expect(signalCalls()).toHaveLength(1);
  });

  it('stops at maxAttempts', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(500, '').persist();
    const error = await failure(newClient({ retry: { maxAttempts: 3, baseMs: 1, capMs: 2 } }).signal(tenant, '1', [], { deadline: soon() }));
    expect(error).toMatchObject({ code: NiceErrorCode.Unavailable, retryable: true, attempts: 3 });
    expect(signalCalls()).toHaveLength(3);
  });

  it('times out a slow attempt, retries, and ends with CXONE_TIMEOUT within the deadline', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '').delay(1_000).persist();
    const error = await failure(newClient({ attemptTimeoutMs: 150 }).signal(tenant, '1', [], { deadline: Date.now() + 500 }));
    expect(error).toMatchObject({ code: NiceErrorCode.Timeout, retryable: true, kind: 'signal' });
    expect(error.attempts).toBeGreaterThanOrEqual(2);
    // That no attempt outlives the deadline is the budget arithmetic (exchangeTimeout, within), checked
    // on a fake clock in nice-units.test.ts; a stopwatch here would measure the machine's load.
  });

  it('reports the earlier cause when the deadline cut the last try short (not CXONE_TIMEOUT)', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(503, '', { headers: { 'retry-after': '1' } });
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '').delay(1_000);
    // The retry starts after the 1 s Retry-After with ~150 ms left: less than one attempt timeout.
    const error = await failure(newClient({ attemptTimeoutMs: 400 }).signal(tenant, '1', [], { deadline: Date.now() + 1_150 }));
    expect(error).toMatchObject({ code: NiceErrorCode.Unavailable, retryable: true, upstreamStatus: 503, attempts: 2 });
  });

  it('caps the whole call at retry.totalMs whatever deadline the caller gives', async () => {
    upstream();
    // Each 503 takes 200 ms of the test's clock: the first retry (backoff < 40 ms) fits in 300 ms,
    // a second would not, whatever the caller's 60 s deadline says.
    const clock = new FakeClock();
    api()
      .intercept({ path: isSignalPath, method: 'POST' })
      .reply(() => {
        clock.time += 200;
        return { statusCode: 503, data: '' };
      })
      .persist();
    const error = await failure(newClient({ clock, retry: { totalMs: 300, baseMs: 20, capMs: 40 } }).signal(tenant, '1', [], { deadline: clock.now() + 60_000 }));
    expect(error).toMatchObject({ code: NiceErrorCode.Unavailable, attempts: 2 });
    expect(signalCalls()).toHaveLength(2);
  });

  it('stops waiting when the caller aborts', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '').delay(2_000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await failure(newClient().signal(tenant, '1', [], { deadline: soon(), signal: controller.signal }));
    // Had the client waited for the answer (202 after 2 s, inside the deadline) this would be a
    // success, and `failure` would throw: the abort is what ended it.
    expect(error).toMatchObject({ code: NiceErrorCode.Timeout, retryable: true });
    expect(error.message).toMatch(/aborted/);
  });

  it('stops a backoff wait when the caller aborts', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(503, '', { headers: { 'retry-after': '3' } }).persist();
    const controller = new AbortController();
    const error = await failure(newClient().signal(tenant, '1', [], { deadline: soon(), signal: controller.signal, onRetry: () => setTimeout(() => controller.abort(), 20) }));
    // A backoff wait that ran its 3 s would end in a retry answered 503 (CXONE_UNAVAILABLE), not an abort.
    expect(error.message).toMatch(/aborted/);
  });
});

describe('token endpoint answers', () => {
  it.each([
    { name: '401 invalid_client', status: 401, body: { error: 'invalid_client' }, code: NiceErrorCode.AuthFailed, retryable: false, upstreamError: 'invalid_client' },
    { name: '401 invalid_grant (CXone)', status: 401, body: { error: 'invalid_grant', error_description: 'Invalid access key' }, code: NiceErrorCode.AuthFailed, retryable: false, upstreamError: 'invalid_grant: Invalid access key' },
    { name: '400 invalid_grant (RFC 6749)', status: 400, body: { error: 'invalid_grant', error_description: 'Invalid access key' }, code: NiceErrorCode.AuthFailed, retryable: false, upstreamError: 'invalid_grant: Invalid access key' },
    { name: '400 unsupported_grant_type', status: 400, body: { error: 'unsupported_grant_type' }, code: NiceErrorCode.AuthFailed, retryable: false, upstreamError: 'unsupported_grant_type' },
    { name: '403 HTML', status: 403, body: '<html><title>Forbidden</title></html>', code: NiceErrorCode.AuthFailed, retryable: false, upstreamError: 'Forbidden' },
    { name: '429', status: 429, body: '', code: NiceErrorCode.Throttled, retryable: true, upstreamError: undefined },
    { name: '500', status: 500, body: { error: 'server_error' }, code: NiceErrorCode.Unavailable, retryable: true, upstreamError: 'server_error' },
    { name: '503 HTML', status: 503, body: '<html><head><title>503 Service Temporarily Unavailable</title></head></html>', code: NiceErrorCode.Unavailable, retryable: true, upstreamError: '503 Service Temporarily Unavailable' },
    { name: '200 HTML', status: 200, body: '<html><body>login</body></html>', code: NiceErrorCode.Unavailable, retryable: true, upstreamError: undefined },
    { name: '200 empty', status: 200, body: '', code: NiceErrorCode.Unavailable, retryable: true, upstreamError: undefined },
    { name: '200 malformed JSON', status: 200, body: '{"access_token": ', code: NiceErrorCode.Unavailable, retryable: true, upstreamError: undefined },
    { name: '200 without access_token', status: 200, body: { token_type: 'Bearer', expires_in: 3600 }, code: NiceErrorCode.Unavailable, retryable: true, upstreamError: undefined },
    { name: '200 without expires_in', status: 200, body: { access_token: 'AT', token_type: 'Bearer' }, code: NiceErrorCode.Unavailable, retryable: true, upstreamError: undefined },
    { name: '200 with a non-Bearer type', status: 200, body: { access_token: 'AT', token_type: 'mac', expires_in: 60 }, code: NiceErrorCode.Unavailable, retryable: true, upstreamError: undefined },
  ])('$name → $code', async ({ status, body, code, retryable, upstreamError }) => {
    upstream({ tokens: false });
    auth()
      .intercept({ path: '/auth/token', method: 'POST' })
      .reply(status, body, typeof body === 'string' ? { headers: { 'content-type': 'text/html' } } : json);
    const error = await failure(newClient({ retry: { maxAttempts: 1 } }).signal(tenant, '1', [], { deadline: soon() }));
    expect(error).toMatchObject({ code, retryable, kind: 'token', upstreamStatus: status, upstreamError });
    expect(signalCalls()).toHaveLength(0);
  });

  it('accepts expires_in as a numeric string and a lower-case token type', async () => {
    upstream({ tokens: false });
    auth().intercept({ path: '/auth/token', method: 'POST' }).reply(200, tokenAnswer('AT9', { expires_in: '3600', token_type: 'bearer' }), json);
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '');
    await expect(newClient().signal(tenant, '1', [], { deadline: soon() })).resolves.toEqual({ status: 202, attempts: 1 });
  });

  it('without an id_token tenantId it needs api_endpoint from config (final, explained)', async () => {
    upstream({ tokens: false });
    auth().intercept({ path: '/auth/token', method: 'POST' }).reply(200, tokenAnswer('AT1', { id_token: undefined }), json);
    const error = await failure(newClient().signal(tenant, '1', [], { deadline: soon() }));
    expect(error).toMatchObject({ code: NiceErrorCode.Unavailable, retryable: false });
    expect(error.message).toMatch(/api_endpoint/);
  });

  it('retries a token endpoint outage and then signals', async () => {
    upstream({ tokens: false });
    auth().intercept({ path: '/auth/token', method: 'POST' }).reply(503, '');
    auth().intercept({ path: '/auth/token', method: 'POST' }).reply(200, tokenAnswer('AT1'), json);
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '');
    await expect(newClient().signal(tenant, '1', [], { deadline: soon() })).resolves.toEqual({ status: 202, attempts: 2 });
  });
});

describe('discovery answers', () => {
  const openId = (): ReturnType<ReturnType<typeof auth>['intercept']> => auth().intercept({ path: '/.well-known/openid-configuration' });
  const cxoneConfig = (): ReturnType<ReturnType<typeof auth>['intercept']> => auth().intercept({ path: `/.well-known/cxone-configuration?tenantId=${CXONE_TENANT}` });
  const tokenOk = (): void => {
    auth().intercept({ path: '/auth/token', method: 'POST' }).reply(200, tokenAnswer('AT1'), json).persist();
  };

  it.each([
    { name: 'openid-configuration 404 HTML', setup: () => openId().reply(404, '<html><title>Not Found</title></html>'), upstreamStatus: 404 },
    { name: 'openid-configuration 500', setup: () => openId().reply(500, ''), upstreamStatus: 500 },
    { name: 'openid-configuration without token_endpoint', setup: () => openId().reply(200, { issuer: ISSUER }, json), upstreamStatus: 200 },
    { name: 'openid-configuration with a non-URL token_endpoint', setup: () => openId().reply(200, { token_endpoint: 'javascript:alert(1)' }, json), upstreamStatus: 200 },
    { name: 'openid-configuration as HTML', setup: () => openId().reply(200, '<html></html>'), upstreamStatus: 200 },
    {
      name: 'cxone-configuration 503',
      setup: () => {
        openId().reply(200, { token_endpoint: `${ISSUER}/auth/token` }, json);
        tokenOk();
        cxoneConfig().reply(503, '');
      },
      upstreamStatus: 503,
    },
    {
      name: 'cxone-configuration empty',
      setup: () => {
        openId().reply(200, { token_endpoint: `${ISSUER}/auth/token` }, json);
        tokenOk();
        cxoneConfig().reply(200, '');
      },
      upstreamStatus: 200,
    },
  ])('$name → CXONE_UNAVAILABLE (retryable)', async ({ setup, upstreamStatus }) => {
    setup();
    const error = await failure(newClient({ retry: { maxAttempts: 1 } }).signal(tenant, '1', [], { deadline: soon() }));
    expect(error).toMatchObject({ code: NiceErrorCode.Unavailable, retryable: true, kind: 'discovery', upstreamStatus });
  });

  it('does not cache a failed discovery', async () => {
    openId().reply(500, '');
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '');
    await expect(newClient().signal(tenant, '1', [], { deadline: soon() })).resolves.toEqual({ status: 202, attempts: 2 });
  });
});

describe('observability and lifecycle', () => {
  it('reports every exchange to hooks.onUpstream, token fetches included', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(503, '');
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '');
    const events: Parameters<NonNullable<NiceHooks['onUpstream']>>[0][] = [];
    await newClient({ hooks: { onUpstream: (event) => events.push(event) } }).signal(tenant, '1', [], { deadline: soon() });
    expect(events.map(({ kind, outcome }) => `${kind}:${outcome}`)).toEqual(['discovery:200', 'token:200', 'discovery:200', 'signal:503', 'discovery:200', 'signal:202']);
    expect(events.every((event) => event.ms >= 0)).toBe(true);
  });

  it("reports a network failure as outcome 'error' and survives a throwing hook", async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).replyWithError(Object.assign(new Error('socket hang up'), { code: 'UND_ERR_SOCKET' }));
    const outcomes: (number | 'error')[] = [];
    const error = await failure(
      newClient({
        retry: { maxAttempts: 1 },
        hooks: {
          onUpstream: (event) => {
            outcomes.push(event.outcome);
            throw new Error('metrics down');
          },
        },
      }).signal(tenant, '1', [], { deadline: soon() }),
    );
    expect(error).toMatchObject({ code: NiceErrorCode.Unavailable, retryable: true, kind: 'signal' });
    expect(error.cause).toMatchObject({ name: 'NiceNetworkCause', code: 'UND_ERR_SOCKET' });
    expect(outcomes.at(-1)).toBe('error');
  });

  it('turns an unexpected failure (an api_endpoint that is no URL) into a final error and a log line', async () => {
    upstream();
    const warnings: string[] = [];
    const log = { debug: () => undefined, warn: (fields: object, message: string) => warnings.push(`${message} ${JSON.stringify(fields)}`) };
    const broken: NiceTenant = { ...tenant, cxone: { ...tenant.cxone, apiEndpoint: 'not a url' } };
    const error = await failure(newClient({ log }).signal(broken, '1', [], { deadline: soon() }));
    expect(error).toMatchObject({ code: NiceErrorCode.Unavailable, retryable: false, attempts: 1 });
    expect(warnings).toEqual([expect.stringMatching(/failed unexpectedly .*TypeError.*Invalid URL/)]);
  });

  it.each([
    { name: 'more than 9 params', contactId: '1', params: Array.from({ length: 10 }, (_, index) => `v${index}`), message: /at most 9 params/ },
    { name: 'a param over the length limit', contactId: '1', params: ['ok', 'x'.repeat(MAX_SIGNAL_PARAM_LENGTH + 1)], message: /p2 is longer than 1000 characters/ },
    { name: 'an emoji param over the limit in code points', contactId: '1', params: ['😀'.repeat(MAX_SIGNAL_PARAM_LENGTH + 1)], message: /p1 is longer/ },
    { name: 'an empty contact id', contactId: ' ', params: [], message: /contact id/ },
  ])('rejects $name before any request', async ({ contactId, params, message }) => {
    const error = await failure(newClient().signal(tenant, contactId, params, { deadline: soon() }));
    expect(error).toMatchObject({ code: NiceErrorCode.BadRequest, retryable: false, attempts: 0 });
    expect(error.message).toMatch(message);
    expect(calls()).toHaveLength(0);
  });

  it('accepts exactly 9 params of the longest length (emoji count as one character)', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '');
    const params = Array.from({ length: 9 }, () => '😀'.repeat(MAX_SIGNAL_PARAM_LENGTH));
    await expect(newClient().signal(tenant, '1', params, { deadline: soon() })).resolves.toEqual({ status: 202, attempts: 1 });
    expect(Object.keys(JSON.parse(signalCalls()[0]?.body ?? '{}') as object)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9']);
  });

  it('with signalParams "query" sends exactly 9 params in order', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '');
    await newClient().signal(queryTenant, '1', ['1', '2', '3', '4', '5', '6', '7', '8', '9'], { deadline: soon() });
    expect(signalCalls()[0]?.path).toBe(`${SIGNAL_PREFIX}1/signal?p1=1&p2=2&p3=3&p4=4&p5=5&p6=6&p7=7&p8=8&p9=9`);
  });

  it('after close() rejects signals (retryable) and leaves an injected dispatcher open', async () => {
    upstream();
    api().intercept({ path: '/still-open', method: 'GET' }).reply(200, 'yes');
    const c = newClient();
    await c.close();
    const error = await failure(c.signal(tenant, '1', [], { deadline: soon() }));
    expect(error).toMatchObject({ code: NiceErrorCode.Unavailable, retryable: true, attempts: 0 });
    expect(calls()).toHaveLength(0);
    const response = await agent.request({ origin: API, path: '/still-open', method: 'GET' });
    expect(await response.body.text()).toBe('yes');
  });

  it('keeps tokens apart per tenant', async () => {
    upstream();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '').persist();
    const c = newClient();
    const other: NiceTenant = { id: 'globex', cxone: { ...tenant.cxone, credentials: { ...tenant.cxone.credentials, clientId: 'client-id-globex' } } };
    await c.signal(tenant, '1', [], { deadline: soon() });
    await c.signal(other, '2', [], { deadline: soon() });
    await c.signal(tenant, '3', [], { deadline: soon() });
    expect(signalCalls().map((call) => call.headers.authorization)).toEqual(['Bearer AT1', 'Bearer AT2', 'Bearer AT1']);
    expect(tokenCalls().map((call) => Buffer.from(call.headers.authorization?.slice(6) ?? '', 'base64').toString().split(':')[0])).toEqual(['client-id-acme', 'client-id-globex']);
  });
});

describe('access-key grant', () => {
  const AREA = 'https://na1.cxone.test';
  const keyTenant: NiceTenant = {
    id: 'acme-keys',
    cxone: {
      issuer: ISSUER,
      apiVersion: 'v30.0',
      grant: 'access-key',
      authEndpoint: `${AREA}/`,
      credentials: { accessKeyId: 'ACCESSKEYID', accessKeySecret: 'access-key-secret-acme' },
    },
  };
  const accessKeyCalls = (): SentRequest[] => calls((call) => call.path === '/authentication/v1/token/access-key');

  /** Discovery of the API endpoint only, and an access-key endpoint at `origin` issuing KT1, KT2, … */
  function keyUpstream(origin: string, expiresIn = 3600): void {
    auth()
      .intercept({ path: `/.well-known/cxone-configuration?tenantId=${CXONE_TENANT}` })
      .reply(200, { api_endpoint: API }, json)
      .persist();
    let issued = 0;
    agent
      .get(origin)
      .intercept({ path: '/authentication/v1/token/access-key', method: 'POST' })
      .reply(() => {
        issued += 1;
        return { statusCode: 200, data: tokenAnswer(`KT${issued}`, { expires_in: expiresIn }), responseOptions: json };
      })
      .persist();
    api().intercept({ path: isSignalPath, method: 'POST' }).reply(202, '').persist();
  }

  it('posts {accessKeyId, accessKeySecret} as JSON to {authEndpoint}/authentication/v1/token/access-key, with no API client and no OIDC discovery', async () => {
    keyUpstream(AREA);
    await expect(newClient().signal(keyTenant, '42', ['hi'], { deadline: soon() })).resolves.toEqual({ status: 202, attempts: 1 });
    expect(calls().map((call) => `${call.method} ${call.fullUrl}`)).toEqual([
      `POST ${AREA}/authentication/v1/token/access-key`,
      `GET ${ISSUER}/.well-known/cxone-configuration?tenantId=${CXONE_TENANT}`,
      `POST ${API}${SIGNAL_PREFIX}42/signal`,
    ]);
    const [grant] = accessKeyCalls();
    expect(grant?.headers).toEqual({ 'content-type': 'application/json', accept: 'application/json' });
    expect(grant?.body).toBe('{"accessKeyId":"ACCESSKEYID","accessKeySecret":"access-key-secret-acme"}');
    expect(signalCalls()[0]?.headers.authorization).toBe('Bearer KT1');
  });

  it('uses the issuer when no authEndpoint is configured', async () => {
    keyUpstream(ISSUER);
    await newClient().signal({ ...keyTenant, cxone: { ...keyTenant.cxone, authEndpoint: undefined } }, '42', [], { deadline: soon() });
    expect(accessKeyCalls().map((call) => call.fullUrl)).toEqual([`${ISSUER}/authentication/v1/token/access-key`]);
  });

  it('renews by running the access-key grant again, never the refresh_token grant (injected clock)', async () => {
    keyUpstream(AREA, 60);
    const clock = new FakeClock();
    const c = newClient({ clock });
    await c.signal(keyTenant, '1', [], { deadline: clock.now() + 5_000 });
    clock.time += 60_000;
    await c.signal(keyTenant, '1', [], { deadline: clock.now() + 5_000 });
    expect(accessKeyCalls()).toHaveLength(2);
    expect(tokenCalls()).toHaveLength(0);
    expect(signalCalls().map((call) => call.headers.authorization)).toEqual(['Bearer KT1', 'Bearer KT2']);
  });

  it.each([
    { status: 401, body: { error: 'invalid_grant', error_description: 'Invalid access key' }, code: NiceErrorCode.AuthFailed, retryable: false },
    { status: 400, body: { error: 'invalid_request' }, code: NiceErrorCode.AuthFailed, retryable: false },
    { status: 404, body: { message: 'Not Found' }, code: NiceErrorCode.AuthFailed, retryable: false },
    { status: 503, body: { error: 'temporarily_unavailable' }, code: NiceErrorCode.Unavailable, retryable: true },
  ])('HTTP $status from the access-key endpoint → $code', async ({ status, body, code, retryable }) => {
    agent.get(AREA).intercept({ path: '/authentication/v1/token/access-key', method: 'POST' }).reply(status, body, json);
    const error = await failure(newClient({ retry: { maxAttempts: 1 } }).signal(keyTenant, '1', [], { deadline: soon() }));
    expect(error).toMatchObject({ code, retryable, kind: 'token', upstreamStatus: status });
    if (!retryable) expect(error.message).toMatch(/accessKeyId\/accessKeySecret and authEndpoint/);
    expect(signalCalls()).toHaveLength(0);
  });

  it('a password-grant tenant without an API client is a final, explained configuration error before any token request', async () => {
    upstream();
    const noClient: NiceTenant = { ...tenant, cxone: { ...tenant.cxone, credentials: { accessKeyId: 'ACCESSKEYID', accessKeySecret: 'access-key-secret-acme' } } };
    const error = await failure(newClient().signal(noClient, '1', [], { deadline: soon() }));
    expect(error).toMatchObject({ code: NiceErrorCode.Unavailable, retryable: false, kind: 'token' });
    expect(error.message).toMatch(/clientId and clientSecret.*"access-key"/);
    expect(tokenCalls()).toHaveLength(0);
  });
});
