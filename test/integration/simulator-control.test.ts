import { createServer, request as httpRequest } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO, DEMO_CONTEXT, DEMO_SEED, createSimulatorApp, createSimulatorState, startSimulator, type Stage } from '../../simulator/index.js';
import { OTHER, TWO_UNIT_SEED, UUID, createCall, passwordGrant, postJson, useSimulator } from './simulator-harness.js';

/** A deliberately small SIP parser, independent of the simulator's own. */
function parseSip(text: string): { startLine: string; headers: Map<string, string[]>; body: string; head: string } {
  const split = text.indexOf('\r\n\r\n');
  const head = text.slice(0, split);
  const [startLine = '', ...lines] = head.split('\r\n');
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return { startLine, headers, body: text.slice(split + 4), head };
}

describe('simulator: context headers seeded per pseudo number', () => {
  const sim = useSimulator(); // the demo seed, whose pseudo number has all three contexts

  it('sends X-CXone, X-CXone-Custom and X-CXone-Extended as one-line JSON from the seed', async () => {
    const call = await createCall(sim.current.url);
    const { headers } = parseSip(call.invite);
    const json = (name: string): unknown => {
      const values = headers.get(name) ?? [];
      expect(values, name).toHaveLength(1);
      return JSON.parse(values[0] ?? '');
    };
    expect(json('x-cxone')).toEqual(DEMO_CONTEXT.standard);
    expect(json('x-cxone-custom')).toEqual(DEMO_CONTEXT.custom);
    expect(json('x-cxone-extended')).toEqual(DEMO_CONTEXT.extended);
    expect(JSON.parse((json('x-cxone-custom') as { ivaParams: string }).ivaParams)).toEqual({ tier: 'gold', language: 'en-US' });
  });

  it('sends only the headers a seed gives', async () => {
    const seeded = await startSimulator({
      seed: { businessUnits: [{ tenantId: 't', businessUnit: '1', pseudoNumbers: ['+15550000001', '+15550000002'], contexts: { '+15550000001': { custom: { ivaParams: '{}' } } } }] },
    });
    try {
      const withContext = parseSip((await createCall(seeded.url, { pseudoNumber: '+15550000001' })).invite).headers;
      expect([...withContext.keys()].filter((name) => name.startsWith('x-cxone'))).toEqual(['x-cxone-custom']);
      const without = parseSip((await createCall(seeded.url, { pseudoNumber: '+15550000002' })).invite).headers;
      expect([...without.keys()].filter((name) => name.startsWith('x-cxone'))).toEqual([]);
    } finally {
      await seeded.close();
    }
  });
});

describe('simulator: calls and INVITEs', () => {
  const sim = useSimulator({ seed: TWO_UNIT_SEED });

  it('creates a call: a fresh 12-digit contact id, an active contact and a call record', async () => {
    const response = await postJson(`${sim.current.url}/_sim/calls`, { pseudoNumber: DEMO.pseudoNumber, from: '+15551112222' });
    expect(response.status).toBe(201);
    expect(response.headers.get('correlationid')).toMatch(UUID);
    const call = (await response.json()) as { contactId: string; masterContactId: string; callId: string; businessUnit: string; invite: string };
    expect(call.contactId).toMatch(/^[1-9]\d{11}$/);
    expect(call.masterContactId).toMatch(/^[1-9]\d{11}$/);
    expect(call.masterContactId).not.toBe(call.contactId);
    expect(call.businessUnit).toBe(DEMO.businessUnit);
    const contact = (await (await fetch(`${sim.current.url}/_sim/contacts/${call.contactId}`)).json()) as Record<string, unknown>;
    expect(contact).toEqual({
      id: call.contactId,
      masterContactId: call.masterContactId,
      businessUnit: DEMO.businessUnit,
      pseudoNumber: DEMO.pseudoNumber,
      from: '+15551112222',
      state: 'active',
      startedAt: expect.any(String),
      endedAt: null,
    });
    const calls = (await (await fetch(`${sim.current.url}/_sim/calls?contactId=${call.contactId}`)).json()) as Record<string, unknown>[];
    expect(calls).toEqual([
      { id: expect.any(Number), contactId: call.contactId, masterContactId: call.masterContactId, callId: call.callId, pseudoNumber: DEMO.pseudoNumber, from: '+15551112222', sipTarget: null, dialog: 'none' },
    ]);
    const second = await createCall(sim.current.url);
    expect(second.contactId).not.toBe(call.contactId);
    expect(second.callId).not.toBe(call.callId);
  });

  it('accepts signals for the spawned contact, not for its master (not a contact of its own here)', async () => {
    const call = (await (await postJson(`${sim.current.url}/_sim/calls`, { pseudoNumber: DEMO.pseudoNumber })).json()) as { contactId: string; masterContactId: string };
    const { access_token: token } = await passwordGrant(sim.current.url);
    const signal = (contactId: string): Promise<Response> =>
      fetch(`${sim.current.url}/incontactapi/services/v30.0/interactions/${contactId}/signal?p1=x`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect((await signal(call.masterContactId)).status).toBe(404);
    expect((await signal(call.contactId)).status).toBe(202);
  });

  it('returns an RFC 3261 INVITE with every mandatory header and the contact-id header', async () => {
    const call = await createCall(sim.current.url, { pseudoNumber: DEMO.pseudoNumber, from: '+15553334444' });
    expect(call.invite.replaceAll('\r\n', '')).not.toContain('\n'); // CRLF line endings only
    const { startLine, headers, body } = parseSip(call.invite);
    const one = (name: string): string => {
      const values = headers.get(name) ?? [];
      expect(values, name).toHaveLength(1);
      return values[0] ?? '';
    };
    expect(startLine).toMatch(/^INVITE sip:\+15550100001@\S+ SIP\/2\.0$/);
    expect(one('via')).toMatch(/^SIP\/2\.0\/UDP [^;\s]+;branch=z9hG4bK[\w.-]+/);
    expect(one('max-forwards')).toBe('70');
    expect(one('to')).toMatch(/^<sip:\+15550100001@[^>]+>$/);
    expect(one('from')).toMatch(/^<sip:\+15553334444@[^>]+>;tag=\w+$/);
    expect(one('call-id')).toBe(call.callId);
    expect(one('cseq')).toBe('1 INVITE');
    expect(one('contact')).toMatch(/^<sip:[^>]+>$/);
    expect(one('content-type')).toBe('application/sdp');
    expect(Number(one('content-length'))).toBe(Buffer.byteLength(body));
    expect(body).toMatch(/^v=0\r\n/);
    expect(body).toContain('m=audio ');
    expect(one('x-incontact-contactid')).toBe(call.contactId);
    const [record] = (await (await fetch(`${sim.current.url}/_sim/contacts?id=${call.contactId}`)).json()) as { masterContactId: string }[];
    expect(one('x-incontact-masterid')).toBe(record?.masterContactId);
    expect(headers.has('x-contactid')).toBe(false); // the simulator's old, unsourced header
    expect([...headers.keys()].filter((name) => name.startsWith('x-cxone'))).toEqual([]); // this unit seeds no context
  });

  it('uses the seeded contact-id header name of the business unit', async () => {
    const call = await createCall(sim.current.url, { pseudoNumber: OTHER.pseudoNumber });
    const { head } = parseSip(call.invite);
    expect(head).toContain(`\r\n${OTHER.contactIdHeader}: ${call.contactId}\r\n`);
    expect(head).toContain(`\r\nX-InContact-ContactId: ${call.contactId}\r\n`);
    expect(call.businessUnit).toBe(OTHER.businessUnit);
  });

  it.each([
    { name: 'an unknown pseudo number', body: JSON.stringify({ pseudoNumber: '+15559999999' }), status: 404, error: 'pseudo_number_not_found' },
    { name: 'no pseudoNumber', body: JSON.stringify({ from: '+15551112222' }), status: 400, error: 'invalid_request' },
    { name: 'an unknown field', body: JSON.stringify({ pseudoNumber: DEMO.pseudoNumber, tenant: 'x' }), status: 400, error: 'invalid_request' },
    { name: 'a bad caller number', body: JSON.stringify({ pseudoNumber: DEMO.pseudoNumber, from: 'bob' }), status: 400, error: 'invalid_request' },
    { name: 'a bad sipTarget', body: JSON.stringify({ pseudoNumber: DEMO.pseudoNumber, sipTarget: 'tcp:127.0.0.1:5060' }), status: 400, error: 'invalid_request' },
    { name: 'a sipTarget without port', body: JSON.stringify({ pseudoNumber: DEMO.pseudoNumber, sipTarget: 'udp:127.0.0.1' }), status: 400, error: 'invalid_request' },
    { name: 'malformed JSON', body: '{"pseudoNumber":', status: 400, error: 'invalid_request' },
    { name: 'a JSON array', body: '[]', status: 400, error: 'invalid_request' },
    { name: 'a form body', body: 'pseudoNumber=%2B15550100001', type: 'application/x-www-form-urlencoded', status: 400, error: 'invalid_request' },
    { name: 'no body', body: undefined, status: 400, error: 'invalid_request' },
  ])('POST /_sim/calls with $name → $status $error', async ({ body, type, status, error }) => {
    const response = await fetch(`${sim.current.url}/_sim/calls`, {
      method: 'POST',
      headers: body === undefined ? {} : { 'content-type': type ?? 'application/json' },
      ...(body === undefined ? {} : { body }),
    });
    expect(response.status).toBe(status);
    expect(response.headers.get('correlationid')).toMatch(UUID);
    expect(await response.json()).toEqual({ error, message: expect.any(String) });
  });

  it('ends a contact through the control API (202, also when already ended; 404 when unknown)', async () => {
    const { contactId } = await createCall(sim.current.url);
    const end = (id: string): Promise<Response> => fetch(`${sim.current.url}/_sim/contacts/${id}/end`, { method: 'POST' });
    expect((await end(contactId)).status).toBe(202);
    expect((await end(contactId)).status).toBe(202);
    const contact = (await (await fetch(`${sim.current.url}/_sim/contacts/${contactId}`)).json()) as Record<string, unknown>;
    expect(contact).toMatchObject({ state: 'ended', endedAt: expect.any(String) });
    const unknown = await end('111111111111');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'contact_not_found' });
  });
});

describe('simulator: state through json-server', () => {
  const sim = useSimulator();
  let contactId: string;

  beforeEach(async () => {
    sim.current.reset();
    const { access_token: token } = await passwordGrant(sim.current.url);
    contactId = (await createCall(sim.current.url)).contactId;
    const other = (await createCall(sim.current.url)).contactId;
    for (const [id, p1] of [[contactId, 'a'], [other, 'b'], [contactId, 'c'], [contactId, 'd']] as const) {
      const response = await fetch(`${sim.current.url}/incontactapi/services/v30.0/interactions/${id}/signal?p1=${p1}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(202);
    }
  });

  it('filters, sorts and paginates signals', async () => {
    const filtered = (await (await fetch(`${sim.current.url}/_sim/signals?contactId=${contactId}&_sort=id&_order=desc`)).json()) as { params: string[] }[];
    expect(filtered.map((signal) => signal.params[0])).toEqual(['d', 'c', 'a']);
    const page = await fetch(`${sim.current.url}/_sim/signals?_page=2&_limit=3`);
    expect(page.headers.get('x-total-count')).toBe('4');
    expect(((await page.json()) as { params: string[] }[]).map((signal) => signal.params[0])).toEqual(['d']);
    const nested = (await (await fetch(`${sim.current.url}/_sim/contacts/${contactId}/signals`)).json()) as unknown[];
    expect(nested).toHaveLength(3);
  });

  it('records a signal with exactly the documented fields', async () => {
    const [signal] = (await (await fetch(`${sim.current.url}/_sim/signals?_limit=1`)).json()) as Record<string, unknown>[];
    expect(signal).toEqual({
      id: 1,
      contactId,
      businessUnit: DEMO.businessUnit,
      params: ['a'],
      transport: 'query',
      receivedAt: expect.any(String),
      clientId: DEMO.clientId,
      apiVersion: 'v30.0',
    });
  });

  it.each([
    { method: 'POST', url: '/_sim/signals', status: 405, error: 'method_not_allowed' },
    { method: 'DELETE', url: '/_sim/contacts/1', status: 405, error: 'method_not_allowed' },
    { method: 'PATCH', url: '/_sim/calls/1', status: 405, error: 'method_not_allowed' },
    { method: 'GET', url: '/_sim/signals/999', status: 404, error: 'not_found' },
    { method: 'GET', url: '/_sim/unknown', status: 404, error: 'not_found' },
    { method: 'POST', url: '/_sim/unknown', status: 404, error: 'not_found' },
    { method: 'GET', url: '/nowhere', status: 404, error: 'not_found' },
    { method: 'GET', url: '/_sim/%E0%A4%A', status: 404, error: 'not_found' },
    { method: 'GET', url: '/%E0%A4%A', status: 404, error: 'not_found' },
  ])('$method $url → $status $error (JSON, never HTML)', async ({ method, url, status, error }) => {
    const response = await fetch(`${sim.current.url}${url}`, { method, headers: { 'content-type': 'application/json' }, ...(method === 'GET' ? {} : { body: '{}' }) });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('correlationid')).toMatch(UUID);
    expect(await response.json()).toEqual({ error, message: expect.any(String) });
  });

  it('answers a GET to the state router carrying a malformed JSON body normally, without a stack trace', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${sim.current.url}/_sim/signals?_limit=1`, { method: 'GET', headers: { 'content-type': 'application/json', 'content-length': '10' } }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      });
      request.on('error', reject);
      request.end('{"broken":');
    });
    expect(status).toBe(200);
    expect(JSON.parse(body)).toHaveLength(1);
  });

  it('answers a request Node cannot parse with a JSON 400', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(sim.current.port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toEqual({ error: 'invalid_request', message: expect.any(String) });
  });

  it('resets to the seed: contacts, calls, signals and tokens gone, tokens invalid, faults cleared', async () => {
    const { access_token: token } = await passwordGrant(sim.current.url);
    await postJson(`${sim.current.url}/_sim/faults`, { route: 'discovery', kind: 'status', status: 500 });
    const response = await fetch(`${sim.current.url}/_sim/reset`, { method: 'POST' });
    expect(response.status).toBe(204);
    const db = (await (await fetch(`${sim.current.url}/_sim/db`)).json()) as Record<string, unknown[]>;
    expect(db).toEqual({ signals: [], contacts: [], tokens: [], calls: [] });
    expect(await (await fetch(`${sim.current.url}/_sim/faults`)).json()).toEqual([]);
    const active = await fetch(`${sim.current.url}/incontactapi/services/v30.0/contacts/active`, { headers: { authorization: `Bearer ${token}` } });
    expect(active.status).toBe(401);
    expect((await fetch(`${sim.current.url}/.well-known/openid-configuration`)).status).toBe(200);
  });
});

describe('simulator: faults', () => {
  const sim = useSimulator();
  const url = (path: string): string => `${sim.current.url}${path}`;
  const addFault = async (fault: Record<string, unknown>): Promise<{ id: number }> => {
    const response = await postJson(url('/_sim/faults'), fault);
    expect(response.status).toBe(201);
    return (await response.json()) as { id: number };
  };
  const tokenRequest = (): Promise<Response> =>
    fetch(url('/auth/token'), {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${DEMO.clientId}:${DEMO.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=password&username=${DEMO.accessKeyId}&password=${DEMO.accessKeySecret}`,
    });
  const signalRequest = async (): Promise<Response> => {
    const { access_token: token } = await passwordGrant(sim.current.url);
    const { contactId } = await createCall(sim.current.url);
    return fetch(url(`/incontactapi/services/v30.0/interactions/${contactId}/signal?p1=x`), { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  };

  beforeEach(() => sim.current.reset());

  it('stores a fault and lists it with an id', async () => {
    const fault = await addFault({ route: 'signal', kind: 'status', status: 503, headers: { 'Retry-After': '1' }, count: 2 });
    expect(fault).toEqual({ id: 1, route: 'signal', kind: 'status', status: 503, headers: { 'Retry-After': '1' }, count: 2, remaining: 2, applied: 0 });
    expect(await (await fetch(url('/_sim/faults'))).json()).toEqual([fault]);
  });

  it('status: answers the status with headers and an OAuth-shaped body on the token route, for count requests', async () => {
    await addFault({ route: 'token', kind: 'status', status: 503, headers: { 'Retry-After': '1' }, count: 1 });
    const faulted = await tokenRequest();
    expect(faulted.status).toBe(503);
    expect(faulted.headers.get('retry-after')).toBe('1');
    expect(faulted.headers.get('correlationid')).toMatch(UUID);
    expect(await faulted.json()).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
    expect((await tokenRequest()).status).toBe(200);
    expect(await (await fetch(url('/_sim/faults'))).json()).toEqual([]);
  });

  it('status: answers a CXone-shaped body on the signal route, or the given body, until cleared', async () => {
    await addFault({ route: 'signal', kind: 'status', status: 429, headers: { 'Retry-After': '2' } });
    const throttled = await signalRequest();
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('2');
    expect(await throttled.json()).toEqual({ error: 'too_many_requests', message: expect.any(String) });
    expect((await signalRequest()).status).toBe(429);

    expect((await fetch(url('/_sim/faults'), { method: 'DELETE' })).status).toBe(204);
    await addFault({ route: 'signal', kind: 'status', status: 500, body: { error: 'custom', detail: 1 } });
    const custom = await signalRequest();
    expect(custom.status).toBe(500);
    expect(await custom.json()).toEqual({ error: 'custom', detail: 1 });
  });

  it('status: a string body is served as HTML, like a proxy error page', async () => {
    await addFault({ route: 'end', kind: 'status', status: 502, body: '<html><body>Bad Gateway</body></html>' });
    const { access_token: token } = await passwordGrant(sim.current.url);
    const { contactId } = await createCall(sim.current.url);
    const response = await fetch(url(`/incontactapi/services/v30.0/contacts/${contactId}/end`), { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('Bad Gateway');
  });

  it('delay: waits delayMs, then serves normally (or with the given status)', async () => {
    await addFault({ route: 'discovery', kind: 'delay', delayMs: 300, count: 1 });
    let started = Date.now();
    const slow = await fetch(url('/.well-known/openid-configuration'));
    expect(slow.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await slow.json()).toHaveProperty('issuer');

    await addFault({ route: 'discovery', kind: 'delay', delayMs: 200, status: 504, count: 1 });
    started = Date.now();
    const timedOut = await fetch(url(`/.well-known/cxone-configuration?tenantId=${DEMO.tenantId}`));
    expect(timedOut.status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(await timedOut.json()).toMatchObject({ error: 'gateway_timeout' });
  });

  it('drop: destroys the connection without a response', async () => {
    await addFault({ route: 'token', kind: 'drop', count: 1 });
    await expect(tokenRequest()).rejects.toThrow();
    expect((await tokenRequest()).status).toBe(200);
  });

  it('malformed: the normal status with a body that is not JSON', async () => {
    await addFault({ route: 'token', kind: 'malformed', count: 1 });
    const response = await tokenRequest();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await response.text();
    expect(text.startsWith('{"access_token":')).toBe(true);
    expect(() => JSON.parse(text) as unknown).toThrow();
  });

  it('malformed with a string body: HTML, as from a proxy', async () => {
    await addFault({ route: 'signal', kind: 'malformed', body: '<html>proxy</html>', count: 1 });
    const response = await signalRequest();
    expect(response.status).toBe(202);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toBe('<html>proxy</html>');
  });

  it('share: applies deterministically to that fraction of requests', async () => {
    await addFault({ route: 'discovery', kind: 'status', status: 500, share: 0.5 });
    const statuses: number[] = [];
    for (let index = 0; index < 6; index += 1) statuses.push((await fetch(url('/.well-known/openid-configuration'))).status);
    expect(statuses).toEqual([200, 500, 200, 500, 200, 500]);
  });

  it('share with count: every 4th request, twice, then gone', async () => {
    await addFault({ route: 'discovery', kind: 'status', status: 503, share: 0.25, count: 2 });
    const statuses: number[] = [];
    for (let index = 0; index < 12; index += 1) statuses.push((await fetch(url('/.well-known/openid-configuration'))).status);
    expect(statuses.map((status) => (status === 503 ? 'F' : '.')).join('')).toBe('...F...F....');
  });

  it('affects only its route', async () => {
    await addFault({ route: 'signal', kind: 'status', status: 500 });
    expect((await tokenRequest()).status).toBe(200);
    expect((await fetch(url('/.well-known/openid-configuration'))).status).toBe(200);
    expect((await signalRequest()).status).toBe(500);
  });

  it('deletes one fault by id', async () => {
    const first = await addFault({ route: 'token', kind: 'status', status: 500 });
    const second = await addFault({ route: 'end', kind: 'drop' });
    expect((await fetch(url(`/_sim/faults/${first.id}`), { method: 'DELETE' })).status).toBe(204);
    expect(((await (await fetch(url('/_sim/faults'))).json()) as { id: number }[]).map((fault) => fault.id)).toEqual([second.id]);
    const missing = await fetch(url(`/_sim/faults/${first.id}`), { method: 'DELETE' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'fault_not_found' });
    expect((await tokenRequest()).status).toBe(200);
  });

  it.each([
    { name: 'an unknown route', body: { route: 'graphql', kind: 'drop' } },
    { name: 'an unknown kind', body: { route: 'token', kind: 'explode' } },
    { name: 'kind status without status', body: { route: 'token', kind: 'status' } },
    { name: 'kind delay without delayMs', body: { route: 'token', kind: 'delay' } },
    { name: 'a share above 1', body: { route: 'token', kind: 'drop', share: 2 } },
    { name: 'a zero count', body: { route: 'token', kind: 'drop', count: 0 } },
    { name: 'an unknown field', body: { route: 'token', kind: 'drop', when: 'now' } },
    { name: 'a non-string header', body: { route: 'token', kind: 'status', status: 500, headers: { 'Retry-After': 1 } } },
  ])('POST /_sim/faults with $name → 400 invalid_request', async ({ body }) => {
    const response = await postJson(url('/_sim/faults'), body);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_request', message: expect.any(String) });
  });
});

describe('simulator: the fault stage is replaceable', () => {
  const servers: ReturnType<typeof createServer>[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function listen(stages: readonly Stage[]): Promise<{ url: string; state: ReturnType<typeof createSimulatorState> }> {
    const state = createSimulatorState(DEMO_SEED);
    const server = createServer(createSimulatorApp(state, { stages }));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, state };
  }

  it('runs the stages given instead of fault injection', async () => {
    const stamp: Stage = async (ctx, next) => {
      const reply = await next();
      return reply.kind === 'json' ? { ...reply, headers: { ...reply.headers, 'X-Stage': ctx.route.fault ?? 'none' } } : reply;
    };
    const { url, state } = await listen([stamp]);
    state.faults.add({ route: 'discovery', kind: 'status', status: 500 });
    const response = await fetch(`${url}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-stage')).toBe('discovery');
  });

  it('turns a failing stage into a JSON 500 in the route shape, never a stack trace', async () => {
    const { url } = await listen([() => Promise.reject(new Error('boom at /secret/path.ts:1'))]);
    const api = await fetch(`${url}/.well-known/openid-configuration`);
    expect(api.status).toBe(500);
    const apiText = await api.text();
    expect(JSON.parse(apiText)).toEqual({ error: 'internal_error', message: expect.any(String) });
    expect(apiText).not.toContain('boom');
    const token = await fetch(`${url}/auth/token`, { method: 'POST' });
    expect(token.status).toBe(500);
    expect(await token.json()).toEqual({ error: 'server_error', error_description: expect.any(String) });
  });

  it('answers from a stage without reaching the handler', async () => {
    const { url } = await listen([async () => ({ kind: 'json', status: 418, body: { error: 'teapot', message: 'stage' } })]);
    const response = await fetch(`${url}/_sim/calls`, { method: 'POST' });
    expect(response.status).toBe(418);
    expect(await response.json()).toEqual({ error: 'teapot', message: 'stage' });
  });
});
