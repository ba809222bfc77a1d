/**
 * The simulator's Studio semantics: a per-pseudo-number script profile in the seed and the contact
 * timeline (`GET /_sim/contacts/{id}/timeline`): the signals CXone accepted, whether each one's
 * Onsignal ran or a later signal within 2 s interrupted it, duplicates, when an agent answered (on
 * the injected clock) and when the contact ended; plus the duplicate counter (`GET /_sim/duplicates`).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DEMO, parseSeed, type SeedInput } from '../../simulator/index.js';
import { OTHER, TWO_UNIT_SEED, createCall, passwordGrant, useSimulator } from './simulator-harness.js';

let now = Date.parse('2026-01-01T00:00:00Z');
const seed: SeedInput = {
  ...TWO_UNIT_SEED,
  businessUnits: TWO_UNIT_SEED.businessUnits.map((unit) =>
    unit.businessUnit === DEMO.businessUnit
      ? { ...unit, scripts: { [DEMO.pseudoNumber]: { onSignal: true, agentAnswersAfterMs: 3_000 } } as Record<string, { onSignal?: boolean; agentAnswersAfterMs?: number }> }
      : { ...unit, scripts: { [OTHER.pseudoNumber]: { onSignal: false } } as Record<string, { onSignal?: boolean; agentAnswersAfterMs?: number }> },
  ),
};

interface Timeline {
  signals: { signalId: number; onSignal: string; interruptedBy: number | null; duplicate: boolean; params: string[] }[];
  duplicates: number;
  agentConnectedAt: string | null;
  endedAt: string | null;
  script: { onSignal: boolean; agentAnswersAfterMs: number };
}

describe('simulator: Studio script profile and contact timeline', () => {
  const sim = useSimulator({ seed, now: () => now });
  beforeEach(async () => {
    await fetch(`${sim.current.url}/_sim/reset`, { method: 'POST' });
  });

  const send = async (token: string, contactId: string, p1: string): Promise<number> =>
    (
      await fetch(`${sim.current.url}/incontactapi/services/v30.0/interactions/${contactId}/signal`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ p1 }),
      })
    ).status;
  const timeline = async (contactId: string): Promise<Timeline> => (await (await fetch(`${sim.current.url}/_sim/contacts/${contactId}/timeline`)).json()) as Timeline;

  it('one signal: its Onsignal runs and the agent answers agentAnswersAfterMs later on the injected clock', async () => {
    const { access_token: token } = await passwordGrant(sim.current.url);
    const { contactId } = await createCall(sim.current.url);
    expect(await send(token, contactId, 'billing')).toBe(202);
    expect(await timeline(contactId)).toMatchObject({ signals: [{ onSignal: 'ran', interruptedBy: null, duplicate: false }], duplicates: 0, agentConnectedAt: null });
    const sentAt = now;
    now += 3_000;
    expect((await timeline(contactId)).agentConnectedAt).toBe(new Date(sentAt + 3_000).toISOString());
  });

  it('a duplicate within 2 s interrupts the first Onsignal and is counted; one 2 s later does not interrupt', async () => {
    const { access_token: token } = await passwordGrant(sim.current.url);
    const { contactId } = await createCall(sim.current.url);
    await send(token, contactId, 'billing');
    now += 1_999;
    await send(token, contactId, 'billing');
    now += 2_000;
    await send(token, contactId, 'other');
    const t = await timeline(contactId);
    expect(t.signals.map((s) => [s.onSignal, s.duplicate])).toEqual([
      ['interrupted', false],
      ['ran', true],
      ['ran', false],
    ]);
    expect(t.signals[0]?.interruptedBy).toBe(t.signals[1]?.signalId);
    expect(t.duplicates).toBe(1);
    expect(await (await fetch(`${sim.current.url}/_sim/duplicates`)).json()).toEqual({ total: 1, contacts: { [contactId]: 1 } });
  });

  it('a script without an Onsignal ignores signals: no agent; an ended contact gets no agent after its end', async () => {
    const other = await passwordGrant(sim.current.url, { id: OTHER.clientId, secret: OTHER.clientSecret }, { id: OTHER.accessKeyId, secret: OTHER.accessKeySecret });
    const ignored = await createCall(sim.current.url, { pseudoNumber: OTHER.pseudoNumber });
    expect(await send(other.access_token, ignored.contactId, 'x')).toBe(202);
    now += 60_000;
    expect(await timeline(ignored.contactId)).toMatchObject({ script: { onSignal: false }, signals: [{ onSignal: 'ignored' }], agentConnectedAt: null });

    const { access_token: token } = await passwordGrant(sim.current.url);
    const { contactId } = await createCall(sim.current.url);
    await send(token, contactId, 'x');
    now += 1_000;
    await fetch(`${sim.current.url}/_sim/contacts/${contactId}/end`, { method: 'POST' });
    now += 5_000;
    const t = await timeline(contactId);
    expect(t.agentConnectedAt).toBeNull();
    expect(t.endedAt).toBe(new Date(now - 5_000).toISOString());
    expect((await fetch(`${sim.current.url}/_sim/contacts/999/timeline`)).status).toBe(404);
  });

  it('refuses a script for a pseudo number the unit does not own', () => {
    expect(() => parseSeed({ ...TWO_UNIT_SEED, businessUnits: [{ tenantId: 't', businessUnit: '1', pseudoNumbers: ['+15550000001'], scripts: { '+15550000002': { onSignal: true } } }], apiClients: [], accessKeys: [] })).toThrow(
      /businessUnits\[0\]\.scripts\.\+15550000002: is not one of this unit's pseudoNumbers/,
    );
  });
});
