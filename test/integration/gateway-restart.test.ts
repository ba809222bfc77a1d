/**
 * Durability across a restart on the same PGlite data directory: handoffs survive, and a handoff
 * left PENDING by a gateway that was closed mid-attempt is finished by the next one.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { STACK_KEYS, startStack, type Stack } from '../helpers/stack.js';
import { BY_ID, settled, SIGNAL, signal, STATUS, type HandoffView } from './gateway-operations.js';

describe('gateway restart on the same data directory', () => {
  let stack: Stack;
  beforeAll(async () => {
    // signalContact answers after 200 ms; CXone will take 3 s to answer the first signal.
    stack = await startStack({ env: { SIGNAL_WAIT_MS: '200', SIGNAL_BUDGET_MS: '5000', CXONE_ATTEMPT_TIMEOUT_MS: '4000', WORKER_INTERVAL_MS: '100' } });
  });
  afterAll(async () => await stack?.close());

  it('keeps SIGNALED handoffs and finishes a PENDING one', async () => {
    const doneCall = await stack.sim.createCall();
    await signal(stack, { contactId: doneCall.contactId, params: ['before'] });
    // SIGNALED, whether within the 200 ms wait or (on a loaded machine) just after it.
    const done = await settled(stack, doneCall.contactId, STACK_KEYS.read);
    expect(done.state).toBe('SIGNALED');

    await stack.sim.addFault({ route: 'signal', kind: 'delay', delayMs: 3000, count: 1 });
    const slowCall = await stack.sim.createCall();
    const pending = await signal(stack, { contactId: slowCall.contactId, params: ['across', 'restart'] });
    expect(pending.state).toBe('PENDING');

    // Closing while CXone has not answered: the row stays PENDING for the next start.
    await stack.restartGateway();

    const kept = await stack.gql<{ handoff: HandoffView }>(BY_ID, { id: done.id }, STACK_KEYS.read);
    expect(kept.body.data?.handoff).toMatchObject({ id: done.id, state: 'SIGNALED', params: ['before'] });

    const finished = await settled(stack, slowCall.contactId, STACK_KEYS.read, 20_000);
    expect(finished).toMatchObject({ id: pending.id, state: 'SIGNALED', params: ['across', 'restart'] });
    const received = await stack.sim.signals(slowCall.contactId);
    // At least once towards CXone (docs/architecture.md, "Handoff lifecycle and the store"): the delayed first request may also have been recorded.
    expect(received.length).toBeGreaterThanOrEqual(1);
    expect(received.every((s) => JSON.stringify(s.params) === JSON.stringify(['across', 'restart']))).toBe(true);
  });

  it('close() lets an in-flight request finish, then refuses new connections', async () => {
    await stack.sim.addFault({ route: 'signal', kind: 'delay', delayMs: 150, count: 1 });
    const call = await stack.sim.createCall();
    const url = stack.gatewayUrl;
    const inFlight = stack.gql<{ signalContact: { handoff: HandoffView } }>(SIGNAL, { input: { contactId: call.contactId, params: ['in-flight'] } });
    // In flight: the gateway has stored the PENDING row and is waiting on CXone (held by the fault).
    await vi.waitFor(async () => expect((await stack.gql<{ handoffStatus: HandoffView | null }>(STATUS, { contactId: call.contactId }, STACK_KEYS.read)).body.data?.handoffStatus).toBeTruthy(), {
      timeout: 10_000,
      interval: 10,
    });
    await stack.stopGateway();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.body.data?.signalContact.handoff.params).toEqual(['in-flight']);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
