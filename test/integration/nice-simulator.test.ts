/**
 * The CXone client against the real simulator over real sockets (its own undici Agent, no mock):
 * discovery, single-flight tokens under load, refresh, 401 recovery, every fault kind, deadlines.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isNiceError, type NiceError } from '../../src/nice/errors.js';
import { createNiceClient, type NiceClientHandle, type NiceClientOptions } from '../../src/nice/nice.client.js';
import { NiceErrorCode, type NiceHooks, type NiceTenant } from '../../src/nice/types.js';
import { MAX_SIGNAL_PARAM_LENGTH } from '../../src/common/signal-limits.js';
import { DEMO, startSimulator, type RunningSimulator } from '../../simulator/index.js';

interface FaultSpec {
  readonly route: 'token' | 'discovery' | 'signal' | 'end';
  readonly kind: 'status' | 'delay' | 'drop' | 'malformed';
  readonly status?: number;
  readonly delayMs?: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  readonly count?: number;
}

/** One simulator plus the helpers a test needs to drive and inspect it. */
function simulatorFixture(options: { tokenTtlSeconds?: number; now?: () => number } = {}) {
  let sim: RunningSimulator | undefined;
  const running = (): RunningSimulator => {
    if (sim === undefined) throw new Error('simulator not started');
    return sim;
  };
  const control = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${running().url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
  return {
    start: async () => {
      sim = await startSimulator({ port: 0, ...options });
    },
    stop: async () => sim?.close(),
    reset: () => running().reset(),
    tenant: (overrides: Partial<NiceTenant['cxone']['credentials']> = {}, settings: Partial<Omit<NiceTenant['cxone'], 'credentials'>> = {}): NiceTenant => ({
      id: 'demo',
      cxone: {
        issuer: running().url,
        apiVersion: 'v30.0',
        ...settings,
        credentials: { clientId: DEMO.clientId, clientSecret: DEMO.clientSecret, accessKeyId: DEMO.accessKeyId, accessKeySecret: DEMO.accessKeySecret, ...overrides },
      },
    }),
    newCall: async (): Promise<string> => (await control<{ contactId: string }>('POST', '/_sim/calls', { pseudoNumber: DEMO.pseudoNumber })).contactId,
    endContact: (contactId: string) => control('POST', `/_sim/contacts/${contactId}/end`),
    fault: (spec: FaultSpec) => control('POST', '/_sim/faults', spec),
    signals: (contactId?: string) =>
      control<{ contactId: string; params: string[]; transport: string; clientId: string | null }[]>('GET', `/_sim/signals${contactId === undefined ? '' : `?contactId=${contactId}`}`),
    tokens: () => control<{ grantType: string }[]>('GET', '/_sim/tokens'),
  };
}

async function failure(promise: Promise<unknown>): Promise<NiceError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isNiceError(error)) throw new Error(`expected a NiceError, got ${String(error)}`);
  return error;
}

const soon = (ms = 8_000): number => Date.now() + ms;

describe('against the simulator', () => {
  const sim = simulatorFixture();
  let client: NiceClientHandle | undefined;
  const newClient = (options: NiceClientOptions = {}): NiceClientHandle => {
    client = createNiceClient({ retry: { baseMs: 20, capMs: 100 }, ...options });
    return client;
  };

  beforeAll(sim.start);
  afterAll(sim.stop);
  beforeEach(sim.reset);
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });

  it('walks the discovery chain, gets one password-grant token and delivers p1..pN', async () => {
    const events: string[] = [];
    const hooks: NiceHooks = { onUpstream: ({ kind, outcome }) => events.push(`${kind}:${outcome}`) };
    const contactId = await sim.newCall();
    const result = await newClient({ hooks }).signal(sim.tenant(), contactId, ['transfer', 'billing & payments', 'Zoë'], { deadline: soon() });

    expect(result).toEqual({ status: 202, attempts: 1 });
    expect(events).toEqual(['discovery:200', 'token:200', 'discovery:200', 'signal:202']);
    expect(await sim.signals(contactId)).toMatchObject([{ contactId, params: ['transfer', 'billing & payments', 'Zoë'], transport: 'body' }]);
    expect((await sim.tokens()).map((token) => token.grantType)).toEqual(['password']);
  });

  it.each([
    { transport: 'body' as const, params: ['a b', 'x&y=z', '', 'ü/%"'] },
    { transport: 'query' as const, params: ['a b', 'x&y=z', '', 'ü/%"'] },
  ])('delivers params with signalParams "$transport", recorded as sent', async ({ transport, params }) => {
    const contactId = await sim.newCall();
    await newClient().signal(sim.tenant({}, { signalParams: transport }), contactId, params, { deadline: soon() });
    expect(await sim.signals(contactId)).toMatchObject([{ params, transport }]);
  });

  it('delivers 9 params of the longest length in the body; the query option refuses them before sending', async () => {
    const contactId = await sim.newCall();
    const params = Array.from({ length: 9 }, (_, index) => `${index}`.repeat(MAX_SIGNAL_PARAM_LENGTH));
    const c = newClient();
    await expect(c.signal(sim.tenant(), contactId, params, { deadline: soon() })).resolves.toEqual({ status: 202, attempts: 1 });
    const error = await failure(c.signal(sim.tenant({}, { signalParams: 'query' }), contactId, params, { deadline: soon() }));
    expect(error).toMatchObject({ code: NiceErrorCode.BadRequest, retryable: false });
    expect(await sim.signals(contactId)).toMatchObject([{ params, transport: 'body' }]);
  });

  it('gets its token with the access-key grant when the tenant says so', async () => {
    const contactId = await sim.newCall();
    const tenant = sim.tenant({ clientId: undefined, clientSecret: undefined }, { grant: 'access-key' });
    await expect(newClient().signal(tenant, contactId, ['key'], { deadline: soon() })).resolves.toEqual({ status: 202, attempts: 1 });
    expect((await sim.tokens()).map((token) => token.grantType)).toEqual(['access_key']);
    expect(await sim.signals(contactId)).toMatchObject([{ params: ['key'], clientId: null }]);
  });

  it('a wrong access key secret on the access-key grant is a final CXONE_AUTH_FAILED (401)', async () => {
    const contactId = await sim.newCall();
    const tenant = sim.tenant({ clientId: undefined, clientSecret: undefined, accessKeySecret: 'nope' }, { grant: 'access-key' });
    const error = await failure(newClient().signal(tenant, contactId, [], { deadline: soon() }));
    expect(error).toMatchObject({ code: NiceErrorCode.AuthFailed, retryable: false, kind: 'token', upstreamStatus: 401, upstreamError: expect.stringMatching(/^invalid_grant/) });
  });

  it('1,000 concurrent signals on a cold cache make the simulator issue exactly one token', async () => {
    const contacts = await Promise.all(Array.from({ length: 10 }, () => sim.newCall()));
    // Attempt timeouts as long as the budget: on a loaded machine a timed-out attempt would be retried
    // and reach CXone twice, and this test counts exactly one signal per request.
    const c = newClient({ attemptTimeoutMs: 30_000, retry: { totalMs: 30_000 } });
    const results = await Promise.all(
      Array.from({ length: 1_000 }, (_, index) => c.signal(sim.tenant(), contacts[index % contacts.length] ?? '', [String(index)], { deadline: soon(30_000) })),
    );
    expect(results.every((result) => result.status === 202)).toBe(true);
    expect(await sim.tokens()).toHaveLength(1);
    expect(await sim.signals()).toHaveLength(1_000);
  });

  it('recovers from a 401 by fetching a new token and sending once more', async () => {
    const contactId = await sim.newCall();
    const c = newClient();
    await c.signal(sim.tenant(), contactId, ['warm'], { deadline: soon() });
    await sim.fault({ route: 'signal', kind: 'status', status: 401, count: 1 });
    const result = await c.signal(sim.tenant(), contactId, ['after 401'], { deadline: soon() });
    expect(result).toEqual({ status: 202, attempts: 2 });
    expect(await sim.tokens()).toHaveLength(2);
  });

  it('a persistent 403 is CXONE_AUTH_FAILED after one fresh token', async () => {
    const contactId = await sim.newCall();
    await sim.fault({ route: 'signal', kind: 'status', status: 403 });
    const error = await failure(newClient().signal(sim.tenant(), contactId, [], { deadline: soon() }));
    expect(error).toMatchObject({ code: NiceErrorCode.AuthFailed, retryable: false, upstreamStatus: 403, attempts: 2 });
    expect(error.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    { name: 'wrong client secret', overrides: { clientSecret: 'nope' }, upstreamStatus: 401 },
    { name: 'wrong access key secret', overrides: { accessKeySecret: 'nope' }, upstreamStatus: 401 },
  ])('$name is a final CXONE_AUTH_FAILED from the token endpoint', async ({ overrides, upstreamStatus }) => {
    const contactId = await sim.newCall();
    const error = await failure(newClient().signal(sim.tenant(overrides), contactId, [], { deadline: soon() }));
    expect(error).toMatchObject({ code: NiceErrorCode.AuthFailed, retryable: false, kind: 'token', upstreamStatus, attempts: 1 });
  });

  it('an ended contact is CXONE_CONTACT_NOT_FOUND, not retried', async () => {
    const contactId = await sim.newCall();
    await sim.endContact(contactId);
    const error = await failure(newClient().signal(sim.tenant(), contactId, ['x'], { deadline: soon() }));
    expect(error).toMatchObject({ code: NiceErrorCode.ContactNotFound, retryable: false, upstreamStatus: 404, attempts: 1 });
    expect(error.correlationId).toBeDefined();
  });

  it('a contact id CXone rejects is CXONE_BAD_REQUEST, not retried', async () => {
    const error = await failure(newClient().signal(sim.tenant(), 'not-digits', [], { deadline: soon() }));
    expect(error).toMatchObject({ code: NiceErrorCode.BadRequest, retryable: false, upstreamStatus: 400, attempts: 1 });
  });

  // `recorded`: signals the simulator ends up recording. A fault that replaces the answer after the
  // handler ran (malformed 500) or delays it past our timeout records a signal we then send again:
  // at-least-once towards CXone, as docs/architecture.md, "Handoff lifecycle and the store" says.
  it.each<{ name: string; fault: FaultSpec; attempts: number; recorded: number }>([
    { name: 'token 500 once', fault: { route: 'token', kind: 'status', status: 500, count: 1 }, attempts: 2, recorded: 1 },
    { name: 'token 503 HTML once', fault: { route: 'token', kind: 'status', status: 503, body: '<html><title>Down</title></html>', count: 1 }, attempts: 2, recorded: 1 },
    { name: 'token malformed once', fault: { route: 'token', kind: 'malformed', count: 1 }, attempts: 2, recorded: 1 },
    { name: 'token dropped once', fault: { route: 'token', kind: 'drop', count: 1 }, attempts: 2, recorded: 1 },
    { name: 'token delayed past the attempt timeout once', fault: { route: 'token', kind: 'delay', delayMs: 800, count: 1 }, attempts: 2, recorded: 1 },
    { name: 'discovery 502 once', fault: { route: 'discovery', kind: 'status', status: 502, count: 1 }, attempts: 2, recorded: 1 },
    { name: 'discovery malformed once', fault: { route: 'discovery', kind: 'malformed', count: 1 }, attempts: 2, recorded: 1 },
    { name: 'discovery dropped once', fault: { route: 'discovery', kind: 'drop', count: 1 }, attempts: 2, recorded: 1 },
    { name: 'signal 500 twice', fault: { route: 'signal', kind: 'status', status: 500, count: 2 }, attempts: 3, recorded: 1 },
    { name: 'signal 429 once', fault: { route: 'signal', kind: 'status', status: 429, count: 1 }, attempts: 2, recorded: 1 },
    { name: 'signal dropped once', fault: { route: 'signal', kind: 'drop', count: 1 }, attempts: 2, recorded: 1 },
    { name: 'signal malformed 500 once', fault: { route: 'signal', kind: 'malformed', status: 500, count: 1 }, attempts: 2, recorded: 2 },
    { name: 'signal delayed past the attempt timeout once', fault: { route: 'signal', kind: 'delay', delayMs: 800, count: 1 }, attempts: 2, recorded: 2 },
    { name: 'signal answered 202 with a malformed body', fault: { route: 'signal', kind: 'malformed', count: 1 }, attempts: 1, recorded: 1 },
  ])('$name: retried until it succeeds', async ({ fault, attempts, recorded }) => {
    const contactId = await sim.newCall();
    await sim.fault(fault);
    const retries: string[] = [];
    const result = await newClient({ attemptTimeoutMs: 500 }).signal(sim.tenant(), contactId, ['p'], {
      deadline: soon(),
      onRetry: ({ error }) => retries.push((error as NiceError).code),
    });
    expect(result).toEqual({ status: 202, attempts });
    expect(retries).toHaveLength(attempts - 1);
    await expect.poll(async () => (await sim.signals(contactId)).length, { timeout: 2_000 }).toBe(recorded);
  });

  it('honours Retry-After from a 429', async () => {
    const contactId = await sim.newCall();
    await sim.fault({ route: 'signal', kind: 'status', status: 429, headers: { 'Retry-After': '1' }, count: 1 });
    const delays: number[] = [];
    const started = Date.now();
    await newClient().signal(sim.tenant(), contactId, [], { deadline: soon(), onRetry: ({ delayMs }) => delays.push(delayMs) });
    expect(delays).toEqual([1_000]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
  });

  it.each<{ name: string; fault: FaultSpec; code: NiceErrorCode }>([
    { name: 'a persistent 503', fault: { route: 'signal', kind: 'status', status: 503 }, code: NiceErrorCode.Unavailable },
    { name: 'a persistent 429', fault: { route: 'signal', kind: 'status', status: 429 }, code: NiceErrorCode.Throttled },
    { name: 'persistent drops', fault: { route: 'signal', kind: 'drop' }, code: NiceErrorCode.Unavailable },
    { name: 'a token endpoint that keeps failing', fault: { route: 'token', kind: 'status', status: 500 }, code: NiceErrorCode.Unavailable },
  ])('$name: retryable error with its own code once the deadline is spent', async ({ fault, code }) => {
    const contactId = await sim.newCall();
    await sim.fault(fault);
    const error = await failure(newClient().signal(sim.tenant(), contactId, [], { deadline: Date.now() + 1_000 }));
    expect(error).toMatchObject({ code, retryable: true });
    expect(error.attempts).toBeGreaterThan(1);
  });

  it('an upstream slower than the deadline ends with CXONE_TIMEOUT after more than one attempt', async () => {
    const contactId = await sim.newCall();
    await sim.fault({ route: 'signal', kind: 'delay', delayMs: 5_000 });
    const error = await failure(newClient({ attemptTimeoutMs: 400 }).signal(sim.tenant(), contactId, [], { deadline: Date.now() + 1_000 }));
    expect(error).toMatchObject({ code: NiceErrorCode.Timeout, retryable: true, kind: 'signal' });
    expect(error.attempts).toBeGreaterThanOrEqual(2);
    // How far past the deadline it ended is the machine's load; that no attempt's timeout reaches past
    // the deadline is checked on a fake clock in test/unit/nice-units.test.ts (exchangeTimeout, within).
  });
  it('closes its own connection pool on close()', async () => {
    const contactId = await sim.newCall();
    const c = newClient();
    await c.signal(sim.tenant(), contactId, [], { deadline: soon() });
    await c.close();
    const error = await failure(c.signal(sim.tenant(), contactId, [], { deadline: soon() }));
    expect(error).toMatchObject({ code: NiceErrorCode.Unavailable, retryable: true, attempts: 0 });
    expect(await sim.signals(contactId)).toHaveLength(1);
  });
});

describe('token lifetime against the simulator', () => {
  const sim = simulatorFixture({ tokenTtlSeconds: 2 });
  let client: NiceClientHandle | undefined;

  beforeAll(sim.start);
  afterAll(sim.stop);
  beforeEach(sim.reset);
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });

  it('refreshes with the refresh_token grant once the token has expired', async () => {
    const contactId = await sim.newCall();
    client = createNiceClient();
    await client.signal(sim.tenant(), contactId, ['before'], { deadline: soon() });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await client.signal(sim.tenant(), contactId, ['after'], { deadline: soon() });
    expect((await sim.tokens()).map((token) => token.grantType)).toEqual(['password', 'refresh_token']);
    expect((await sim.signals(contactId)).map((signal) => signal.params)).toEqual([['before'], ['after']]);
  });

  it('refreshes ahead of expiry (2 s token: after 1.8 s) without making the caller wait', async () => {
    const contactId = await sim.newCall();
    client = createNiceClient();
    await client.signal(sim.tenant(), contactId, [], { deadline: soon() });
    await new Promise((resolve) => setTimeout(resolve, 1_850));
    await client.signal(sim.tenant(), contactId, [], { deadline: soon() });
    await expect.poll(async () => (await sim.tokens()).map((token) => token.grantType)).toEqual(['password', 'refresh_token']);
    expect(await sim.signals(contactId)).toHaveLength(2);
  });

  it('recovers when CXone says a token has expired that the client still holds as valid', async () => {
    const contactId = await sim.newCall();
    const frozen = Date.now();
    // A client clock stuck in the past: the client believes its token is fresh, CXone does not.
    client = createNiceClient({ clock: { now: () => frozen } });
    await client.signal(sim.tenant(), contactId, [], { deadline: frozen + 8_000 });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const result = await client.signal(sim.tenant(), contactId, [], { deadline: frozen + 8_000 });
    expect(result).toEqual({ status: 202, attempts: 2 });
    expect((await sim.tokens()).map((token) => token.grantType)).toEqual(['password', 'password']);
  });
});

describe('refresh tokens against the simulator (one injected clock for both sides)', () => {
  const clock = { time: Date.parse('2026-03-01T00:00:00Z'), now: (): number => clock.time };
  const sim = simulatorFixture({ now: clock.now });
  let client: NiceClientHandle | undefined;

  beforeAll(sim.start);
  afterAll(sim.stop);
  beforeEach(sim.reset);
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });

  /** Signals once now and once `advanceS` later; returns the token exchanges seen (`token:200`, …). */
  async function twoSignals(advanceS: number, options: NiceClientOptions = {}): Promise<string[]> {
    const events: string[] = [];
    const contactId = await sim.newCall();
    client = createNiceClient({ clock, hooks: { onUpstream: ({ kind, outcome }) => kind === 'token' && events.push(`token:${outcome}`) }, ...options });
    await client.signal(sim.tenant(), contactId, ['first'], { deadline: clock.now() + 8_000 });
    clock.time += advanceS * 1000;
    await client.signal(sim.tenant(), contactId, ['second'], { deadline: clock.now() + 8_000 });
    expect((await sim.signals(contactId)).map((signal) => signal.params)).toEqual([['first'], ['second']]);
    return events;
  }

  it('refreshes with the refresh token while it lives (access token expired at 3600 s)', async () => {
    expect(await twoSignals(3_600)).toEqual(['token:200', 'token:200']);
    expect((await sim.tokens()).map((token) => token.grantType)).toEqual(['password', 'refresh_token']);
  });

  it('goes straight to the password grant once the refresh token is 7200 s old', async () => {
    expect(await twoSignals(7_200)).toEqual(['token:200', 'token:200']);
    expect((await sim.tokens()).map((token) => token.grantType)).toEqual(['password', 'password']);
  });

  it('falls back to the password grant when the simulator refuses an expired refresh token (401 invalid_grant)', async () => {
    // A client that believes refresh tokens live longer than CXone lets them.
    expect(await twoSignals(7_200, { refreshTokenLifetimeSeconds: 86_400 })).toEqual(['token:200', 'token:401', 'token:200']);
    expect((await sim.tokens()).map((token) => token.grantType)).toEqual(['password', 'password']);
  });

  it('renews an access-key grant token by running the grant again', async () => {
    const contactId = await sim.newCall();
    const tenant = sim.tenant({ clientId: undefined, clientSecret: undefined }, { grant: 'access-key' });
    client = createNiceClient({ clock });
    await client.signal(tenant, contactId, [], { deadline: clock.now() + 8_000 });
    clock.time += 3_600_000;
    await client.signal(tenant, contactId, [], { deadline: clock.now() + 8_000 });
    expect((await sim.tokens()).map((token) => token.grantType)).toEqual(['access_key', 'access_key']);
  });
});
