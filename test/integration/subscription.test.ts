/**
 * The `handoffChanged` subscription over graphql-ws on the gateway's own port, embedded store: a
 * subscriber sees each committed change of its tenant's handoffs (PENDING, then the outcome), for one
 * contact or all; another tenant sees nothing; a connection without a valid key is refused with 4401;
 * only subscriptions are served over the socket; close() ends connections promptly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack, type StackTenant } from '../helpers/stack.js';
import { type ChangedHandoff, subscribe, type Subscriber, waitForSubscriptions } from '../helpers/subscriptions.js';
import { SIGNAL } from './gateway-operations.js';
import { ACME, GLOBEX, TWO_TENANT_SEED as seed } from '../helpers/two-tenants.js';

type Changed = { handoffChanged: ChangedHandoff };

describe('handoffChanged subscription (embedded store)', () => {
  let stack: Stack;
  const open: Subscriber<unknown>[] = [];
  const track = <T>(subscriber: Subscriber<T>): Subscriber<T> => {
    open.push(subscriber as Subscriber<unknown>);
    return subscriber;
  };
  const disposeAll = async (): Promise<void> => {
    await Promise.all(open.splice(0).map((s) => s.dispose()));
  };

  beforeAll(async () => {
    stack = await startStack({ tenants: [ACME, GLOBEX], simulator: { seed } });
  });
  afterAll(async () => {
    await disposeAll();
    await stack?.close();
  });

  const call = async (tenant: StackTenant): Promise<string> => (await stack.sim.createCall({ pseudoNumber: tenant.pseudoNumbers[0] })).contactId;
  const signal = async (tenant: StackTenant, contactId: string, params: string[] = ['queue-7']) => {
    const res = await stack.gql<{ signalContact: { handoff: ChangedHandoff } }>(SIGNAL, { input: { contactId, params, context: { intent: 'billing' } } }, tenant.keys.signal);
    expect(res.body.errors).toBeUndefined();
    return res.body.data?.signalContact.handoff;
  };

  it("delivers PENDING then SIGNALED for a signalContact on the subscriber's contact, with params and context", async () => {
    const contactId = await call(ACME);
    const sub = track(subscribe<Changed>(stack.gatewayUrl, ACME.keys.read ?? '', undefined, { contactId }));
    await waitForSubscriptions(stack.gateway, 1);

    const handoff = await signal(ACME, contactId, ['queue-7', 'vip']);
    expect(handoff?.state).toBe('SIGNALED');

    const [pending, signaled] = (await sub.take(2)).map((e) => e.handoffChanged);
    expect(pending).toMatchObject({ id: handoff?.id, contactId, state: 'PENDING', params: ['queue-7', 'vip'], context: { intent: 'billing' }, attempts: 0, lastError: null, signaledAt: null });
    expect(signaled).toMatchObject({ id: handoff?.id, contactId, state: 'SIGNALED', attempts: 1, lastError: null });
    expect(signaled?.signaledAt).toBe(handoff?.signaledAt);
    expect(await stack.sim.signals(contactId)).toHaveLength(1);
    await disposeAll();
    await waitForSubscriptions(stack.gateway, 0);
  });

  it('filters by contactId, and without one delivers every handoff of the tenant; signal keys may subscribe too', async () => {
    const [first, second] = [await call(ACME), await call(ACME)];
    const onSecond = track(subscribe<Changed>(stack.gatewayUrl, ACME.keys.read ?? '', undefined, { contactId: second }));
    const all = track(subscribe<Changed>(stack.gatewayUrl, ACME.keys.signal ?? '', undefined, { contactId: null }));
    await waitForSubscriptions(stack.gateway, 2);

    await signal(ACME, first);
    await signal(ACME, second);

    // One socket delivers in publish order: had the filter let `first` through, it would come first.
    expect((await onSecond.take(2)).map((e) => [e.handoffChanged.contactId, e.handoffChanged.state])).toEqual([
      [second, 'PENDING'],
      [second, 'SIGNALED'],
    ]);
    expect((await all.take(4)).map((e) => [e.handoffChanged.contactId, e.handoffChanged.state])).toEqual([
      [first, 'PENDING'],
      [first, 'SIGNALED'],
      [second, 'PENDING'],
      [second, 'SIGNALED'],
    ]);
    await disposeAll();
    await waitForSubscriptions(stack.gateway, 0);
  });

  it("never delivers another tenant's handoffs, even for the same contact id", async () => {
    const acmeContact = await call(ACME);
    const globexContact = await call(GLOBEX);
    const globexAll = track(subscribe<Changed>(stack.gatewayUrl, GLOBEX.keys.read ?? ''));
    const globexOnAcmeContact = track(subscribe<Changed>(stack.gatewayUrl, GLOBEX.keys.read ?? '', undefined, { contactId: acmeContact }));
    await waitForSubscriptions(stack.gateway, 2);

    await signal(ACME, acmeContact);
    await signal(GLOBEX, globexContact);

    expect((await globexAll.take(2)).map((e) => e.handoffChanged.contactId)).toEqual([globexContact, globexContact]);
    expect(globexAll.received).toHaveLength(2);
    // Acme's changes went out before Globex's second one arrived on this connection's sibling.
    expect(globexOnAcmeContact.received).toEqual([]);
    await disposeAll();
    await waitForSubscriptions(stack.gateway, 0);
  });

  it.each([
    { name: 'no connectionParams', key: null, reason: /Authorization/ },
    { name: 'an unknown key', key: 'not-a-key', reason: /Unknown API key/ },
    { name: 'a value that is not Bearer', key: { Authorization: 'Basic abc' }, reason: /Bearer/ },
    { name: 'a value that is not a string', key: { authorization: 42 }, reason: /string/ },
  ])('refuses a connection with $name: close code 4401', async ({ key, reason }) => {
    const sub = track(subscribe(stack.gatewayUrl, key));
    const end = await sub.ended();
    expect(end).toMatchObject({ kind: 'closed', code: 4401 });
    expect(end.kind === 'closed' ? end.reason : '').toMatch(reason);
    await waitForSubscriptions(stack.gateway, 0);
  });

  it.each([
    { name: 'a query', query: '{ handoffStatus(contactId: "1") { id } }', variables: {}, code: 'BAD_REQUEST' },
    { name: 'a malformed contactId', query: undefined, variables: { contactId: 'abc' }, code: 'BAD_USER_INPUT' },
    { name: 'an unknown field', query: 'subscription { handoffChanged { nope } }', variables: {}, code: 'GRAPHQL_VALIDATION_FAILED' },
    { name: 'text that is not GraphQL', query: 'subscription {', variables: {}, code: 'GRAPHQL_PARSE_FAILED' },
  ])('answers $name with $code and keeps the connection', async ({ query, variables, code }) => {
    const sub = track(subscribe(stack.gatewayUrl, ACME.keys.read ?? '', query, variables));
    const end = await sub.ended();
    expect(end.kind).toBe('errors');
    const errors = end.kind === 'errors' ? end.errors : [];
    expect(errors[0]?.extensions?.code).toBe(code);
    expect(errors[0]?.extensions).not.toHaveProperty('http');
    await disposeAll();
  });

  it('refuses a subscription sent over HTTP POST with a clear error', async () => {
    const res = await stack.gql('subscription { handoffChanged { id } }', {}, ACME.keys.read ?? '');
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(res.body.errors?.[0]?.message).toMatch(/WebSocket/);
  });

  it('close() ends open connections with 1001 instead of waiting for them', async () => {
    const sub = track(subscribe<Changed>(stack.gatewayUrl, ACME.keys.read ?? ''));
    await waitForSubscriptions(stack.gateway, 1);
    await stack.stopGateway();
    // 1001 (going away) is the gateway closing the socket itself; a close that waited for the client
    // would end it after the shutdown timeout with 1006 (abnormal) instead. The wait only bounds a hang.
    expect(await sub.ended(10_000)).toMatchObject({ kind: 'closed', code: 1001 });
  });
});
