/**
 * The pure parts of the CXone client: the error catalogue, token refresh margin, Retry-After,
 * snippet sanitizing, id_token claims, URL building and the retry decision.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  abortedFailure,
  badInput,
  discoveryFailure,
  malformedAnswer,
  misconfigured,
  networkFailure,
  NiceError,
  NiceNetworkCause,
  signalFailure,
  timeoutFailure,
  tokenFailure,
} from '../../src/nice/errors.js';
import { exchangeTimeout, within } from '../../src/nice/budget.js';
import { errorSnippet, parseRetryAfter, redact } from '../../src/nice/cxone-http.js';
import { decodeJwtPayload, tenantIdFromIdToken } from '../../src/nice/jwt.js';
import { normalizeApiVersion, signalUrl } from '../../src/nice/nice.client.js';
import { decideRetry, DEFAULT_RETRY } from '../../src/nice/retry-policy.js';
import { circuitOpen } from '../../src/nice/circuit-breaker.js';
import { AccessToken, refreshMarginMs } from '../../src/nice/token.provider.js';
import { NiceErrorCode } from '../../src/nice/types.js';

describe('error catalogue', () => {
  const examples: NiceError[] = [
    signalFailure('1', { kind: 'signal', status: 404 }),
    signalFailure('1', { kind: 'signal', status: 400 }),
    signalFailure('1', { kind: 'signal', status: 401 }),
    signalFailure('1', { kind: 'signal', status: 429, retryAfterMs: 1_000 }),
    signalFailure('1', { kind: 'signal', status: 500 }),
    tokenFailure({ kind: 'token', status: 401, upstreamError: 'invalid_client' }),
    discoveryFailure({ kind: 'discovery', status: 502 }, 'openid-configuration'),
    malformedAnswer('token', 200, 'no access_token'),
    networkFailure('signal', Object.assign(new Error('x'), { code: 'ECONNRESET' })),
    timeoutFailure('signal', 2_000),
    abortedFailure('signal'),
    badInput('Too many params.'),
    misconfigured('discovery', 'Set api_endpoint.'),
    circuitOpen(4_200),
  ];

  it('codes are unique and every one can be produced', () => {
    const codes = Object.values(NiceErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    expect(new Set(examples.map((error) => error.code))).toEqual(new Set(codes));
  });

  it('every error is a NiceError with a code, a message that ends a sentence, and safe JSON', () => {
    for (const error of examples) {
      expect(error).toBeInstanceOf(NiceError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe('NiceError');
      expect(error.message).toMatch(/[.)]$/);
      expect(Object.keys(error.toJSON()).sort()).toEqual(
        ['attempts', 'cause', 'code', 'correlationId', 'kind', 'message', 'name', 'retryAfterMs', 'retryable', 'upstreamError', 'upstreamStatus'].sort(),
      );
    }
  });

  it.each([
    { status: 400, code: NiceErrorCode.BadRequest, retryable: false },
    { status: 401, code: NiceErrorCode.AuthFailed, retryable: false },
    { status: 403, code: NiceErrorCode.AuthFailed, retryable: false },
    { status: 404, code: NiceErrorCode.ContactNotFound, retryable: false },
    { status: 408, code: NiceErrorCode.BadRequest, retryable: false },
    { status: 410, code: NiceErrorCode.BadRequest, retryable: false },
    { status: 429, code: NiceErrorCode.Throttled, retryable: true },
    { status: 500, code: NiceErrorCode.Unavailable, retryable: true },
    { status: 503, code: NiceErrorCode.Unavailable, retryable: true },
    { status: 302, code: NiceErrorCode.Unavailable, retryable: true },
  ])('signal status $status → $code (retryable: $retryable)', ({ status, code, retryable }) => {
    expect(signalFailure('1', { kind: 'signal', status })).toMatchObject({ code, retryable, upstreamStatus: status });
  });

  it.each([
    { status: 400, code: NiceErrorCode.AuthFailed, retryable: false },
    { status: 401, code: NiceErrorCode.AuthFailed, retryable: false },
    { status: 429, code: NiceErrorCode.Throttled, retryable: true },
    { status: 500, code: NiceErrorCode.Unavailable, retryable: true },
  ])('token status $status → $code (retryable: $retryable)', ({ status, code, retryable }) => {
    expect(tokenFailure({ kind: 'token', status })).toMatchObject({ code, retryable, kind: 'token' });
  });

  it('withAttempts stamps a copy and keeps everything else', () => {
    const original = signalFailure('1', { kind: 'signal', status: 503, correlationId: 'c', retryAfterMs: 5 });
    const stamped = original.withAttempts(3);
    expect(original.attempts).toBe(0);
    expect(stamped.toJSON()).toEqual({ ...original.toJSON(), attempts: 3 });
    expect(stamped).toBeInstanceOf(NiceError);
    expect(stamped.stack).toBe(original.stack);
  });

  it('a network cause keeps only a name and a code-like code', () => {
    const raw = Object.assign(new Error('secret in message'), { name: 'SocketError', code: 'UND_ERR_SOCKET', headers: { authorization: 'Bearer X' } });
    const cause = NiceNetworkCause.from(raw);
    expect(cause.message).toBe('SocketError (UND_ERR_SOCKET)');
    expect(inspect(cause)).not.toMatch(/secret|Bearer/);
    expect(NiceNetworkCause.from({ name: 'evil name with spaces', code: 'lower case' }).toJSON()).toEqual({ name: 'NiceNetworkCause', message: 'Error', code: undefined });
    expect(NiceNetworkCause.from('a string').message).toBe('Error');
  });
});

describe('token refresh margin', () => {
  it.each([
    { lifetime: 3_600, margin: 600, refreshAfter: 3_000 },
    { lifetime: 60, margin: 600, refreshAfter: 54 },
    { lifetime: 1_200, margin: 600, refreshAfter: 600 },
    { lifetime: 700, margin: 600, refreshAfter: 630 },
    { lifetime: 3_600, margin: 30, refreshAfter: 3_240 },
    { lifetime: 3, margin: 600, refreshAfter: 2.7 },
    { lifetime: 86_400, margin: 600, refreshAfter: 77_760 },
  ])('a $lifetime s token with a $margin s margin refreshes after $refreshAfter s', ({ lifetime, margin, refreshAfter }) => {
    const marginMs = refreshMarginMs(lifetime, margin);
    expect(lifetime * 1000 - marginMs).toBeCloseTo(refreshAfter * 1000, 6);
    expect(marginMs).toBeLessThan(lifetime * 1000);
    expect(marginMs).toBeGreaterThanOrEqual((lifetime * 1000) / 10);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it.each([
    { value: '0', ms: 0 },
    { value: '3', ms: 3_000 },
    { value: ' 120 ', ms: 120_000 },
    { value: 'Wed, 01 Jan 2025 00:00:05 GMT', ms: 5_000 },
    { value: 'Tue, 31 Dec 2024 00:00:00 GMT', ms: 0 },
    { value: '-1', ms: undefined },
    { value: '1.5', ms: undefined },
    { value: '', ms: undefined },
    { value: 'later', ms: undefined },
    { value: undefined, ms: undefined },
  ])('"$value" → $ms ms', ({ value, ms }) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
});

describe('upstream snippets', () => {
  const secrets = ['client-secret-xyz', 'access-key-secret-xyz'];
  it.each([
    { body: { type: 'empty' } as const, snippet: undefined },
    { body: { type: 'json', value: { error: 'invalid_grant', error_description: 'bad key' } } as const, snippet: 'invalid_grant: bad key' },
    { body: { type: 'json', value: { Message: 'Contact is not active' } } as const, snippet: 'Contact is not active' },
    { body: { type: 'json', value: [1, 2] } as const, snippet: '[1,2]' },
    { body: { type: 'json', value: 'plain' } as const, snippet: 'plain' },
    { body: { type: 'text', text: '<html><head><title>Bad Gateway</title></head><body>x</body></html>' } as const, snippet: 'Bad Gateway' },
    { body: { type: 'text', text: '<p>Upstream\n\n<b>down</b></p>' } as const, snippet: 'Upstream down' },
    { body: { type: 'text', text: 'echo: Authorization: Bearer eyJhbGciOi.abc.def and Basic Y2xpZW50OnNlY3JldA==' } as const, snippet: 'echo: Authorization: Bearer [redacted] and Basic [redacted]' },
    { body: { type: 'text', text: 'grant_type=password&username=k&password=hunter22&x=1' } as const, snippet: 'grant_type=password&username=k&password=[redacted]&x=1' },
    { body: { type: 'json', value: { error: 'x', error_description: 'secret client-secret-xyz was wrong' } } as const, snippet: 'x: secret [redacted] was wrong' },
    { body: { type: 'text', text: '{"access_token":"AT-123","refresh_token": "RT-9"}' } as const, snippet: '{"access_token":"[redacted]","refresh_token": "[redacted]"}' },
  ])('$body.type body → $snippet', ({ body, snippet }) => {
    expect(errorSnippet(body, secrets)).toBe(snippet);
  });

  it('strips control characters and caps the length', () => {
    expect(redact('a\u0000b\u001bc', [])).toBe('a b c');
    expect(redact('y'.repeat(1_000), [])).toHaveLength(201);
    expect(redact('   ', [])).toBeUndefined();
  });
});

describe('id_token claims (not verified, see jwt.ts)', () => {
  const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  it('reads tenantId from the payload', () => {
    const token = `${b64url({ alg: 'RS256' })}.${b64url({ iss: 'https://cxone.test', tenantId: '11EF-ab_c.1' })}.sig`;
    expect(decodeJwtPayload(token)).toMatchObject({ iss: 'https://cxone.test' });
    expect(tenantIdFromIdToken(token)).toBe('11EF-ab_c.1');
  });

  it.each([
    { name: 'not a JWT', token: 'opaque' },
    { name: 'two parts', token: 'a.b' },
    { name: 'payload not JSON', token: `x.${Buffer.from('nope').toString('base64url')}.y` },
    { name: 'payload an array', token: `x.${b64url([1])}.y` },
    { name: 'no tenantId', token: `x.${b64url({ sub: 'u' })}.y` },
    { name: 'tenantId not a string', token: `x.${b64url({ tenantId: 42 })}.y` },
    { name: 'tenantId with odd characters', token: `x.${b64url({ tenantId: '../../etc' + '?a=b' })}.y` },
  ])('gives no tenantId for $name', ({ token }) => {
    expect(tenantIdFromIdToken(token)).toBeUndefined();
  });
});

describe('Signal API URL', () => {
  it.each([
    { version: 'v30.0', segment: 'v30.0' },
    { version: '30.0', segment: 'v30.0' },
    { version: 'v12', segment: 'v12.0' },
    { version: '23', segment: 'v23.0' },
    { version: 'V2.0', segment: 'v2.0' },
  ])('api version $version → $segment', ({ version, segment }) => {
    expect(normalizeApiVersion(version)).toBe(segment);
  });

  it('keeps an endpoint path prefix, encodes the contact id and every param', () => {
    const url = signalUrl(new URL('https://api.test/base/?drop=me#frag'), 'v30.0', 'a b/c', ['x y', '+', '']);
    expect(url.href).toBe('https://api.test/base/incontactapi/services/v30.0/interactions/a%20b%2Fc/signal?p1=x%20y&p2=%2B&p3=');
  });
});

describe('retry decision', () => {
  const clock = { now: () => 1_000 };
  const run = { config: DEFAULT_RETRY, deadline: 5_000, clock };
  it.each([
    { name: 'a 503', error: signalFailure('1', { kind: 'signal', status: 503 }), backoff: 80, expected: { retry: true, delayMs: 80 } },
    { name: 'a 429 asking for more than the backoff', error: signalFailure('1', { kind: 'signal', status: 429, retryAfterMs: 2_000 }), backoff: 80, expected: { retry: true, delayMs: 2_000 } },
    { name: 'a 429 asking past the deadline', error: signalFailure('1', { kind: 'signal', status: 429, retryAfterMs: 4_000 }), backoff: 80, expected: { retry: false, reason: 'deadline' } },
    { name: 'a backoff ending at the deadline', error: timeoutFailure('signal', 2_000), backoff: 4_000, expected: { retry: false, reason: 'deadline' } },
    { name: 'a 404', error: signalFailure('1', { kind: 'signal', status: 404 }), backoff: 80, expected: { retry: false, reason: 'final' } },
    { name: 'a credential error', error: tokenFailure({ kind: 'token', status: 401 }), backoff: 80, expected: { retry: false, reason: 'final' } },
    { name: 'a foreign error', error: new TypeError('bug'), backoff: 80, expected: { retry: false, reason: 'final' } },
  ])('$name → $expected', ({ error, backoff, expected }) => {
    expect(decideRetry(error, 1, backoff, run)).toEqual(expected);
  });

  it('gives up after maxAttempts tries', () => {
    const error = signalFailure('1', { kind: 'signal', status: 503 });
    expect(decideRetry(error, DEFAULT_RETRY.maxAttempts, 10, run)).toEqual({ retry: false, reason: 'attempts' });
  });
});

describe('deadline budget', () => {
  // The client never lets an exchange outlive the caller's deadline: each one's timeout is the attempt
  // timeout cut to what is left, and a wait for shared work ends at the deadline. On a fake clock, so
  // this holds exactly whatever the machine's load (the client suites assert outcomes, not durations).
  const at = (now: number) => ({ now: () => now });

  it.each([
    { name: 'far from the deadline: the attempt timeout', now: 0, expected: 400 },
    { name: 'near the deadline: only what is left', now: 800, expected: 200 },
    { name: 'at the deadline: nothing', now: 1_000, expected: 0 },
  ])('exchange timeout $name', ({ now, expected }) => {
    expect(exchangeTimeout({ deadline: 1_000 }, 400, at(now))).toBe(expected);
  });

  it('waits for shared work no longer than the deadline: past it, a CXONE_TIMEOUT at once', async () => {
    const never = new Promise<never>(() => undefined);
    await expect(within(never, { deadline: 1_000 }, at(1_000), 'token')).rejects.toMatchObject({ code: NiceErrorCode.Timeout, kind: 'token' });
  });

  it('ends a wait for shared work at the deadline with CXONE_TIMEOUT, while the work itself goes on', async () => {
    const never = new Promise<never>(() => undefined);
    await expect(within(never, { deadline: 1_020 }, at(1_000), 'token')).rejects.toMatchObject({ code: NiceErrorCode.Timeout, kind: 'token' });
  });

  it('answers with the work once it is done, and an abort ends the wait', async () => {
    await expect(within(Promise.resolve('AT1'), { deadline: 1_000 }, at(0), 'token')).resolves.toBe('AT1');
    const controller = new AbortController();
    const waiting = within(new Promise<never>(() => undefined), { deadline: 60_000, signal: controller.signal }, at(0), 'token');
    controller.abort();
    await expect(waiting).rejects.toThrow(/aborted/);
  });

  it.each([
    { name: 'the budget is already spent', budget: { deadline: 1_000 } },
    { name: 'the caller already aborted', budget: { deadline: 60_000, signal: AbortSignal.abort() } },
  ])('leaves no unhandled rejection behind when $name and the shared work fails later', async ({ budget }) => {
    let fail: (error: Error) => void = () => undefined;
    const work = new Promise<never>((_resolve, reject) => {
      fail = reject;
    });
    await expect(within(work, budget, at(1_000), 'token')).rejects.toBeDefined();
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      fail(new Error('the token endpoint closed the connection'));
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', record);
    }
    expect(unhandled).toEqual([]);
  });
});

describe('AccessToken', () => {
  it('gives its value only as an Authorization header', () => {
    const token = new AccessToken('AT-very-secret', { cxoneTenantId: 't', expiresAt: 2, refreshAt: 1 });
    expect(token.authorization()).toBe('Bearer AT-very-secret');
    for (const text of [JSON.stringify(token), inspect(token, { depth: Infinity, showHidden: true }), String(token), `${token}`]) {
      expect(text).not.toContain('AT-very-secret');
    }
  });
});
