/**
 * No credential, access key or token may leave the client in an error or a log line, even when
 * the upstream (or a proxy in front of it) echoes them back. Provokes every error the client can
 * throw against upstreams that echo secrets, then serializes each error every way a caller might
 * (JSON, util.inspect with full depth and hidden fields, String, stack, the cause chain) and the
 * log lines written by a real pino logger, and looks for each secret.
 */
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { pino } from 'pino';
import { MockAgent } from 'undici';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { isNiceError, type NiceError } from '../../src/nice/errors.js';
import { createNiceClient, type NiceClientHandle, type NiceClientOptions } from '../../src/nice/nice.client.js';
import { NiceErrorCode, type NiceTenant } from '../../src/nice/types.js';

const ISSUER = 'https://auth.cxone.test';
const API = 'https://api.cxone.test';
const CXONE_TENANT = 'tenant-0001';

const SECRETS = {
  clientId: 'CLIENTID-4f1d9a',
  clientSecret: 'CLIENTSECRET-9b8e7c',
  accessKeyId: 'ACCESSKEYID-1a2b3c',
  accessKeySecret: 'ACCESSKEYSECRET-7d6e5f',
  accessToken: 'ACCESSTOKEN-0c9d8e',
  refreshToken: 'REFRESHTOKEN-5a4b3c',
};
const basic = Buffer.from(`${SECRETS.clientId}:${SECRETS.clientSecret}`).toString('base64');
const b64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const idToken = `${b64url({ alg: 'none' })}.${b64url({ tenantId: CXONE_TENANT })}.c2ln`;
const FORBIDDEN = [...Object.values(SECRETS), basic, idToken];

const tenant: NiceTenant = {
  id: 'acme',
  cxone: {
    issuer: ISSUER,
    apiVersion: 'v30.0',
    credentials: { clientId: SECRETS.clientId, clientSecret: SECRETS.clientSecret, accessKeyId: SECRETS.accessKeyId, accessKeySecret: SECRETS.accessKeySecret },
  },
};

/** The same tenant on the access-key grant (no API client; its endpoint on the issuer). */
const keyTenant: NiceTenant = {
  id: 'acme-keys',
  cxone: { ...tenant.cxone, grant: 'access-key', credentials: { accessKeyId: SECRETS.accessKeyId, accessKeySecret: SECRETS.accessKeySecret } },
};
const ACCESS_KEY_PATH = '/authentication/v1/token/access-key';

/**
 * What an echoing upstream (or a proxy's debug page) could send back: the request it got, and for
 * good measure every credential. An upstream cannot echo a token it was never sent, so the token
 * endpoint's echo carries no access token.
 */
const credentials = [SECRETS.clientId, SECRETS.clientSecret, SECRETS.accessKeyId, SECRETS.accessKeySecret].join(' ');
const tokenEcho = `Authorization: Basic ${basic}; body grant_type=password&username=${SECRETS.accessKeyId}&password=${SECRETS.accessKeySecret}; ${credentials}`;
// An access-key tenant sends no API client, so only the access key (and later its token) can come back.
const accessKeyEcho = `body {"accessKeyId":"${SECRETS.accessKeyId}","accessKeySecret":"${SECRETS.accessKeySecret}"}; ${SECRETS.accessKeyId} ${SECRETS.accessKeySecret}`;
const accessKeySignalEcho = `Authorization: Bearer ${SECRETS.accessToken}; raw ${SECRETS.accessToken}; ${SECRETS.accessKeyId} ${SECRETS.accessKeySecret}`;
const echo = `Authorization: Bearer ${SECRETS.accessToken}; raw ${SECRETS.accessToken}; ${credentials}`;
const json = { headers: { 'content-type': 'application/json' } };
const html = { headers: { 'content-type': 'text/html' } };
const tokenOk = { access_token: SECRETS.accessToken, token_type: 'Bearer', expires_in: 3600, refresh_token: SECRETS.refreshToken, id_token: idToken };

let agent: MockAgent;
let client: NiceClientHandle | undefined;
let logLines: string[];

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  logLines = [];
});
afterEach(async () => {
  await client?.close();
  client = undefined;
  await agent.close();
});

const auth = (): ReturnType<MockAgent['get']> => agent.get(ISSUER);
const api = (): ReturnType<MockAgent['get']> => agent.get(API);
const signalPath = (path: string): boolean => path.startsWith('/incontactapi/');

function discovery(): void {
  auth().intercept({ path: '/.well-known/openid-configuration' }).reply(200, { token_endpoint: `${ISSUER}/auth/token` }, json).persist();
  auth().intercept({ path: `/.well-known/cxone-configuration?tenantId=${CXONE_TENANT}` }).reply(200, { api_endpoint: API }, json).persist();
}
function tokens(): void {
  auth().intercept({ path: '/auth/token', method: 'POST' }).reply(200, tokenOk, json).persist();
}

/** An error whose message and fields carry the request's secrets, as raw client errors can. */
function leakyNetworkError(): Error {
  return Object.assign(new Error(`socket closed while sending ${echo} ${tokenEcho}`), {
    code: 'UND_ERR_SOCKET',
    headers: { authorization: `Bearer ${SECRETS.accessToken}` },
    body: `password=${SECRETS.accessKeySecret}`,
  });
}

function newClient(options: NiceClientOptions = {}): NiceClientHandle {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  client = createNiceClient({ dispatcher: agent, log: pino({ level: 'debug' }, sink), ...options });
  return client;
}

/** Real time plus an offset a scenario can move, so token expiry needs no sleep. */
const skewed = { offsetMs: 0, now: (): number => Date.now() + skewed.offsetMs };

const scenarios: {
  name: string;
  code: NiceErrorCode;
  options?: NiceClientOptions;
  setup: () => void;
  deadlineMs?: number;
  abortAfterMs?: number;
  params?: string[];
  tenant?: NiceTenant;
  /** Signal once first (to hold a token and a refresh token), then move `skewed` forward by this much. */
  primeThenAdvanceMs?: number;
}[] = [
  ...[400, 401, 404].map((status) => ({
    name: `access-key grant ${status} echoing the JSON request`,
    code: NiceErrorCode.AuthFailed,
    tenant: keyTenant,
    setup: () => {
      auth().intercept({ path: ACCESS_KEY_PATH, method: 'POST' }).reply(status, { error: 'invalid_grant', error_description: accessKeyEcho }, json);
    },
  })),
  {
    name: 'access-key grant 503 HTML echoing the request',
    code: NiceErrorCode.Unavailable,
    options: { retry: { maxAttempts: 1 } },
    tenant: keyTenant,
    setup: () => {
      auth().intercept({ path: ACCESS_KEY_PATH, method: 'POST' }).reply(503, `<html><title>${accessKeyEcho}</title></html>`, html);
    },
  },
  {
    name: 'access-key grant connection failure with a leaky raw error',
    code: NiceErrorCode.Unavailable,
    options: { retry: { maxAttempts: 1 } },
    tenant: keyTenant,
    setup: () => {
      auth().intercept({ path: ACCESS_KEY_PATH, method: 'POST' }).replyWithError(leakyNetworkError());
    },
  },
  {
    name: 'access-key grant answer malformed but carrying secrets',
    code: NiceErrorCode.Unavailable,
    options: { retry: { maxAttempts: 1 } },
    tenant: keyTenant,
    setup: () => {
      auth().intercept({ path: ACCESS_KEY_PATH, method: 'POST' }).reply(200, { ...tokenOk, expires_in: 'never' }, json);
    },
  },
  {
    name: 'access-key grant, then a signal 401 twice with the token echoed',
    code: NiceErrorCode.AuthFailed,
    tenant: keyTenant,
    setup: () => {
      discovery();
      auth().intercept({ path: ACCESS_KEY_PATH, method: 'POST' }).reply(200, tokenOk, json).persist();
      api().intercept({ path: signalPath, method: 'POST' }).reply(401, `<pre>${SECRETS.accessToken}\n${accessKeySignalEcho}</pre>`, html).persist();
    },
  },
  {
    name: 'refresh token refused, then the password grant refused, both echoing',
    code: NiceErrorCode.AuthFailed,
    options: { refreshTokenLifetimeSeconds: 100_000, clock: skewed },
    primeThenAdvanceMs: 2_000,
    setup: () => {
      discovery();
      // One good token that is already expired (expires_in 1 s, used after the clock moved),
      // then every grant refused with an echo of what was sent, the refresh token included.
      auth().intercept({ path: '/auth/token', method: 'POST' }).reply(200, { ...tokenOk, expires_in: 1 }, json);
      auth()
        .intercept({ path: '/auth/token', method: 'POST' })
        // The refresh token first: the snippet is capped at 200 characters.
        .reply(401, { error: 'invalid_grant', error_description: `${SECRETS.refreshToken} was sent; ${tokenEcho}` }, json)
        .persist();
      api().intercept({ path: signalPath, method: 'POST' }).reply(202, '').persist();
    },
  },
  {
    name: 'token endpoint 401 echoing the request',
    code: NiceErrorCode.AuthFailed,
    setup: () => {
      discovery();
      auth().intercept({ path: '/auth/token', method: 'POST' }).reply(401, { error: 'invalid_client', error_description: tokenEcho }, json);
    },
  },
  {
    name: 'token endpoint 400 HTML echoing the request',
    code: NiceErrorCode.AuthFailed,
    setup: () => {
      discovery();
      auth().intercept({ path: '/auth/token', method: 'POST' }).reply(400, `<html><title>${tokenEcho}</title></html>`, html);
    },
  },
  {
    name: 'token endpoint 500 echoing the request',
    code: NiceErrorCode.Unavailable,
    options: { retry: { maxAttempts: 1 } },
    setup: () => {
      discovery();
      auth().intercept({ path: '/auth/token', method: 'POST' }).reply(500, tokenEcho);
    },
  },
  {
    name: 'token endpoint 429',
    code: NiceErrorCode.Throttled,
    options: { retry: { maxAttempts: 1 } },
    setup: () => {
      discovery();
      auth().intercept({ path: '/auth/token', method: 'POST' }).reply(429, { error: tokenEcho }, json);
    },
  },
  {
    name: 'token answer malformed but carrying secrets',
    code: NiceErrorCode.Unavailable,
    options: { retry: { maxAttempts: 1 } },
    setup: () => {
      discovery();
      auth().intercept({ path: '/auth/token', method: 'POST' }).reply(200, { ...tokenOk, expires_in: 'never' }, json);
    },
  },
  {
    name: 'token endpoint connection failure with a leaky raw error',
    code: NiceErrorCode.Unavailable,
    options: { retry: { maxAttempts: 1 } },
    setup: () => {
      discovery();
      auth().intercept({ path: '/auth/token', method: 'POST' }).replyWithError(leakyNetworkError());
    },
  },
  {
    name: 'discovery failure',
    code: NiceErrorCode.Unavailable,
    options: { retry: { maxAttempts: 1 } },
    setup: () => {
      auth().intercept({ path: '/.well-known/openid-configuration' }).reply(502, `<html><title>${credentials}</title></html>`, html);
    },
  },
  ...[400, 404, 409, 429, 500, 503].map((status) => ({
    name: `signal ${status} echoing the request`,
    code: { 400: NiceErrorCode.BadRequest, 404: NiceErrorCode.ContactNotFound, 409: NiceErrorCode.BadRequest, 429: NiceErrorCode.Throttled, 500: NiceErrorCode.Unavailable, 503: NiceErrorCode.Unavailable }[status] ?? NiceErrorCode.Unavailable,
    options: { retry: { maxAttempts: 2, baseMs: 1, capMs: 1 } },
    setup: () => {
      discovery();
      tokens();
      api().intercept({ path: signalPath, method: 'POST' }).reply(status, { message: echo, token: SECRETS.accessToken }, json).persist();
    },
  })),
  {
    name: 'signal 401 twice with the token echoed raw',
    code: NiceErrorCode.AuthFailed,
    setup: () => {
      discovery();
      tokens();
      api().intercept({ path: signalPath, method: 'POST' }).reply(401, `<pre>${SECRETS.accessToken}\n${echo}</pre>`, html).persist();
    },
  },
  {
    name: 'signal 403 twice',
    code: NiceErrorCode.AuthFailed,
    setup: () => {
      discovery();
      tokens();
      api().intercept({ path: signalPath, method: 'POST' }).reply(403, echo).persist();
    },
  },
  {
    name: 'signal connection failure with a leaky raw error',
    code: NiceErrorCode.Unavailable,
    options: { retry: { maxAttempts: 2, baseMs: 1, capMs: 1 } },
    setup: () => {
      discovery();
      tokens();
      api().intercept({ path: signalPath, method: 'POST' }).replyWithError(leakyNetworkError()).persist();
    },
  },
  {
    name: 'signal timeout',
    code: NiceErrorCode.Timeout,
    options: { attemptTimeoutMs: 50 },
    deadlineMs: 120,
    setup: () => {
      discovery();
      tokens();
      api().intercept({ path: signalPath, method: 'POST' }).reply(202, '').delay(1_000).persist();
    },
  },
  {
    name: 'token fetch timeout',
    code: NiceErrorCode.Timeout,
    options: { attemptTimeoutMs: 50 },
    deadlineMs: 120,
    setup: () => {
      discovery();
      auth().intercept({ path: '/auth/token', method: 'POST' }).reply(200, tokenOk, json).delay(1_000).persist();
    },
  },
  {
    name: 'caller abort',
    code: NiceErrorCode.Timeout,
    abortAfterMs: 30,
    setup: () => {
      discovery();
      tokens();
      api().intercept({ path: signalPath, method: 'POST' }).reply(202, '').delay(1_000);
    },
  },
  { name: 'too many params', code: NiceErrorCode.BadRequest, params: Array.from({ length: 10 }, () => SECRETS.accessKeySecret), setup: () => undefined },
  {
    name: 'no tenantId to discover with',
    code: NiceErrorCode.Unavailable,
    setup: () => {
      discovery();
      auth().intercept({ path: '/auth/token', method: 'POST' }).reply(200, { ...tokenOk, id_token: undefined }, json);
    },
  },
];

function renderings(error: NiceError): string[] {
  const texts = [JSON.stringify(error), inspect(error, { depth: Infinity, showHidden: true }), inspect(error, { depth: Infinity, getters: true }), String(error), error.stack ?? '', error.message];
  let cause: unknown = error.cause;
  while (cause !== undefined && cause !== null) {
    texts.push(JSON.stringify(cause), inspect(cause, { depth: Infinity, showHidden: true }), String(cause));
    cause = (cause as { cause?: unknown }).cause;
  }
  return texts;
}

it.each(scenarios)('$name: $code, and no secret in the error or the log', async ({ code, options, setup, deadlineMs, abortAfterMs, params, tenant: which, primeThenAdvanceMs }) => {
  setup();
  skewed.offsetMs = 0;
  const controller = new AbortController();
  if (abortAfterMs !== undefined) setTimeout(() => controller.abort(), abortAfterMs);
  const c = newClient(options);
  if (primeThenAdvanceMs !== undefined) {
    await c.signal(which ?? tenant, '4001', [], { deadline: skewed.now() + 5_000 });
    skewed.offsetMs += primeThenAdvanceMs;
  }
  const caught: unknown = await c
    .signal(which ?? tenant, '4001', params ?? ['p'], { deadline: skewed.now() + (deadlineMs ?? 5_000), signal: controller.signal })
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  if (!isNiceError(caught)) throw new Error(`expected a NiceError, got ${String(caught)}`);
  expect(caught.code).toBe(code);
  const texts = [...renderings(caught), ...logLines];
  for (const text of texts) {
    for (const secret of FORBIDDEN) expect(text).not.toContain(secret);
  }
});

it('logs retries and failures without secrets', async () => {
  discovery();
  tokens();
  api().intercept({ path: signalPath, method: 'POST' }).reply(503, echo, html);
  api().intercept({ path: signalPath, method: 'POST' }).reply(202, '');
  await newClient().signal(tenant, '4001', ['p'], { deadline: Date.now() + 5_000 });
  expect(logLines.join('\n')).toMatch(/retrying CXone signal/);
  for (const secret of FORBIDDEN) expect(logLines.join('\n')).not.toContain(secret);
});

it('the client object itself shows no secret or token when inspected', async () => {
  discovery();
  tokens();
  api().intercept({ path: signalPath, method: 'POST' }).reply(202, '');
  const handle = newClient();
  await handle.signal(tenant, '4001', [], { deadline: Date.now() + 5_000 });
  const text = [inspect(handle, { depth: Infinity, showHidden: true }), JSON.stringify(handle), inspect(handle.tokens, { depth: Infinity, showHidden: true })].join('\n');
  for (const secret of FORBIDDEN) expect(text).not.toContain(secret);
});
