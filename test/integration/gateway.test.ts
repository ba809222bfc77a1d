/**
 * The gateway end to end, against the real simulator over HTTP, on both stores: a call registered
 * from the simulator's INVITE, a signal that reaches CXone with the exact params, and what a
 * screen-pop tool then reads.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_CONTEXT } from '../../simulator/index.js';
import { STACK_KEYS, startStack, type Stack } from '../helpers/stack.js';
import { BY_ID, LIST, REGISTER, signal, STATUS, type HandoffView } from './gateway-operations.js';

describe.each(['pglite', 'postgres'] as const)('gateway happy path (%s store)', (store) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ store, postgresUrl: inject('postgresUrl') });
  });
  afterAll(async () => await stack?.close());

  it('registers the call, signals the contact with the exact params, and shows both to a read key', async () => {
    const call = await stack.sim.createCall({ from: '+15557654321' });
    const registered = await stack.gql(REGISTER, { sipInvite: call.invite });
    expect(registered.status).toBe(200);
    expect(registered.body.data).toEqual({
      registerCall: {
        contactId: call.contactId,
        pseudoNumber: '+15550100001',
        from: expect.stringContaining('+15557654321'),
        sipCallId: call.callId,
        receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    });

    const params = ['billing', 'gold tier', 'ünïcode ✓', 'a&b=c?d', '', 'p6', 'p7', 'p8', 'p9'];
    const context = { intent: 'billing', transcript: ['hi', 'I want to pay'], score: 0.92 };
    const handoff = await signal(stack, { contactId: call.contactId, params, context, idempotencyKey: `happy-${call.contactId}` });
    expect(handoff).toMatchObject({ contactId: call.contactId, state: 'SIGNALED', params, context, attempts: 1, lastError: null });
    expect(handoff.signaledAt).not.toBeNull();
    expect(handoff.call).toMatchObject({ contactId: call.contactId, sipCallId: call.callId });

    const received = await stack.sim.signals(call.contactId);
    expect(received).toHaveLength(1);
    expect(received[0]?.params).toEqual(params);

    const status = await stack.gql<{ handoffStatus: HandoffView }>(STATUS, { contactId: call.contactId }, STACK_KEYS.read);
    expect(status.body.data?.handoffStatus).toEqual(handoff);
    const byId = await stack.gql<{ handoff: HandoffView }>(BY_ID, { id: handoff.id }, STACK_KEYS.read);
    expect(byId.body.data?.handoff).toEqual(handoff);
    const list = await stack.gql(LIST, { contactId: call.contactId }, STACK_KEYS.read);
    expect(list.body.data).toEqual({
      handoffs: { edges: [{ cursor: expect.any(String), node: { id: handoff.id, contactId: call.contactId, state: 'SIGNALED' } }], pageInfo: { hasNextPage: false, endCursor: expect.any(String) } },
    });
  });

  it('exposes Prometheus metrics for GraphQL requests and CXone exchanges', async () => {
    const res = await fetch(`${stack.gatewayUrl}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^cxgw_graphql_requests_total\{operation="signalContact",outcome="ok"\} [1-9]/m);
    expect(text).toMatch(/^cxgw_cxone_requests_total\{kind="signal",status="2\d\d"\} [1-9]/m);
    expect(text).toMatch(/^cxgw_cxone_token_fetches_total [1-9]/m);
    expect(text).toMatch(/^cxgw_handoff_transitions_total\{state="PENDING"\} 1$/m);
    expect(text).toMatch(/^cxgw_handoff_transitions_total\{state="SIGNALED"\} 1$/m);
  });

  it('answers the probes', async () => {
    const health = await fetch(`${stack.gatewayUrl}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await fetch(`${stack.gatewayUrl}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
  });

  // Issue 12 §2. After the metrics test, which counts this suite's handoffs.
  const REGISTER_CXONE = /* GraphQL */ `
    mutation Register($sipInvite: String!) { registerCall(sipInvite: $sipInvite) { contactId masterContactId cxoneContext warnings } }
  `;
  const masterOf = async (contactId: string): Promise<string> =>
    ((await (await fetch(`${stack.simulatorUrl}/_sim/contacts/${contactId}`)).json()) as { masterContactId: string }).masterContactId;

  it("records the spawned contact id, its master and CXone's JSON context from the simulator's INVITE", async () => {
    const call = await stack.sim.createCall();
    const master = await masterOf(call.contactId);
    expect(master).not.toBe(call.contactId);
    const registered = await stack.gql(REGISTER_CXONE, { sipInvite: call.invite });
    expect(registered.body).toEqual({
      data: { registerCall: { contactId: call.contactId, masterContactId: master, cxoneContext: { ...DEMO_CONTEXT }, warnings: [] } },
    });
  });

  it('keeps the call when one context header is bad JSON: that context is null and a warning names the header', async () => {
    const call = await stack.sim.createCall();
    const invite = call.invite.replace(/\r\nX-CXone-Custom: [^\r]*\r\n/, '\r\nX-CXone-Custom: {"ivaParams": "unterminated\r\n');
    expect(invite).not.toBe(call.invite);
    const registered = await stack.gql(REGISTER_CXONE, { sipInvite: invite });
    expect(registered.status).toBe(200);
    const kept = {
      masterContactId: await masterOf(call.contactId),
      cxoneContext: { standard: DEMO_CONTEXT.standard, custom: null, extended: DEMO_CONTEXT.extended },
      warnings: ['X-CXone-Custom: not valid JSON; its context is left null.'],
    };
    expect(registered.body).toEqual({ data: { registerCall: { contactId: call.contactId, ...kept } } });

    // The call is there for the handoff, and the spawned contact is the one CXone gets the signal for.
    const handoff = await signal(stack, { contactId: call.contactId, params: ['billing'] });
    expect(handoff).toMatchObject({ state: 'SIGNALED', call: { contactId: call.contactId } });
    const status = await stack.gql<{ handoffStatus: { call: unknown } }>(
      'query S($c: String!) { handoffStatus(contactId: $c) { call { masterContactId cxoneContext warnings } } }',
      { c: call.contactId },
      STACK_KEYS.read,
    );
    expect(status.body.data?.handoffStatus.call).toEqual(kept);
    expect(await stack.sim.signals(call.contactId)).toHaveLength(1);
  });
});
