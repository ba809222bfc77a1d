/**
 * The CXone client's per-tenant circuit breaker against undici's MockAgent (passed as the
 * dispatcher): it opens on 429/503 past the threshold, fails fast with CXONE_CIRCUIT_OPEN without
 * sending while open, lets one signal through after the cool-down (half open) and closes on its
 * success or opens again on its failure; other tenants are unaffected. Cockatiel reads Date.now,
 * so only Date is faked: the test moves time by hand, undici's own timers stay real.
 */
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isNiceError, type NiceError } from '../../src/nice/errors.js';
import { createNiceClient, type NiceClientHandle } from '../../src/nice/nice.client.js';
import { type NiceHooks, type NiceTenant } from '../../src/nice/types.js';

const ISSUER = 'https://auth.cxone.test';
const API = 'https://api-c9.cxone.test';
const SIGNAL_PREFIX = '/incontactapi/services/v30.0/interactions/';
const credentials = { clientId: 'client-id', clientSecret: 'client-secret', accessKeyId: 'KEYID', accessKeySecret: 'key-secret' };
const acme: NiceTenant = { id: 'acme', cxone: { issuer: ISSUER, apiVersion: 'v30.0', apiEndpoint: API, credentials } };
const other: NiceTenant = { id: 'other', cxone: { ...acme.cxone } };
const json = { headers: { 'content-type': 'application/json' } };

let agent: MockAgent;
let client: NiceClientHandle;
let events: string[];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.parse('2026-01-01T00:00:00Z'));
  agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
  agent.get(ISSUER).intercept({ path: '/.well-known/openid-configuration' }).reply(200, { issuer: ISSUER, token_endpoint: `${ISSUER}/auth/token` }, json).persist();
  agent
    .get(ISSUER)
    .intercept({ path: '/auth/token', method: 'POST' })
    .reply(200, { access_token: 'AT', token_type: 'Bearer', expires_in: 3600, refresh_token: 'RT' }, json)
    .persist();
  events = [];
  const hooks: NiceHooks = {
    onBreaker: ({ tenantId, state }) => events.push(`${tenantId} ${state}`),
    onThrottled: ({ tenantId, reason }) => events.push(`${tenantId} throttled ${reason}`),
  };
  // At least 1 request a second over 10 s, i.e. 10 requests, before the breaker may open.
  client = createNiceClient({ dispatcher: agent, hooks, retry: { maxAttempts: 1 }, breaker: { minimumRps: 1 } });
});
afterEach(async () => {
  await client.close();
  await agent.close();
  vi.useRealTimers();
});

const signalCalls = (): number => (agent.getCallHistory()?.calls() ?? []).filter((call) => new URL(call.fullUrl).pathname.startsWith(SIGNAL_PREFIX)).length;
const answer = (status: number, times: number): void => {
  agent.get(API).intercept({ path: (path) => path.startsWith(SIGNAL_PREFIX), method: 'POST' }).reply(status, status === 202 ? '' : { message: 'slow down' }, json).times(times);
};
const signal = (tenant: NiceTenant = acme): Promise<unknown> => client.signal(tenant, '1', ['x'], { deadline: Date.now() + 5_000 });
async function failure(promise: Promise<unknown>): Promise<NiceError> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  if (!isNiceError(error)) throw new Error(`expected a NiceError, got ${String(error)}`);
  return error;
}

/** 8 accepted signals, then 429s until the breaker opens (at the 10th request: 2 of 10 is not over 20 %, 3 of 11 is). */
async function trip(status: 429 | 503): Promise<void> {
  answer(202, 8);
  for (let i = 0; i < 8; i += 1) await signal();
  answer(status, 3);
  for (let i = 0; i < 3; i += 1) expect((await failure(signal())).code).toBe(status === 429 ? 'CXONE_THROTTLED' : 'CXONE_UNAVAILABLE');
  expect(client.breakers.state('acme')).toBe('open');
}

describe('per-tenant circuit breaker', () => {
  it('opens past 20 % of 429s and then fails fast with CXONE_CIRCUIT_OPEN, sending nothing', async () => {
    await trip(429);
    expect(signalCalls()).toBe(11);
    vi.setSystemTime(Date.now() + 4_000);
    const fast = await failure(signal());
    expect(fast).toMatchObject({ code: 'CXONE_CIRCUIT_OPEN', retryable: true, kind: 'signal', retryAfterMs: 6_000, attempts: 1 });
    expect(fast.message).toMatch(/circuit breaker is open for 6 s more/);
    expect(signalCalls()).toBe(11);
    // The third 429 opens the breaker on its way out, then is counted.
    expect(events).toEqual(['acme throttled upstream', 'acme throttled upstream', 'acme open', 'acme throttled upstream', 'acme throttled circuit_open']);
  });

  it('opens on 503 too, but never on 500 (only throttling and refusal count)', async () => {
    answer(500, 12);
    for (let i = 0; i < 12; i += 1) expect((await failure(signal())).code).toBe('CXONE_UNAVAILABLE');
    expect(client.breakers.state('acme')).toBe('closed');
    await trip(503);
  });

  it('is per tenant: another tenant still signals while one is open', async () => {
    await trip(429);
    answer(202, 1);
    await expect(signal(other)).resolves.toMatchObject({ status: 202 });
    expect(client.breakers.state('other')).toBe('closed');
    expect(signalCalls()).toBe(12);
  });

  it('after the cool-down lets one signal through (half open) and closes when it succeeds', async () => {
    await trip(429);
    vi.setSystemTime(Date.now() + 10_000);
    answer(202, 2);
    await expect(signal()).resolves.toMatchObject({ status: 202 });
    expect(client.breakers.state('acme')).toBe('closed');
    await expect(signal()).resolves.toMatchObject({ status: 202 });
    expect(events.filter((e) => !e.includes('throttled'))).toEqual(['acme open', 'acme half-open', 'acme closed']);
  });

  it('opens again for a whole cool-down when the half-open signal is throttled', async () => {
    await trip(429);
    vi.setSystemTime(Date.now() + 10_000);
    answer(429, 1);
    expect((await failure(signal())).code).toBe('CXONE_THROTTLED');
    expect(client.breakers.state('acme')).toBe('open');
    expect(await failure(signal())).toMatchObject({ code: 'CXONE_CIRCUIT_OPEN', retryAfterMs: 10_000 });
    expect(signalCalls()).toBe(12);
  });

  it('the cool-down is a setting: 1 s instead of 10 s', async () => {
    await client.close();
    client = createNiceClient({ dispatcher: agent, retry: { maxAttempts: 1 }, breaker: { minimumRps: 1, halfOpenAfterMs: 1_000 } });
    await trip(429);
    expect(await failure(signal())).toMatchObject({ code: 'CXONE_CIRCUIT_OPEN', retryAfterMs: 1_000 });
    vi.setSystemTime(Date.now() + 1_000);
    answer(202, 1);
    await expect(signal()).resolves.toMatchObject({ status: 202 });
  });

  it("a retrying call stops at once when the breaker's cool-down would end past its deadline", async () => {
    await client.close();
    client = createNiceClient({ dispatcher: agent, retry: { maxAttempts: 10, baseMs: 1, capMs: 1 }, breaker: { minimumRps: 1 } });
    answer(202, 8);
    for (let i = 0; i < 8; i += 1) await signal();
    answer(429, 10);
    // The 3rd 429 of this call opens the breaker; the next try fails fast and 10 s > the 5 s deadline.
    const error = await failure(signal());
    expect(error).toMatchObject({ code: 'CXONE_CIRCUIT_OPEN', attempts: 4 });
    expect(signalCalls()).toBe(11);
  });
});

describe('per-tenant pace (src/nice/pacer.ts) in the client', () => {
  it("after CXone's first 429 sends at the admitted rate, and defers without sending a signal whose turn leaves no exchange before its deadline", async () => {
    answer(202, 1);
    await signal();
    answer(429, 1);
    expect((await failure(signal())).code).toBe('CXONE_THROTTLED');
    // One request admitted in the last second: the pace is CXone's limit as seen, 1/s.
    expect(client.pacers.pace('acme')).toBe(1);
    expect(client.pacers.pace('other')).toBeNull();

    // The first slot is now: sent at once.
    answer(202, 1);
    await expect(signal()).resolves.toMatchObject({ status: 202 });
    expect(signalCalls()).toBe(3);

    // The next slot is a second away, and a 2 s exchange after it would end past a 1.5 s deadline.
    const deferred = await failure(client.signal(acme, '1', ['x'], { deadline: Date.now() + 1_500 }));
    expect(deferred).toMatchObject({ code: 'CXONE_CIRCUIT_OPEN', retryable: true, kind: 'signal', attempts: 1 });
    expect(deferred.retryAfterMs).toBeGreaterThanOrEqual(1_000);
    // The admitted request raised the pace by 1/pace, to 2/s; the slot was booked at the old one.
    expect(deferred.message).toMatch(/paces them at 2\/s and this one's turn is 2 s away/);
    expect(signalCalls()).toBe(3);
    expect(events.slice(-1)).toEqual(['acme throttled paced']);

    // Another tenant is not paced by acme's 429s.
    answer(202, 1);
    await expect(client.signal(other, '1', ['x'], { deadline: Date.now() + 1_500 })).resolves.toMatchObject({ status: 202 });
  });

  it("a paced tenant that CXone refuses outright ends the call CXONE_THROTTLED (CXone's answer), not deferred for a turn", async () => {
    await client.close();
    client = createNiceClient({ dispatcher: agent, hooks: { onThrottled: ({ reason }) => events.push(reason) }, retry: { maxAttempts: 10, baseMs: 1, capMs: 1 } });
    answer(202, 1);
    await signal();
    answer(429, 10);
    // Deadline 2.5 s: the 429'd first try is retried in the free slot (paced at 1/s from the one
    // admitted request); the slot after is a second on and leaves no 2 s exchange before it.
    const first = await failure(client.signal(acme, '1', ['x'], { deadline: Date.now() + 2_500 }));
    expect(client.pacers.pace('acme')).toBe(1);
    expect(events).toEqual(['upstream', 'upstream', 'paced']);
    // Within the last second CXone admitted one request: a turn to wait for in the store.
    expect(first).toMatchObject({ code: 'CXONE_CIRCUIT_OPEN', attempts: 3 });
    expect(signalCalls()).toBe(3);

    // A second on, CXone has admitted nothing for a second and refuses every request: the call
    // ends with CXone's 429, so the handoff fails RETRIES_EXHAUSTED instead of waiting its turn.
    vi.setSystemTime(Date.now() + 1_500);
    const second = await failure(client.signal(acme, '1', ['x'], { deadline: Date.now() + 2_500 }));
    expect(second).toMatchObject({ code: 'CXONE_THROTTLED', upstreamStatus: 429 });
    expect(signalCalls()).toBe(4);
  });

  it('without a 429 nothing is paced: a burst goes out at once', async () => {
    answer(202, 30);
    await Promise.all(Array.from({ length: 30 }, () => signal()));
    expect(signalCalls()).toBe(30);
    expect(client.pacers.pace('acme')).toBeNull();
    expect(events).toEqual([]);
  });
});
