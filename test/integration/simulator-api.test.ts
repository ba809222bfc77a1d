import { request } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_REQUEST_LINE_BYTES, MAX_SIGNAL_PARAM_LENGTH } from '../../src/common/signal-limits.js';
import { DEMO } from '../../simulator/index.js';
import { OTHER, TWO_UNIT_SEED, UUID, createCall, passwordGrant, useSimulator } from './simulator-harness.js';

const PARAM_MAX = 32;

describe('simulator: Signal API', () => {
  const sim = useSimulator({ seed: TWO_UNIT_SEED, paramMaxLength: PARAM_MAX });
  let token: string;
  let readOnlyToken: string;
  let contactId: string;
  let endedContactId: string;
  let otherUnitContactId: string;

  const api = (path: string): string => `${sim.current.url}/incontactapi/services/v30.0${path}`;
  const signal = (id: string, query = '', init: RequestInit = {}, bearer: string | null = token): Promise<Response> =>
    fetch(api(`/interactions/${id}/signal${query}`), {
      method: 'POST',
      ...init,
      headers: { ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }), ...(init.headers as Record<string, string> | undefined) },
    });
  const lastSignal = async (id: string): Promise<Record<string, unknown> | undefined> => {
    const list = (await (await fetch(`${sim.current.url}/_sim/signals?contactId=${id}&_sort=id&_order=desc`)).json()) as Record<string, unknown>[];
    return list[0];
  };

  beforeAll(async () => {
    token = (await passwordGrant(sim.current.url)).access_token;
    readOnlyToken = (await passwordGrant(sim.current.url, undefined, { id: OTHER.noSignalKeyId, secret: OTHER.noSignalKeySecret })).access_token;
    contactId = (await createCall(sim.current.url)).contactId;
    endedContactId = (await createCall(sim.current.url)).contactId;
    await fetch(`${sim.current.url}/_sim/contacts/${endedContactId}/end`, { method: 'POST' });
    otherUnitContactId = (await createCall(sim.current.url, { pseudoNumber: OTHER.pseudoNumber })).contactId;
  });

  const jsonSignal = (id: string, body: unknown): Promise<Response> =>
    signal(id, '', { headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });

  it('accepts p1..p9 from a JSON body (as NICE\'s SDK sends them) with 202, and records them in order with the transport', async () => {
    const body = Object.fromEntries(Array.from({ length: 9 }, (_, index) => [`p${9 - index}`, `b${9 - index}`]));
    const response = await jsonSignal(contactId, body);
    expect(response.status).toBe(202);
    expect(await response.text()).toBe('');
    expect(await lastSignal(contactId)).toMatchObject({ params: ['b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7', 'b8', 'b9'], transport: 'body' });
  });

  it('counts a body param in characters, not bytes, and fills a gap with an empty string', async () => {
    const value = 'ü'.repeat(PARAM_MAX); // 2 bytes each in UTF-8: over the limit if bytes were counted
    const response = await jsonSignal(contactId, { p1: value, p9: value });
    expect(response.status).toBe(202);
    expect((await lastSignal(contactId))?.params).toEqual([value, '', '', '', '', '', '', '', value]);
  });

  it('accepts p1..p9 from the query string with 202 and an empty body, and records them in order', async () => {
    const query = `?${Array.from({ length: 9 }, (_, index) => `p${9 - index}=v${9 - index}`).join('&')}`;
    const response = await signal(contactId, query);
    expect(response.status).toBe(202);
    expect(response.headers.get('correlationid')).toMatch(UUID);
    expect(await response.text()).toBe('');
    expect(await lastSignal(contactId)).toMatchObject({
      contactId,
      businessUnit: DEMO.businessUnit,
      params: ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9'],
      clientId: DEMO.clientId,
      apiVersion: 'v30.0',
      transport: 'query',
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('fills a gap with an empty string', async () => {
    expect((await signal(contactId, '?p1=q&p3=three')).status).toBe(202);
    expect((await lastSignal(contactId))?.params).toEqual(['q', '', 'three']);
  });

  it.each([
    { name: 'no body', init: {} },
    { name: 'an empty JSON object', init: { headers: { 'content-type': 'application/json' }, body: '{}' } },
  ])('accepts a signal without parameters ($name)', async ({ init }) => {
    expect((await signal(contactId, '', init)).status).toBe(202);
    expect(await lastSignal(contactId)).toMatchObject({ params: [], transport: 'none' });
  });

  it.each(['/inContactAPI/services/v12.0', '/INCONTACTAPI/Services/v23.0', '/incontactapi/services/V30.0', '/incontactapi/services/v31.0'])(
    'matches %s case-insensitively under any version',
    async (prefix) => {
      const response = await fetch(`${sim.current.url}${prefix}/interactions/${contactId}/signal?p1=v`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(202);
      expect((await lastSignal(contactId))?.apiVersion).toBe(prefix.split('/').at(-1)?.toLowerCase());
    },
  );

  type Row = { name: string; contact?: () => string; query?: string; body?: string; type?: string; bearer?: () => string | null; status: number; error: string };
  // A row with a body sends its query only when it names one (default: none), so the mixed rows can.
  const rows: Row[] = [
    { name: 'no Authorization header', bearer: () => null, status: 401, error: 'unauthorized' },
    { name: 'an unknown token', bearer: () => 'not-a-token', status: 401, error: 'unauthorized' },
    { name: 'a key without the signal permission', bearer: () => readOnlyToken, status: 403, error: 'forbidden' },
    { name: 'a non-numeric contact id', contact: () => '12ab', status: 400, error: 'invalid_contact_id' },
    { name: 'p10', query: '?p1=a&p10=b', status: 400, error: 'invalid_parameter' },
    { name: 'an unknown parameter', query: '?p1=a&foo=b', status: 400, error: 'invalid_parameter' },
    { name: 'a repeated parameter', query: '?p1=a&p1=b', status: 400, error: 'invalid_parameter' },
    { name: 'a bracketed parameter', query: '?p1[x]=a', status: 400, error: 'invalid_parameter' },
    { name: `a parameter longer than ${PARAM_MAX}`, query: `?p2=${'x'.repeat(PARAM_MAX + 1)}`, status: 400, error: 'invalid_parameter' },
    { name: 'an unknown body field', body: '{"p1":"a","p0":"b"}', type: 'application/json', status: 400, error: 'invalid_parameter' },
    { name: 'a non-string body parameter', body: '{"p1":5}', type: 'application/json', status: 400, error: 'invalid_parameter' },
    { name: 'a JSON array body', body: '["a"]', type: 'application/json', status: 400, error: 'invalid_parameter' },
    { name: 'a malformed JSON body', body: '{"p1":', type: 'application/json', status: 400, error: 'invalid_request' },
    { name: 'p10 in the body', body: '{"p1":"a","p10":"b"}', type: 'application/json', status: 400, error: 'invalid_parameter' },
    { name: 'a null body parameter', body: '{"p1":null}', type: 'application/json', status: 400, error: 'invalid_parameter' },
    { name: 'an array body parameter', body: '{"p1":["a","b"]}', type: 'application/json', status: 400, error: 'invalid_parameter' },
    { name: `a body parameter longer than ${PARAM_MAX}`, body: JSON.stringify({ p1: 'x'.repeat(PARAM_MAX + 1) }), type: 'application/json', status: 400, error: 'invalid_parameter' },
    { name: 'params both in the query and in the body', query: '?p1=q', body: '{"p1":"b"}', type: 'application/json', status: 400, error: 'invalid_parameter' },
    { name: 'different params in the query and in the body', query: '?p2=q', body: '{"p1":"b"}', type: 'application/json', status: 400, error: 'invalid_parameter' },
    { name: 'a form-encoded body', body: 'p1=a', type: 'application/x-www-form-urlencoded', status: 415, error: 'unsupported_media_type' },
    { name: 'a text body', body: 'p1=a', type: 'text/plain', status: 415, error: 'unsupported_media_type' },
    { name: 'an unknown contact', contact: () => '999999999999', status: 404, error: 'contact_not_found' },
    { name: 'an ended contact', contact: () => endedContactId, status: 404, error: 'contact_not_found' },
    { name: "another business unit's contact", contact: () => otherUnitContactId, status: 404, error: 'contact_not_found' },
  ];

  it.each(rows)('POST signal with $name → $status $error', async ({ contact, query, body, type, bearer, status, error }) => {
    const before = await lastSignal(contact?.() ?? contactId);
    const response = await signal(
      contact?.() ?? contactId,
      query ?? (body === undefined ? '?p1=a' : ''),
      { ...(body === undefined ? {} : { body }), headers: type === undefined ? {} : { 'content-type': type } },
      bearer === undefined ? token : bearer(),
    );
    expect(response.status).toBe(status);
    expect(response.headers.get('correlationid')).toMatch(UUID);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ error, message: expect.any(String) });
    expect(await lastSignal(contact?.() ?? contactId)).toEqual(before);
  });

  it('names the problem when params arrive both ways', async () => {
    const response = await signal(contactId, '?p1=q', { headers: { 'content-type': 'application/json' }, body: '{"p1":"b"}' });
    expect(((await response.json()) as { message: string }).message).toMatch(/both in the query string and in the JSON body/);
  });

  /** A raw request, so the request line is exactly what the test wrote (fetch would normalize it). */
  const rawPost = (path: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const { hostname, port } = new URL(sim.current.url);
      const req = request({ host: hostname, port, method: 'POST', path, headers: { authorization: `Bearer ${token}` } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  /** A signal path padded with a dummy param to a request line (`POST path HTTP/1.1`) of `bytes`. */
  const pathOfRequestLine = (bytes: number): string => {
    const base = `/incontactapi/services/v30.0/interactions/${contactId}/signal?p1=`;
    return `${base}${'x'.repeat(bytes - `POST ${base} HTTP/1.1`.length)}`;
  };

  it.each([
    { name: 'one byte over the limit', bytes: MAX_REQUEST_LINE_BYTES + 1, status: 414, error: 'uri_too_long' },
    { name: 'far over the limit (20 KiB, above Node’s default header size)', bytes: 20 * 1024, status: 414, error: 'uri_too_long' },
    // At the limit the line is accepted; the 1000-character-plus param is then refused by the route.
    { name: 'exactly at the limit', bytes: MAX_REQUEST_LINE_BYTES, status: 400, error: 'invalid_parameter' },
  ])('a request line $name ($bytes bytes) → $status $error', async ({ bytes, status, error }) => {
    const before = await lastSignal(contactId);
    const response = await rawPost(pathOfRequestLine(bytes));
    expect(response.status).toBe(status);
    expect(JSON.parse(response.body)).toEqual({ error, message: expect.any(String) });
    expect(await lastSignal(contactId)).toEqual(before);
  });

  it('answers a request head over Node’s raised 64 KiB limit with 431 in the CXone shape', async () => {
    const response = await rawPost(pathOfRequestLine(70 * 1024));
    expect(response.status).toBe(431);
    expect(JSON.parse(response.body)).toEqual({ error: 'request_header_fields_too_large', message: expect.any(String) });
  });

  it('answers 414 on any path, before authentication', async () => {
    const response = await fetch(`${sim.current.url}/nowhere?x=${'y'.repeat(MAX_REQUEST_LINE_BYTES)}`);
    expect(response.status).toBe(414);
    expect(response.headers.get('correlationid')).toMatch(UUID);
    expect(await response.json()).toEqual({ error: 'uri_too_long', message: expect.any(String) });
  });

  it.each([
    { method: 'POST', url: '/incontactapi/services/v30/interactions/1/signal', status: 404, error: 'not_found' },
    { method: 'POST', url: '/incontactapi/services/latest/interactions/1/signal', status: 404, error: 'not_found' },
    { method: 'GET', url: '/incontactapi/services/v30.0/interactions/1/signal', status: 404, error: 'not_found' },
    { method: 'POST', url: '/incontactapi/services/v30.0/interactions/1', status: 404, error: 'not_found' },
    { method: 'DELETE', url: '/incontactapi/services/v30.0/contacts/active', status: 404, error: 'not_found' },
  ])('$method $url → $status $error', async ({ method, url, status, error }) => {
    const response = await fetch(`${sim.current.url}${url}`, { method, headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(status);
    expect(response.headers.get('correlationid')).toMatch(UUID);
    expect(await response.json()).toMatchObject({ error });
  });
});

describe('simulator: contacts API', () => {
  const sim = useSimulator({ seed: TWO_UNIT_SEED });
  const api = (path: string): string => `${sim.current.url}/incontactapi/services/v30.0${path}`;

  it('lists the active contacts of the token business unit only', async () => {
    const { access_token: token } = await passwordGrant(sim.current.url);
    const mine = await createCall(sim.current.url, { pseudoNumber: DEMO.pseudoNumber, from: '+15551230000' });
    const ended = await createCall(sim.current.url);
    const theirs = await createCall(sim.current.url, { pseudoNumber: OTHER.pseudoNumber });
    await fetch(`${sim.current.url}/_sim/contacts/${ended.contactId}/end`, { method: 'POST' });

    const response = await fetch(api('/contacts/active'), { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { resultSet: { totalRecords: number; activeContacts: { contactId: string }[] } };
    const ids = body.resultSet.activeContacts.map((contact) => contact.contactId);
    expect(ids).toContain(mine.contactId);
    expect(ids).not.toContain(ended.contactId);
    expect(ids).not.toContain(theirs.contactId);
    expect(body.resultSet.totalRecords).toBe(ids.length);
    expect(body.resultSet.activeContacts.find((contact) => contact.contactId === mine.contactId)).toMatchObject({
      fromAddress: '+15551230000',
      toAddress: DEMO.pseudoNumber,
    });
  });

  it('ends a contact with 202; then signals and a second end get 404', async () => {
    const { access_token: token } = await passwordGrant(sim.current.url);
    const { contactId } = await createCall(sim.current.url);
    const end = (): Promise<Response> => fetch(api(`/contacts/${contactId}/end`), { method: 'POST', headers: { authorization: `Bearer ${token}` } });

    const first = await end();
    expect(first.status).toBe(202);
    expect(first.headers.get('correlationid')).toMatch(UUID);
    const contact = (await (await fetch(`${sim.current.url}/_sim/contacts/${contactId}`)).json()) as Record<string, unknown>;
    expect(contact).toMatchObject({ id: contactId, state: 'ended', endedAt: expect.any(String) });

    const again = await end();
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ error: 'contact_not_found' });
    const signal = await fetch(api(`/interactions/${contactId}/signal?p1=a`), { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(signal.status).toBe(404);
  });

  it.each([
    { name: 'no token', url: '/contacts/{other}/end', bearer: false, status: 401, error: 'unauthorized' },
    { name: "another business unit's contact", url: '/contacts/{other}/end', bearer: true, status: 404, error: 'contact_not_found' },
    { name: 'an unknown contact', url: '/contacts/123456789012/end', bearer: true, status: 404, error: 'contact_not_found' },
    { name: 'a malformed contact id', url: '/contacts/abc/end', bearer: true, status: 400, error: 'invalid_contact_id' },
  ])('POST end with $name → $status $error', async ({ url, bearer, status, error }) => {
    const { access_token: token } = await passwordGrant(sim.current.url);
    const other = await createCall(sim.current.url, { pseudoNumber: OTHER.pseudoNumber });
    const response = await fetch(api(url.replace('{other}', other.contactId)), {
      method: 'POST',
      headers: bearer ? { authorization: `Bearer ${token}` } : {},
    });
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ error, message: expect.any(String) });
    const contact = (await (await fetch(`${sim.current.url}/_sim/contacts/${other.contactId}`)).json()) as Record<string, unknown>;
    expect(contact.state).toBe('active');
  });

  it('GET contacts/active without a token → 401', async () => {
    const response = await fetch(api('/contacts/active'));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'unauthorized' });
  });
});

describe('simulator: default param limit', () => {
  const sim = useSimulator();

  it.each([
    { name: 'at the shared limit', length: MAX_SIGNAL_PARAM_LENGTH, status: 202 },
    { name: 'one over the shared limit', length: MAX_SIGNAL_PARAM_LENGTH + 1, status: 400 },
  ])('a body param $name ($length characters, emoji count as one) → $status', async ({ length, status }) => {
    const { access_token: token } = await passwordGrant(sim.current.url);
    const { contactId } = await createCall(sim.current.url);
    const response = await fetch(`${sim.current.url}/incontactapi/services/v30.0/interactions/${contactId}/signal`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ p1: '😀'.repeat(length) }),
    });
    expect(response.status).toBe(status);
  });
});

describe('simulator: configurable signal status', () => {
  const sim = useSimulator({ signalStatus: 200 });

  it('answers an accepted signal with the configured status', async () => {
    const { access_token: token } = await passwordGrant(sim.current.url);
    const { contactId } = await createCall(sim.current.url);
    const response = await fetch(`${sim.current.url}/incontactapi/services/v30.0/interactions/${contactId}/signal?p1=a`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
  });
});
