/**
 * What happens at CXone is data: each simulator fault ends in the handoff's `state` and
 * `lastError.code` (docs/architecture.md, "Errors"), and `retryHandoff` re-runs a FAILED handoff with a retryable cause.
 * Short budgets keep the suite quick: one attempt may take 1 s, a handoff 3 s (any shorter and a
 * loaded machine's slow exchanges, not the faults, decide some outcomes).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.js';
import { firstError, RETRY, settled, signal, STATUS, type HandoffView } from './gateway-operations.js';

/** Signals a new contact on the simulator and waits for the handoff to leave PENDING. */
async function signalNewContact(stack: Stack, params: string[] = ['p1']): Promise<HandoffView> {
  const call = await stack.sim.createCall();
  const handoff = await signal(stack, { contactId: call.contactId, params });
  return handoff.state === 'PENDING' ? await settled(stack, call.contactId) : handoff;
}

describe('gateway against CXone faults', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: { SIGNAL_WAIT_MS: '10000', SIGNAL_BUDGET_MS: '3000', CXONE_ATTEMPT_TIMEOUT_MS: '1000', WORKER_INTERVAL_MS: '100' },
    });
  });
  afterAll(async () => await stack?.close());
  afterEach(async () => await stack.sim.clearFaults());

  // First, while the gateway holds no token yet: the token endpoint refuses the credentials.
  it('token endpoint 401 → FAILED, CXONE_AUTH_FAILED', async () => {
    await stack.sim.addFault({ route: 'token', kind: 'status', status: 401, count: 5 });
    const handoff = await signalNewContact(stack);
    expect(handoff).toMatchObject({ state: 'FAILED', lastError: { code: 'CXONE_AUTH_FAILED', upstreamStatus: 401 } });
  });

  it('a contact that ended (404) → FAILED, CXONE_CONTACT_NOT_FOUND', async () => {
    const call = await stack.sim.createCall();
    await stack.sim.endContact(call.contactId);
    const handoff = await signal(stack, { contactId: call.contactId, params: ['x'] });
    expect(handoff).toMatchObject({ state: 'FAILED', attempts: 1, lastError: { code: 'CXONE_CONTACT_NOT_FOUND', upstreamStatus: 404 } });
  });

  it('400 → FAILED, CXONE_BAD_REQUEST', async () => {
    await stack.sim.addFault({ route: 'signal', kind: 'status', status: 400, count: 1 });
    expect(await signalNewContact(stack)).toMatchObject({ state: 'FAILED', lastError: { code: 'CXONE_BAD_REQUEST', upstreamStatus: 400 } });
  });

  it.each([401, 403])('%i from the Signal API, also after a fresh token → FAILED, CXONE_AUTH_FAILED', async (status) => {
    await stack.sim.addFault({ route: 'signal', kind: 'status', status, count: 5 });
    expect(await signalNewContact(stack)).toMatchObject({ state: 'FAILED', lastError: { code: 'CXONE_AUTH_FAILED', upstreamStatus: status } });
  });

  /**
   * Signals a new contact while polling its status, and returns the final handoff with the
   * `lastError.code`s seen while it was PENDING (the transient causes the retries went through).
   */
  async function signalWatchingRetries(): Promise<{ final: HandoffView; seenWhilePending: Set<string> }> {
    const call = await stack.sim.createCall();
    const seenWhilePending = new Set<string>();
    let done = false;
    const signalling = signal(stack, { contactId: call.contactId, params: ['p1'] }).finally(() => {
      done = true;
    });
    while (!done) {
      const res = await stack.gql<{ handoffStatus: HandoffView | null }>(STATUS, { contactId: call.contactId });
      const h = res.body.data?.handoffStatus;
      if (h?.state === 'PENDING' && h.lastError) seenWhilePending.add(h.lastError.code);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    const returned = await signalling;
    return { final: returned.state === 'PENDING' ? await settled(stack, call.contactId) : returned, seenWhilePending };
  }

  it('503 until the budget is spent → CXONE_UNAVAILABLE while retrying, then FAILED, RETRIES_EXHAUSTED', async () => {
    await stack.sim.addFault({ route: 'signal', kind: 'status', status: 503 });
    const { final, seenWhilePending } = await signalWatchingRetries();
    expect([...seenWhilePending]).toEqual(['CXONE_UNAVAILABLE']);
    expect(final).toMatchObject({ state: 'FAILED', lastError: { code: 'RETRIES_EXHAUSTED', upstreamStatus: 503 } });
    expect(final.attempts).toBeGreaterThan(1);
  });

  it('429 until the budget is spent → CXONE_THROTTLED while retrying, then FAILED, RETRIES_EXHAUSTED', async () => {
    await stack.sim.addFault({ route: 'signal', kind: 'status', status: 429, headers: { 'Retry-After': '0' } });
    const { final, seenWhilePending } = await signalWatchingRetries();
    expect([...seenWhilePending]).toEqual(['CXONE_THROTTLED']);
    expect(final).toMatchObject({ state: 'FAILED', lastError: { code: 'RETRIES_EXHAUSTED', upstreamStatus: 429 } });
  });

  it('answers slower than CXONE_ATTEMPT_TIMEOUT_MS → CXONE_TIMEOUT while retrying, then FAILED CXONE_TIMEOUT', async () => {
    await stack.sim.addFault({ route: 'signal', kind: 'delay', delayMs: 2000 });
    const { final, seenWhilePending } = await signalWatchingRetries();
    expect([...seenWhilePending]).toEqual(['CXONE_TIMEOUT']);
    // A persistently slow CXone is reported as slow, not as "kept failing" (signal-outcome.ts).
    expect(final).toMatchObject({ state: 'FAILED', lastError: { code: 'CXONE_TIMEOUT' } });
  });

  it('two 503s, then success → SIGNALED after 3 attempts, one signal at CXone', async () => {
    await stack.sim.addFault({ route: 'signal', kind: 'status', status: 503, count: 2 });
    const handoff = await signalNewContact(stack, ['retry-me']);
    expect(handoff).toMatchObject({ state: 'SIGNALED', attempts: 3 });
    const received = await stack.sim.signals(handoff.contactId);
    expect(received.map((s) => s.params)).toEqual([['retry-me']]);
  });

  it('retryHandoff re-runs a handoff that ran out of retries, and refuses one whose contact is gone', async () => {
    await stack.sim.addFault({ route: 'signal', kind: 'status', status: 503 });
    const failed = await signalNewContact(stack, ['again']);
    expect(failed.lastError?.code).toBe('RETRIES_EXHAUSTED');
    await stack.sim.clearFaults();

    const res = await stack.gql<{ retryHandoff: { handoff: HandoffView } }>(RETRY, { id: failed.id });
    const retried = res.body.data?.retryHandoff.handoff;
    const final = retried?.state === 'PENDING' ? await settled(stack, failed.contactId) : retried;
    expect(final).toMatchObject({ id: failed.id, state: 'SIGNALED', params: ['again'] });
    expect((await stack.sim.signals(failed.contactId)).map((s) => s.params)).toEqual([['again']]);

    const call = await stack.sim.createCall();
    await stack.sim.endContact(call.contactId);
    const gone = await signal(stack, { contactId: call.contactId });
    const refused = await stack.gql(RETRY, { id: gone.id });
    expect(firstError(refused)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  });
});

describe('gateway with a signal budget longer than the CXone client default (8 s)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: { SIGNAL_WAIT_MS: '15000', SIGNAL_BUDGET_MS: '12000', CXONE_ATTEMPT_TIMEOUT_MS: '11000', WORKER_INTERVAL_MS: '100' },
    });
  });
  afterAll(async () => await stack?.close());

  // Before the client's cap followed SIGNAL_BUDGET_MS, the call was cut at 8 s and the handoff ended
  // FAILED CXONE_TIMEOUT with 4 s of its budget left (a crash-recovery run beside a CPU hog met it).
  it('waits for a CXone answer up to CXONE_ATTEMPT_TIMEOUT_MS, past 8 s: one try, one signal at CXone', { timeout: 30_000 }, async () => {
    await stack.sim.addFault({ route: 'signal', kind: 'delay', delayMs: 8500, count: 1 });
    const handoff = await signalNewContact(stack, ['patient']);
    expect(handoff).toMatchObject({ state: 'SIGNALED', attempts: 1 });
    expect(await stack.sim.signals(handoff.contactId)).toHaveLength(1);
  });
});
