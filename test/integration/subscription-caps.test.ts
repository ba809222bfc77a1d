/**
 * The bounds of the graphql-ws transport (issue 13, defects 2 and 4): subscriptions per connection,
 * per API key, per tenant and in total (TOO_MANY_SUBSCRIPTIONS, the connection stays open),
 * connections in total, per tenant and per key (closed with 1013), and a subscriber that stops reading (closed with 4008 once its
 * unsent bytes would pass MAX_SUBSCRIBER_BUFFER_BYTES; the server's queued bytes never pass it).
 */
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startStack, type Stack } from '../helpers/stack.js';
import { type Connection, connect, gauge, subscribe, type Subscriber, waitForSubscriptions } from '../helpers/subscriptions.js';
import { ACME, GLOBEX, TWO_TENANT_SEED as seed } from '../helpers/two-tenants.js';
import { SIGNAL } from './gateway-operations.js';

const key = (k: string | undefined): string => k ?? '';

async function waitForGauge(stack: Stack, name: string, value: number): Promise<void> {
  for (let i = 0; i < 500 && (await gauge(stack.gateway, name)) !== value; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(await gauge(stack.gateway, name)).toBe(value);
}

const refusals = async (stack: Stack, reason: string): Promise<number> => await gauge(stack.gateway, 'cxgw_websocket_refusals_total', { reason });

async function expectTooMany(sub: Subscriber<unknown>, setting: RegExp): Promise<void> {
  const end = await sub.ended();
  expect(end.kind).toBe('errors');
  const error = end.kind === 'errors' ? end.errors[0] : undefined;
  expect(error?.extensions).toEqual({ code: 'TOO_MANY_SUBSCRIPTIONS' });
  expect(error?.message).toMatch(setting);
}

describe('subscription and connection caps', () => {
  let stack: Stack;
  const connections: Connection[] = [];
  const open = (k: string | undefined): Connection => {
    const c = connect(stack.gatewayUrl, key(k));
    connections.push(c);
    return c;
  };

  beforeAll(async () => {
    stack = await startStack({
      tenants: [ACME, GLOBEX],
      simulator: { seed },
      env: {
        MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
        MAX_SUBSCRIPTIONS_PER_KEY: '3',
        MAX_SUBSCRIPTIONS_PER_TENANT: '4',
        MAX_SUBSCRIPTIONS: '5',
        MAX_WEBSOCKET_CONNECTIONS: '4',
        MAX_WEBSOCKET_CONNECTIONS_PER_KEY: '2',
        MAX_WEBSOCKET_CONNECTIONS_PER_TENANT: '3',
      },
    });
  });
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((c) => c.dispose()));
    await waitForGauge(stack, 'cxgw_websocket_connections', 0);
    await waitForSubscriptions(stack.gateway, 0);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('refuses a subscription over the per-connection, per-key, per-tenant and total caps with TOO_MANY_SUBSCRIPTIONS, keeping the connection', async () => {
    const first = open(ACME.keys.read);
    const [a] = [first.subscribe(), first.subscribe()];
    await waitForSubscriptions(stack.gateway, 2);
    await expectTooMany(first.subscribe(), /MAX_SUBSCRIPTIONS_PER_CONNECTION/);

    // The connection is still open, and a freed slot can be used again.
    await a?.dispose();
    await waitForSubscriptions(stack.gateway, 1);
    first.subscribe();
    await waitForSubscriptions(stack.gateway, 2);

    const second = open(ACME.keys.read);
    second.subscribe();
    await waitForSubscriptions(stack.gateway, 3);
    await expectTooMany(second.subscribe(), /MAX_SUBSCRIPTIONS_PER_KEY/);

    // Another key of the tenant has its own count, up to the tenant's.
    const third = open(ACME.keys.signal);
    third.subscribe();
    await waitForSubscriptions(stack.gateway, 4);
    await expectTooMany(third.subscribe(), /MAX_SUBSCRIPTIONS_PER_TENANT/);

    // Another tenant still gets a place, up to the gateway's total.
    const globex = open(GLOBEX.keys.read);
    globex.subscribe();
    await waitForSubscriptions(stack.gateway, 5);
    await expectTooMany(globex.subscribe(), /\(MAX_SUBSCRIPTIONS\)/);

    for (const reason of ['subscriptions_per_connection', 'subscriptions_per_key', 'subscriptions_per_tenant', 'subscriptions']) {
      expect(await refusals(stack, reason), reason).toBe(1);
    }
  });

  it('closes a connection over the per-key, per-tenant and total connection caps with 1013', async () => {
    const [one, two] = [open(ACME.keys.read), open(ACME.keys.read)];
    one.subscribe();
    two.subscribe();
    await waitForSubscriptions(stack.gateway, 2);
    expect(await open(ACME.keys.read).closed()).toEqual({ code: 1013, reason: expect.stringMatching(/MAX_WEBSOCKET_CONNECTIONS_PER_KEY/) as unknown });
    await waitForGauge(stack, 'cxgw_websocket_connections', 2);

    open(ACME.keys.signal).subscribe();
    await waitForSubscriptions(stack.gateway, 3);
    expect(await open(ACME.keys.signal).closed()).toEqual({ code: 1013, reason: expect.stringMatching(/MAX_WEBSOCKET_CONNECTIONS_PER_TENANT/) as unknown });
    await waitForGauge(stack, 'cxgw_websocket_connections', 3);

    open(GLOBEX.keys.read).subscribe();
    await waitForSubscriptions(stack.gateway, 4);
    expect(await open(GLOBEX.keys.read).closed()).toEqual({ code: 1013, reason: expect.stringMatching(/\(MAX_WEBSOCKET_CONNECTIONS\)/) as unknown });

    // A closed connection frees its place.
    await one.dispose();
    await waitForGauge(stack, 'cxgw_websocket_connections', 3);
    open(GLOBEX.keys.read).subscribe();
    await waitForSubscriptions(stack.gateway, 4);

    for (const reason of ['connections_per_key', 'connections_per_tenant', 'connections']) {
      expect(await refusals(stack, reason), reason).toBe(1);
    }
  });
});

describe('a subscriber that stops reading (default limits)', () => {
  let stack: Stack;
  const LIMIT = 1_048_576;
  const CONTEXT = { blob: 'x'.repeat(16_000) };
  const aliases = (n: number, field: string): string => Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ');
  // 16 copies of a 16 KB context: ≈256 KB per event, within every operation limit.
  const HEAVY = `subscription { handoffChanged { id context ${aliases(15, 'context')} } }`;

  beforeAll(async () => {
    stack = await startStack({ tenants: [ACME, GLOBEX], simulator: { seed } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('is closed with 4008 once its unsent bytes would pass MAX_SUBSCRIBER_BUFFER_BYTES; what the server queues stays under it', async () => {
    const slow = new WebSocket(`${stack.gatewayUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    await once(slow, 'open');
    slow.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${key(ACME.keys.read)}` } }));
    const [ack] = (await once(slow, 'message')) as [Buffer];
    expect(JSON.parse(ack.toString())).toEqual({ type: 'connection_ack' });
    for (let id = 0; id < 10; id += 1) slow.send(JSON.stringify({ id: String(id), type: 'subscribe', payload: { query: HEAVY } }));
    // A subscriber that reads, of the same tenant: it keeps receiving.
    const reader: Subscriber<{ handoffChanged: { id: string; state: string } }> = subscribe(stack.gatewayUrl, key(ACME.keys.read), 'subscription { handoffChanged { id state } }');
    await waitForSubscriptions(stack.gateway, 11);

    let bytesRead = 0;
    slow.on('message', (data: Buffer) => {
      bytesRead += data.length;
    });
    (slow as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();

    const { contactId } = await stack.sim.createCall({ pseudoNumber: ACME.pseudoNumbers[0] });
    let signals = 0;
    // Each signal is 2 events x 10 subscriptions x ≈256 KB; the kernel's socket buffers take some first.
    while ((await refusals(stack, 'slow_consumer')) === 0 && signals < 40) {
      const res = await stack.gql(SIGNAL, { input: { contactId, params: [`s${signals}`], context: CONTEXT } }, key(ACME.keys.signal));
      expect(res.body.errors).toBeUndefined();
      signals += 1;
    }
    expect(await refusals(stack, 'slow_consumer')).toBe(1);
    // Its subscriptions end at once (no event is executed for it any more), while it still does not read.
    await waitForSubscriptions(stack.gateway, 1);

    // Nothing more is queued for it: its unsent bytes stay under the limit (plus the close frame).
    const queued = await gauge(stack.gateway, 'cxgw_websocket_buffered_bytes');
    expect(queued).toBeGreaterThan(0);
    expect(queued).toBeLessThanOrEqual(LIMIT + 128);
    await stack.gql(SIGNAL, { input: { contactId, params: ['after'], context: CONTEXT } }, key(ACME.keys.signal));
    expect(await gauge(stack.gateway, 'cxgw_websocket_buffered_bytes')).toBeLessThanOrEqual(LIMIT + 128);

    // Reading again, the client gets what was queued, then the close frame.
    const closed = once(slow, 'close');
    (slow as unknown as { _socket: { resume(): void } })._socket.resume();
    const [code, reason] = (await closed) as [number, Buffer];
    expect(code).toBe(4008);
    expect(reason.toString()).toMatch(/MAX_SUBSCRIBER_BUFFER_BYTES/);
    expect(bytesRead).toBeGreaterThan(0);

    await waitForSubscriptions(stack.gateway, 1);
    // The reader got every event, the ones after the slow consumer's close included.
    const events = await reader.take(2 * (signals + 1), 10_000);
    expect(events.at(-1)?.handoffChanged.state).toBe('SIGNALED');
    await reader.dispose();
    await waitForSubscriptions(stack.gateway, 0);
    expect(await gauge(stack.gateway, 'cxgw_websocket_buffered_bytes')).toBe(0);
  });
});
