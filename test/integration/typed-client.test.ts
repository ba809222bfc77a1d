/**
 * The typed client (`src/client`) against the real gateway and simulator, the way a tool uses it:
 * `createGatewayClient` with the documents graphql-codegen generated from `schema.graphql`. Results
 * are typed by the documents (checked by `tsc`), and request errors arrive as `GatewayRequestError`
 * with the gateway's `extensions.code`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  createGatewayClient,
  GatewayRequestError,
  HandoffsDocument,
  HandoffStatusDocument,
  RegisterCallDocument,
  RetryHandoffDocument,
  SignalContactDocument,
  type GatewayClient,
  type HandoffState,
} from '../../src/client/index.js';
import { STACK_KEYS, startStack, type Stack } from '../helpers/stack.js';

describe('typed client (generated documents) against the gateway', () => {
  let stack: Stack;
  let agent: GatewayClient;
  let screenPop: GatewayClient;
  beforeAll(async () => {
    // A short retry budget, so a handoff that meets a CXone outage is FAILED within seconds, yet long
    // enough that a loaded machine's slow first exchange (token + signal) does not run out of it; the
    // wait outlasts the budget, so every answer carries the outcome.
    stack = await startStack({ env: { SIGNAL_WAIT_MS: '10000', SIGNAL_BUDGET_MS: '3000', CXONE_ATTEMPT_TIMEOUT_MS: '1000' } });
    agent = createGatewayClient({ url: stack.graphqlUrl, key: STACK_KEYS.signal });
    screenPop = createGatewayClient({ url: stack.graphqlUrl, key: STACK_KEYS.read });
  });
  afterAll(async () => await stack?.close());
  afterEach(async () => await stack.sim.clearFaults());

  it('registers a call, signals it, and reads it back as status and as a page of handoffs', async () => {
    const call = await stack.sim.createCall({ from: '+15557654321' });
    const { registerCall } = await agent.request(RegisterCallDocument, { sipInvite: call.invite });
    expect(registerCall).toMatchObject({ contactId: call.contactId, pseudoNumber: '+15550100001', sipCallId: call.callId });

    const { signalContact } = await agent.request(SignalContactDocument, {
      input: { contactId: call.contactId, params: ['billing', 'gold'], context: { intent: 'billing' } },
    });
    expectTypeOf(signalContact.handoff.state).toEqualTypeOf<HandoffState>();
    expect(signalContact.handoff).toMatchObject({
      contactId: call.contactId,
      state: 'SIGNALED',
      params: ['billing', 'gold'],
      context: { intent: 'billing' },
      attempts: 1,
      lastError: null,
    });

    const { handoffStatus } = await screenPop.request(HandoffStatusDocument, { contactId: call.contactId });
    expectTypeOf(handoffStatus).toBeNullable();
    expect(handoffStatus).toEqual({
      ...signalContact.handoff,
      call: { contactId: call.contactId, pseudoNumber: '+15550100001', from: expect.stringContaining('+15557654321'), sipCallId: call.callId, receivedAt: registerCall.receivedAt },
    });

    const { handoffs } = await screenPop.request(HandoffsDocument, { contactId: call.contactId, state: 'SIGNALED' });
    expect(handoffs.edges.map((edge) => edge.node)).toEqual([signalContact.handoff]);
    expect(handoffs.pageInfo.hasNextPage).toBe(false);
  });

  it('retries a handoff that ran out of retries during a CXone outage', async () => {
    await stack.sim.addFault({ route: 'signal', kind: 'status', status: 503 });
    const call = await stack.sim.createCall();
    const { signalContact } = await agent.request(SignalContactDocument, { input: { contactId: call.contactId, params: ['again'] } });
    expect(signalContact.handoff).toMatchObject({ state: 'FAILED', lastError: { code: 'RETRIES_EXHAUSTED' } });

    await stack.sim.clearFaults();
    const { retryHandoff } = await agent.request(RetryHandoffDocument, { id: signalContact.handoff.id });
    expect(retryHandoff.handoff).toMatchObject({ id: signalContact.handoff.id, state: 'SIGNALED', params: ['again'], lastError: null });
  });

  it.each([
    { name: 'a read key calling a mutation', key: STACK_KEYS.read, code: 'FORBIDDEN', status: 403 },
    { name: 'an unknown key', key: 'not-a-key', code: 'UNAUTHENTICATED', status: 401 },
  ])('rejects $name with GatewayRequestError code $code', async ({ key, code, status }) => {
    const call = await stack.sim.createCall();
    const attempt = agent.request(SignalContactDocument, { input: { contactId: call.contactId } }, { key });
    await expect(attempt).rejects.toBeInstanceOf(GatewayRequestError);
    await expect(attempt).rejects.toMatchObject({ code, status });
    expect(await stack.sim.signals(call.contactId)).toEqual([]);
  });

  it('rejects invalid input with BAD_USER_INPUT naming the field', async () => {
    const attempt = agent.request(SignalContactDocument, { input: { contactId: 'not-digits' } });
    await expect(attempt).rejects.toMatchObject({ code: 'BAD_USER_INPUT', errors: [{ extensions: { field: 'input.contactId' } }] });
  });
});
