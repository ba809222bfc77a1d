/**
 * The simulator's per-business-unit Signal API rate limit: a token bucket on the injected clock
 * (time moves only when the test moves it), seeded or set through the control API, answering 429
 * with or without Retry-After.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DEMO } from '../../simulator/index.js';
import { OTHER, TWO_UNIT_SEED, createCall, passwordGrant, useSimulator } from './simulator-harness.js';

let now = Date.parse('2026-01-01T00:00:00Z');
const seed = {
  ...TWO_UNIT_SEED,
  businessUnits: TWO_UNIT_SEED.businessUnits.map((unit) => (unit.businessUnit === DEMO.businessUnit ? { ...unit, rateLimit: { perSecond: 2, burst: 3 } } : unit)),
};

describe('simulator: signal rate limit per business unit', () => {
  const sim = useSimulator({ seed, now: () => now });

  beforeEach(async () => {
    await fetch(`${sim.current.url}/_sim/reset`, { method: 'POST' });
  });

  async function signals(count: number, contactId: string, token: string): Promise<Response[]> {
    const out: Response[] = [];
    for (let i = 0; i < count; i += 1) {
      out.push(
        await fetch(`${sim.current.url}/incontactapi/services/v30.0/interactions/${contactId}/signal`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: '{"p1":"x"}',
        }),
      );
    }
    return out;
  }

  it('lets a burst through, answers 429 without Retry-After when empty, refills on the injected clock', async () => {
    const { access_token: token } = await passwordGrant(sim.current.url);
    const { contactId } = await createCall(sim.current.url);
    const first = await signals(4, contactId, token);
    expect(first.map((r) => r.status)).toEqual([202, 202, 202, 429]);
    expect(first[3]?.headers.get('retry-after')).toBeNull();
    expect(await first[3]?.json()).toMatchObject({ error: 'too_many_requests' });
    // Half a second at 2/s refills exactly one token; real time passing refills nothing.
    now += 500;
    expect((await signals(2, contactId, token)).map((r) => r.status)).toEqual([202, 429]);
    const limits = (await (await fetch(`${sim.current.url}/_sim/rate-limits`)).json()) as unknown[];
    expect(limits).toContainEqual({ businessUnit: DEMO.businessUnit, limit: { perSecond: 2, burst: 3 }, received: 6, throttled: 2 });
    const accepted = (await (await fetch(`${sim.current.url}/_sim/signals?contactId=${contactId}`)).json()) as unknown[];
    expect(accepted).toHaveLength(4);
  });

  it('limits each business unit on its own; a limit set through the control API can send Retry-After and be removed', async () => {
    const other = await passwordGrant(sim.current.url, { id: OTHER.clientId, secret: OTHER.clientSecret }, { id: OTHER.accessKeyId, secret: OTHER.accessKeySecret });
    const { contactId } = await createCall(sim.current.url, { pseudoNumber: OTHER.pseudoNumber });
    expect((await signals(5, contactId, other.access_token)).every((r) => r.status === 202)).toBe(true);
    const put = await fetch(`${sim.current.url}/_sim/rate-limits/${OTHER.businessUnit}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ perSecond: 1, retryAfterSeconds: 2 }),
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ businessUnit: OTHER.businessUnit, limit: { perSecond: 1, retryAfterSeconds: 2 }, received: 5, throttled: 0 });
    const limited = await signals(2, contactId, other.access_token);
    expect(limited.map((r) => r.status)).toEqual([202, 429]);
    expect(limited[1]?.headers.get('retry-after')).toBe('2');
    expect((await fetch(`${sim.current.url}/_sim/rate-limits/${OTHER.businessUnit}`, { method: 'DELETE' })).status).toBe(200);
    expect((await signals(3, contactId, other.access_token)).every((r) => r.status === 202)).toBe(true);
  });

  it('refuses a bad limit and an unknown business unit; reset restores the seeded limit', async () => {
    const bad = await fetch(`${sim.current.url}/_sim/rate-limits/${DEMO.businessUnit}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"perSecond":0}' });
    expect(bad.status).toBe(400);
    const unknown = await fetch(`${sim.current.url}/_sim/rate-limits/999`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"perSecond":1}' });
    expect(unknown.status).toBe(404);
    await fetch(`${sim.current.url}/_sim/rate-limits/${DEMO.businessUnit}`, { method: 'DELETE' });
    await fetch(`${sim.current.url}/_sim/reset`, { method: 'POST' });
    const limits = (await (await fetch(`${sim.current.url}/_sim/rate-limits`)).json()) as unknown[];
    expect(limits).toContainEqual({ businessUnit: DEMO.businessUnit, limit: { perSecond: 2, burst: 3 }, received: 0, throttled: 0 });
  });
});
