/**
 * The `handoffChanged` subscription across replicas: two gateways on one PostgreSQL database. A
 * change made through one gateway reaches a subscriber of the other through LISTEN/NOTIFY, as the
 * exact committed versions (PENDING, then SIGNALED) and exactly once, also on the replica that made
 * it; the LISTEN connection comes back after the server cuts it.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../src/common/logger.js';
import { startGateway, type RunningGateway } from '../../src/main.js';
import { LISTENER_APPLICATION_NAME } from '../../src/store/handoff-notifications.js';
import { STACK_KEYS, startStack, type Stack } from '../helpers/stack.js';
import { type ChangedHandoff, subscribe, type Subscriber, waitForSubscriptions } from '../helpers/subscriptions.js';
import { SIGNAL } from './gateway-operations.js';

type Changed = { handoffChanged: ChangedHandoff };

describe('handoffChanged subscription (PostgreSQL, two gateways)', () => {
  let stack: Stack;
  let gatewayB: RunningGateway;
  const open: Subscriber<Changed>[] = [];
  const track = (subscriber: Subscriber<Changed>): Subscriber<Changed> => {
    open.push(subscriber);
    return subscriber;
  };

  beforeAll(async () => {
    stack = await startStack({ store: 'postgres', postgresUrl: inject('postgresUrl') });
    gatewayB = await startGateway(stack.config, { log: createLogger({ level: 'silent' }) });
  });
  afterAll(async () => {
    await Promise.all(open.splice(0).map((s) => s.dispose()));
    await gatewayB?.close();
    await stack?.close();
  });

  const signalThrough = async (gateway: RunningGateway, contactId: string) => {
    const res = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${STACK_KEYS.signal}` },
      body: JSON.stringify({ query: SIGNAL, variables: { input: { contactId, params: ['queue-9'], context: { lang: 'de' } } } }),
    });
    const body = (await res.json()) as { data?: { signalContact: { handoff: ChangedHandoff } }; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    const handoff = body.data?.signalContact.handoff;
    if (!handoff) throw new Error('signalContact returned no handoff');
    return handoff;
  };

  it('delivers to a subscriber of gateway A the change made through gateway B, once per committed version', async () => {
    const { contactId } = await stack.sim.createCall();
    const onA = track(subscribe<Changed>(stack.gatewayUrl, STACK_KEYS.read, undefined, { contactId }));
    const onB = track(subscribe<Changed>(gatewayB.url, STACK_KEYS.read));
    await waitForSubscriptions(stack.gateway, 1);
    await waitForSubscriptions(gatewayB, 1);

    const handoff = await signalThrough(gatewayB, contactId);
    expect(handoff.state).toBe('SIGNALED');

    const [pending, signaled] = (await onA.take(2)).map((e) => e.handoffChanged);
    expect(pending).toMatchObject({ id: handoff.id, contactId, state: 'PENDING', params: ['queue-9'], context: { lang: 'de' }, attempts: 0, signaledAt: null });
    expect(signaled).toMatchObject({ id: handoff.id, contactId, state: 'SIGNALED', attempts: 1, lastError: null, signaledAt: handoff.signaledAt });
    expect(signaled?.updatedAt).toBe(handoff.updatedAt);

    // The replica that made the change delivers it from NOTIFY only: a second handoff's events
    // arriving after it on the same socket show the first one was not delivered twice.
    const { contactId: later } = await stack.sim.createCall();
    await signalThrough(gatewayB, later);
    const onBEvents = (await onB.take(4)).map((e) => [e.handoffChanged.contactId, e.handoffChanged.state]);
    expect(onBEvents).toEqual([
      [contactId, 'PENDING'],
      [contactId, 'SIGNALED'],
      [later, 'PENDING'],
      [later, 'SIGNALED'],
    ]);
    expect(onA.received).toHaveLength(2);
  });

  it('reconnects its LISTEN connection after the server cuts it, and delivers again', async () => {
    const admin = new pg.Client({ connectionString: stack.gatewayEnv().DATABASE_URL });
    await admin.connect();
    try {
      const listeners = async (): Promise<number[]> =>
        (
          // Listening: the connection's last statement was the LISTEN and it has finished.
          await admin.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity
             WHERE application_name = $1 AND datname = current_database() AND state = 'idle' AND query LIKE 'LISTEN %'`,
            [LISTENER_APPLICATION_NAME],
          )
        ).rows.map((r) => r.pid);
      const before = await listeners();
      expect(before).toHaveLength(2);
      await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [before]);

      const deadline = Date.now() + 5_000;
      let after: number[] = [];
      while (Date.now() < deadline) {
        after = (await listeners()).filter((pid) => !before.includes(pid));
        if (after.length === 2) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(after).toHaveLength(2);
    } finally {
      await admin.end();
    }

    const { contactId } = await stack.sim.createCall();
    const onA = track(subscribe<Changed>(stack.gatewayUrl, STACK_KEYS.read, undefined, { contactId }));
    await waitForSubscriptions(stack.gateway, 2);
    await signalThrough(gatewayB, contactId);
    expect((await onA.take(2)).map((e) => e.handoffChanged.state)).toEqual(['PENDING', 'SIGNALED']);
  });
});
