import { beforeAll, describe, expect, it } from 'vitest';
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
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('reads p1..p9 from a JSON body when the query has none', async () => {
    const response = await signal(contactId, '', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ p1: 'from-body', p2: 'b' }) });
    expect(response.status).toBe(202);
    expect((await lastSignal(contactId))?.params).toEqual(['from-body', 'b']);
  });

  it('prefers the query over the body, and fills a gap with an empty string', async () => {
    const response = await signal(contactId, '?p1=q&p3=three', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ p1: 'body' }) });
    expect(response.status).toBe(202);
    expect((await lastSignal(contactId))?.params).toEqual(['q', '', 'three']);
  });

  it('accepts a signal without parameters', async () => {
    expect((await signal(contactId)).status).toBe(202);
    expect((await lastSignal(contactId))?.params).toEqual([]);
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
    { name: 'an unknown contact', contact: () => '999999999999', status: 404, error: 'contact_not_found' },
    { name: 'an ended contact', contact: () => endedContactId, status: 404, error: 'contact_not_found' },
    { name: "another business unit's contact", contact: () => otherUnitContactId, status: 404, error: 'contact_not_found' },
  ];

  it.each(rows)('POST signal with $name → $status $error', async ({ contact, query = '?p1=a', body, type, bearer, status, error }) => {
    const response = await signal(
      contact?.() ?? contactId,
      body === undefined ? query : '',
      { ...(body === undefined ? {} : { body }), headers: type === undefined ? {} : { 'content-type': type } },
      bearer === undefined ? token : bearer(),
    );
    expect(response.status).toBe(status);
    expect(response.headers.get('correlationid')).toMatch(UUID);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ error, message: expect.any(String) });
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
