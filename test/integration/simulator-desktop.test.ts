/**
 * The simulator's agent desktop routes (docs/simulator.md, "Agent desktop") without a browser: the
 * page and its files served same-origin under a strict CSP, the calls with their timelines on the
 * injected clock, and the screen-pop proxy to a gateway's Handoff API: the key goes to the gateway
 * and nowhere else, the gateway's status and body pass through, and a missing or unreachable
 * gateway is a clear 503 / 502. The browser test is test/e2e/agent-desktop.test.ts.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO, type SeedInput } from '../../simulator/index.js';
import { DEMO_SEED } from '../../simulator/demo.js';
import { createCall, passwordGrant, useSimulator } from './simulator-harness.js';

let now = Date.parse('2026-01-01T00:00:00Z');
const seed: SeedInput = {
  ...DEMO_SEED,
  businessUnits: DEMO_SEED.businessUnits.map((unit) => ({ ...unit, scripts: { [DEMO.pseudoNumber]: { onSignal: true, agentAnswersAfterMs: 3_000 } } })),
};

interface DesktopView {
  gateway: string | null;
  calls: { contactId: string; state: string; signals: number; events: { at: string; kind: string; text: string }[] }[];
}

/** A stand-in gateway: answers the Handoff API route with a fixed status and body, recording what it was asked. */
async function fakeGateway(status: number, body: unknown): Promise<{ url: string; asked: { url: string; headers: IncomingHttpHeaders }[]; server: Server }> {
  const asked: { url: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    asked.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked, server };
}

describe('simulator: agent desktop', () => {
  const sim = useSimulator({ seed, now: () => now });
  let gateway: Awaited<ReturnType<typeof fakeGateway>>;
  const screenPop = { id: 'h-1', data: { intent: 'billing', gateway: { state: 'SIGNALED', params: ['billing'] } }, shared_id: '1' };
  beforeAll(async () => {
    gateway = await fakeGateway(200, screenPop);
  });
  afterAll(async () => {
    gateway.server.closeAllConnections();
    await new Promise((resolve) => gateway.server.close(resolve));
  });
  beforeEach(async () => {
    await fetch(`${sim.current.url}/_sim/reset`, { method: 'POST' });
  });

  const view = async (): Promise<DesktopView> => (await (await fetch(`${sim.current.url}/_sim/desktop/calls`)).json()) as DesktopView;

  it.each([
    { path: '/_sim/desktop', type: 'text/html; charset=utf-8' },
    { path: '/_sim/desktop/desktop.js', type: 'text/javascript; charset=utf-8' },
    { path: '/_sim/desktop/desktop.css', type: 'text/css; charset=utf-8' },
  ])('serves $path as $type under a same-origin-only CSP', async ({ path, type }) => {
    const res = await fetch(`${sim.current.url}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const text = await res.text();
    expect(text).not.toMatch(/(src|href)="(https?:)?\/\//);
    if (path.endsWith('.js')) expect(text).not.toContain('innerHTML');
  });

  it('lists calls newest first with their timeline: call, signal, Onsignal, agent connected (injected clock), ended', async () => {
    const first = await createCall(sim.current.url);
    const second = await createCall(sim.current.url);
    const { access_token: token } = await passwordGrant(sim.current.url);
    const signalled = await fetch(`${sim.current.url}/incontactapi/services/v30.0/interactions/${first.contactId}/signal`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ p1: 'billing', p2: 'gold' }),
    });
    expect(signalled.status).toBe(202);

    let calls = (await view()).calls;
    expect(calls.map((call) => call.contactId)).toEqual([second.contactId, first.contactId]);
    expect(calls[1]).toMatchObject({ state: 'active', signals: 1 });
    expect(calls[1]?.events.map((event) => event.kind)).toEqual(['call', 'signal', 'onsignal']);
    expect(calls[1]?.events[1]?.text).toBe('Signal 1 received: p1=billing, p2=gold');

    now += 3_000;
    expect((await view()).calls[1]?.events.map((event) => event.kind)).toEqual(['call', 'signal', 'onsignal', 'agent']);
    now += 1_000;
    expect((await fetch(`${sim.current.url}/_sim/contacts/${first.contactId}/end`, { method: 'POST' })).status).toBe(202);
    calls = (await view()).calls;
    expect(calls[1]).toMatchObject({ state: 'ended' });
    expect(calls[1]?.events.map((event) => event.kind)).toEqual(['call', 'signal', 'onsignal', 'agent', 'ended']);
    expect(calls[0]?.events.map((event) => event.kind)).toEqual(['call']);
  });

  it('before a gateway is connected: the view says so, the screen-pop is 503', async () => {
    const { contactId } = await createCall(sim.current.url);
    expect((await view()).gateway).toBeNull();
    const res = await fetch(`${sim.current.url}/_sim/desktop/screen-pop/${contactId}`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: 'service_unavailable' });
  });

  it("asks the gateway's Handoff API with the key, and passes its answer through; the key never reaches the page", async () => {
    sim.current.connectDesktop({ gatewayUrl: `${gateway.url}/`, accountId: 'ws-demo', projectId: 'PROJECT-demo', apiKey: 'desktop-read-key' });
    const { contactId } = await createCall(sim.current.url);
    const res = await fetch(`${sim.current.url}/_sim/desktop/screen-pop/${contactId}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(screenPop);
    expect(gateway.asked.at(-1)?.url).toBe(`/v1/ws-demo/PROJECT-demo/handoff_state?shared_id=${contactId}`);
    expect(gateway.asked.at(-1)?.headers['x-api-key']).toBe('desktop-read-key');
    const page = [await (await fetch(`${sim.current.url}/_sim/desktop`)).text(), await (await fetch(`${sim.current.url}/_sim/desktop/desktop.js`)).text(), JSON.stringify(await view())];
    expect(page.join('\n')).not.toContain('desktop-read-key');
    expect((await view()).gateway).toBe(gateway.url);
  });

  it("passes the gateway's 404 through (no handoff yet)", async () => {
    const missing = await fakeGateway(404, { message: 'No handoff state found for this id in this project.' });
    try {
      sim.current.connectDesktop({ gatewayUrl: missing.url, accountId: 'a', projectId: 'p', apiKey: 'k' });
      const res = await fetch(`${sim.current.url}/_sim/desktop/screen-pop/123`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ message: 'No handoff state found for this id in this project.' });
    } finally {
      missing.server.closeAllConnections();
      await new Promise((resolve) => missing.server.close(resolve));
    }
  });

  it('answers 502 when the gateway cannot be reached', async () => {
    const gone = await fakeGateway(200, {});
    gone.server.closeAllConnections();
    await new Promise((resolve) => gone.server.close(resolve));
    sim.current.connectDesktop({ gatewayUrl: gone.url, accountId: 'a', projectId: 'p', apiKey: 'k' });
    const res = await fetch(`${sim.current.url}/_sim/desktop/screen-pop/123`);
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ error: 'bad_gateway', message: 'No screen-pop: the gateway could not be reached.' });
  });

  it.each(['12a', '1'.repeat(21), '1%2F2'])('refuses the contact id %j with 400 before asking the gateway', async (id) => {
    sim.current.connectDesktop({ gatewayUrl: gateway.url, accountId: 'a', projectId: 'p', apiKey: 'k' });
    const before = gateway.asked.length;
    const res = await fetch(`${sim.current.url}/_sim/desktop/screen-pop/${id}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_contact_id' });
    expect(gateway.asked.length).toBe(before);
  });
});
