/**
 * The HTTP + GraphQL layer over a fake `HandoffOperations`, driven with fastify's `inject`: auth and
 * scopes, input validation, error codes and HTTP statuses, probes, logs.
 */
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { type FastifyInstance } from 'fastify';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Tenant } from '../../src/config/tenant.js';
import { createTenantRegistry } from '../../src/config/tenant-registry.js';
import { SipParseError, StoreUnavailableError } from '../../src/handoff/errors.js';
import { type ParsedInvite } from '../../src/handoff/model.js';
import { hashKey } from '../../src/http/auth.js';
import { createLogger } from '../../src/common/logger.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { FakeHandoffs } from './graphql-fake-handoffs.js';
import { testHttpConfig } from './http-config.js';

function tenant(id: string, number: string): Tenant {
  return {
    id,
    cxone: {
      issuer: 'http://127.0.0.1:1',
      apiVersion: 'v30.0',
      credentials: { clientId: 'c', clientSecret: 's', accessKeyId: 'k', accessKeySecret: 'ks' },
    },
    pseudoNumbers: [number],
    contactIdHeaders: ['X-InContact-ContactId'],
    keys: [
      { name: 'runtime', sha256: hashKey(`${id}-signal`), scope: 'signal' },
      { name: 'screen-pop', sha256: hashKey(`${id}-read`), scope: 'read' },
    ],
  };
}

/** A stand-in for `parseInvite`: Request-URI number and the contact-id header, nothing more. */
function fakeParseInvite(text: string, options: { readonly contactIdHeaders: readonly string[] }): ParsedInvite {
  const uri = /^INVITE sip:(\+\d+)@/.exec(text);
  if (!uri?.[1]) throw new SipParseError('the request line is not an INVITE', 'request-line');
  const name = options.contactIdHeaders[0] ?? '';
  const header = new RegExp(`^${name}:\\s*(\\d+)\\s*$`, 'im').exec(text);
  if (!header?.[1]) throw new SipParseError(`no ${name} header`, name);
  return {
    requestUri: `sip:${uri[1]}@x`,
    pseudoNumber: uri[1],
    from: 'sip:+15551234567@x',
    callId: 'call-1',
    contactId: header[1],
    masterContactId: null,
    cxoneContext: { standard: null, custom: null, extended: null },
    warnings: [],
  };
}

const invite = (number: string, contactId = '4242') => `INVITE sip:${number}@gw SIP/2.0\r\nX-InContact-ContactId: ${contactId}\r\n\r\n`;

const SIGNAL = /* GraphQL */ `
  mutation Signal($input: SignalContactInput!) {
    signalContact(input: $input) { handoff { id contactId state params context attempts call { pseudoNumber sipCallId } } }
  }
`;
const STATUS = /* GraphQL */ `query Status($contactId: String!) { handoffStatus(contactId: $contactId) { id params } }`;

interface GqlResponse {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  raw: string;
  headers: Record<string, unknown>;
}

describe('HTTP server (fake handoffs)', () => {
  const handoffs = new FakeHandoffs();
  const logLines: string[] = [];
  let server: HttpServer;
  let app: FastifyInstance;
  let storeUp = true;

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        callback();
      },
    });
    server = await createHttpServer({
      config: testHttpConfig({
        http: { requestTimeoutMs: 500 },
        limits: { maxParamLength: 16, maxContextBytes: 64, maxContextDepth: 4, maxSipInviteBytes: 512, maxQueryDepth: 4, maxQueryComplexity: 40 },
      }),
      tenants: createTenantRegistry([tenant('acme', '+15550100001'), tenant('globex', '+15550100002')]),
      handoffs,
      calls: handoffs,
      store: {
        ping: async () => {
          if (!storeUp) throw new StoreUnavailableError();
        },
      },
      parseInvite: fakeParseInvite,
      log: createLogger({ level: 'info', destination }),
    });
    app = server.app;
  });
  afterAll(async () => await server.close());
  beforeEach(() => {
    storeUp = true;
  });

  async function gql(query: string, variables: Record<string, unknown> = {}, key?: string): Promise<GqlResponse> {
    const res = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      payload: JSON.stringify({ query, variables }),
    });
    return { status: res.statusCode, body: res.json(), raw: res.body, headers: res.headers };
  }
  const code = (r: GqlResponse) => r.body.errors?.[0]?.extensions?.code;

  describe('authentication and scopes', () => {
    it('signals with a signal key and returns the handoff', async () => {
      const r = await gql(SIGNAL, { input: { contactId: '1001', params: ['a', 'b'], context: { lang: 'en' } } }, 'acme-signal');
      expect(r.status).toBe(200);
      expect(r.body.data).toMatchObject({ signalContact: { handoff: { contactId: '1001', state: 'SIGNALED', params: ['a', 'b'], context: { lang: 'en' }, call: null } } });
      expect(handoffs.signals.at(-1)).toEqual({ tenantId: 'acme', request: { contactId: '1001', params: ['a', 'b'], context: { lang: 'en' }, idempotencyKey: null, sharedId: null, conversationId: null } });
    });

    it.each([
      ['no key', undefined],
      ['an unknown key', 'nope'],
    ])('answers UNAUTHENTICATED (401) to %s, and runs nothing (no data at all)', async (_name, key) => {
      const before = handoffs.signals.length;
      const r = await gql(STATUS, { contactId: '1001' }, key);
      expect(r.status).toBe(401);
      expect(code(r)).toBe('UNAUTHENTICATED');
      expect(r.body).not.toHaveProperty('data');
      const m = await gql(SIGNAL, { input: { contactId: '1001', params: ['a'] } }, key);
      expect(m.status).toBe(401);
      expect(m.body).not.toHaveProperty('data');
      expect(handoffs.signals.length).toBe(before);
    });

    it('refuses an operation that mixes introspection with a real field when there is no key', async () => {
      const r = await gql('query ($c: String!) { __typename handoffStatus(contactId: $c) { id } }', { c: '1001' });
      expect(r.status).toBe(401);
      expect(r.body).not.toHaveProperty('data');
    });

    it('answers UNAUTHENTICATED (401) to a header that is not Bearer', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', authorization: 'Basic YTpi' },
        payload: JSON.stringify({ query: STATUS, variables: { contactId: '1' } }),
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().errors[0].extensions.code).toBe('UNAUTHENTICATED');
    });

    it('lets introspection through without a key', async () => {
      const r = await gql('{ __schema { queryType { name } } }');
      expect(r.status).toBe(200);
      expect(r.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    });

    it.each([
      ['signalContact', SIGNAL, { input: { contactId: '1' } }],
      ['registerCall', 'mutation($s: String!) { registerCall(sipInvite: $s) { contactId } }', { s: invite('+15550100001') }],
      ['retryHandoff', 'mutation { retryHandoff(id: "00000000-0000-4000-8000-000000000000") { handoff { id } } }', {}],
    ])('answers FORBIDDEN (403) to a read key calling %s', async (_name, query, variables) => {
      const before = handoffs.signals.length;
      const r = await gql(query, variables, 'acme-read');
      expect(r.status).toBe(403);
      expect(code(r)).toBe('FORBIDDEN');
      expect(handoffs.signals.length).toBe(before);
    });

    it('lets a read key and a signal key read their own tenant, and nobody read another tenant', async () => {
      await gql(SIGNAL, { input: { contactId: '2002', params: ['x'] } }, 'acme-signal');
      for (const key of ['acme-read', 'acme-signal']) {
        const r = await gql(STATUS, { contactId: '2002' }, key);
        expect(r.body.data).toMatchObject({ handoffStatus: { params: ['x'] } });
      }
      const other = await gql(STATUS, { contactId: '2002' }, 'globex-read');
      expect(other.status).toBe(200);
      expect(other.body).toEqual({ data: { handoffStatus: null } });
      const id = handoffs.handoffs.at(-1)?.id;
      const byId = await gql('query($id: ID!) { handoff(id: $id) { id } }', { id }, 'globex-signal');
      expect(byId.body).toEqual({ data: { handoff: null } });
      const retry = await gql('mutation($id: ID!) { retryHandoff(id: $id) { handoff { id } } }', { id }, 'globex-signal');
      expect(code(retry)).toBe('NOT_FOUND');
      expect(retry.status).toBe(404);
    });
  });

  describe('input validation: BAD_USER_INPUT naming the field, never quoting the value', () => {
    const secret = 'S3CR3T';
    it.each([
      ['letters in contactId', { contactId: `12${secret}` }, 'input.contactId'],
      ['an empty contactId', { contactId: '' }, 'input.contactId'],
      ['a 21-digit contactId', { contactId: '1'.repeat(21) }, 'input.contactId'],
      ['10 params', { contactId: '1', params: Array.from({ length: 10 }, () => secret) }, 'input.params'],
      ['a param longer than MAX_PARAM_LENGTH', { contactId: '1', params: ['ok', `${secret}${'x'.repeat(16)}`] }, 'input.params[1]'],
      ['a param with a newline', { contactId: '1', params: [`${secret}\nX-Evil: 1`] }, 'input.params[0]'],
      ['a param with NUL', { contactId: '1', params: [`${secret}\u0000`] }, 'input.params[0]'],
      ['a context larger than MAX_CONTEXT_BYTES', { contactId: '1', context: { note: secret.repeat(20) } }, 'input.context'],
      ['a context nested deeper than MAX_CONTEXT_DEPTH', { contactId: '1', context: { s: secret, a: { a: { a: { a: { a: 1 } } } } } }, 'input.context'],
      ['a context array nested deeper than MAX_CONTEXT_DEPTH', { contactId: '1', context: [[[[[secret]]]]] }, 'input.context'],
      ['a NUL in a context string', { contactId: '1', context: { s: `${secret}\u0000` } }, 'input.context'],
      ['a NUL in a context key', { contactId: '1', context: { [`${secret}\u0000`]: 1 } }, 'input.context'],
      ['a lone surrogate in a context string', { contactId: '1', context: [`${secret}\ud800`] }, 'input.context'],
      ['a lone surrogate in a context key', { contactId: '1', context: { [`${secret}\udc00`]: 1 } }, 'input.context'],
      ['a lone high surrogate in a param', { contactId: '1', params: [`${secret}\ud800`] }, 'input.params[0]'],
      ['a lone low surrogate in a param', { contactId: '1', params: ['ok', `\udfff${secret}`] }, 'input.params[1]'],
      ['a right-to-left override in a param', { contactId: '1', params: [`${secret}\u202e`] }, 'input.params[0]'],
      ['a first-strong isolate in a param', { contactId: '1', params: [`${secret}\u2068`] }, 'input.params[0]'],
      ['a line separator in a param', { contactId: '1', params: [`${secret}\u2028`] }, 'input.params[0]'],
      ['a paragraph separator in a param', { contactId: '1', params: [`${secret}\u2029`] }, 'input.params[0]'],
      ['an empty idempotencyKey', { contactId: '1', idempotencyKey: '' }, 'input.idempotencyKey'],
      ['a 129-character idempotencyKey', { contactId: '1', idempotencyKey: secret + 'k'.repeat(123) }, 'input.idempotencyKey'],
      ['a non-printable idempotencyKey', { contactId: '1', idempotencyKey: `${secret}\u00e9` }, 'input.idempotencyKey'],
      ['an empty sharedId', { contactId: '1', sharedId: '' }, 'input.sharedId'],
      ['a 129-character sharedId', { contactId: '1', sharedId: secret + 's'.repeat(123) }, 'input.sharedId'],
      ['a sharedId with a leading space', { contactId: '1', sharedId: ` ${secret}` }, 'input.sharedId'],
      ['a sharedId with a newline', { contactId: '1', sharedId: `${secret}\n` }, 'input.sharedId'],
      ['a non-ASCII conversationId', { contactId: '1', conversationId: `${secret}\u00e9` }, 'input.conversationId'],
      ['a 129-character conversationId', { contactId: '1', conversationId: secret + 'c'.repeat(123) }, 'input.conversationId'],
      ['a conversationId with a trailing space', { contactId: '1', conversationId: `${secret} ` }, 'input.conversationId'],
    ])('refuses %s', async (_name, input, field) => {
      const before = handoffs.signals.length;
      const r = await gql(SIGNAL, { input }, 'acme-signal');
      expect(r.status).toBe(400);
      expect(code(r)).toBe('BAD_USER_INPUT');
      expect(r.body.errors?.[0]?.extensions?.field).toBe(field);
      expect(r.raw).not.toContain(secret);
      expect(handoffs.signals.length).toBe(before);
    });

    it('accepts exactly 9 params of MAX_PARAM_LENGTH characters and an idempotencyKey of 128', async () => {
      const r = await gql(SIGNAL, { input: { contactId: '12345678901234567890', params: Array.from({ length: 9 }, () => 'é'.repeat(16)), idempotencyKey: 'k'.repeat(128) } }, 'acme-signal');
      expect(r.body.errors).toBeUndefined();
      expect(r.body.data).toMatchObject({ signalContact: { handoff: { state: 'SIGNALED' } } });
    });

    it('keeps sharedId and conversationId (128 characters at most, inner spaces allowed) and returns them on the handoff', async () => {
      const sharedId = `crm ${'s'.repeat(124)}`;
      const input = { contactId: '1', sharedId, conversationId: 'conv-1' };
      const r = await gql('mutation S($input: SignalContactInput!) { signalContact(input: $input) { handoff { sharedId conversationId } } }', { input }, 'acme-signal');
      expect(r.body.errors).toBeUndefined();
      expect(r.body.data).toEqual({ signalContact: { handoff: { sharedId, conversationId: 'conv-1' } } });
      expect(handoffs.signals.at(-1)?.request).toMatchObject({ sharedId, conversationId: 'conv-1' });
      const without = await gql('mutation S($input: SignalContactInput!) { signalContact(input: $input) { handoff { sharedId conversationId } } }', { input: { contactId: '2' } }, 'acme-signal');
      expect(without.body.data).toEqual({ signalContact: { handoff: { sharedId: null, conversationId: null } } });
    });

    it('accepts the format characters real text uses in params (ZWJ, ZWNJ, LRM/RLM, soft hyphen) and keeps them exactly', async () => {
      const params = ['👨\u200d👩\u200d👧', 'می\u200cخواهم', '\u200fשלום\u200e', 'co\u00adop'];
      const r = await gql(SIGNAL, { input: { contactId: '1001', params } }, 'acme-signal');
      expect(r.body.errors).toBeUndefined();
      expect(handoffs.signals.at(-1)?.request.params).toEqual(params);
    });

    it('accepts a context exactly MAX_CONTEXT_DEPTH deep', async () => {
      const r = await gql(SIGNAL, { input: { contactId: '1001', context: { a: [{ b: [1] }] } } }, 'acme-signal');
      expect(r.body.errors).toBeUndefined();
    });

    it.each([
      ['1e400', '1e400'],
      ['-1e400', '-1e400'],
      ['a non-finite number deep in an array', '[1, [2, 1e999]]'],
    ])('refuses a context holding %s (Infinity, which JSON would store as null)', async (_name, literal) => {
      const before = handoffs.signals.length;
      const res = await app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', authorization: 'Bearer acme-signal' },
        payload: `{"query":${JSON.stringify(SIGNAL)},"variables":{"input":{"contactId":"1","context":{"n":${literal}}}}}`,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.context' });
      expect(handoffs.signals.length).toBe(before);
    });

    it('cuts a variable-coercion error down to the field, without the submitted value', async () => {
      const r = await gql(SIGNAL, { input: { contactId: 5, params: [`${secret}`], context: secret } }, 'acme-signal');
      expect(r.status).toBe(400);
      expect(code(r)).toBe('BAD_USER_INPUT');
      expect(r.body.errors?.[0]?.extensions?.field).toBe('input.contactId');
      expect(r.raw).not.toContain(secret);
    });

    it.each([
      ['handoffStatus(contactId)', 'query { handoffStatus(contactId: "abc") { id } }', 'contactId'],
      ['handoffs(first: 0)', 'query { handoffs(first: 0) { edges { cursor } } }', 'first'],
      ['handoffs(first: 101)', 'query { handoffs(first: 101) { edges { cursor } } }', 'first'],
      ['handoffs(contactId)', 'query { handoffs(contactId: "x1") { edges { cursor } } }', 'contactId'],
    ])('refuses a bad %s', async (_name, query, field) => {
      const r = await gql(query, {}, 'acme-read');
      expect(code(r)).toBe('BAD_USER_INPUT');
      expect(r.body.errors?.[0]?.extensions?.field).toBe(field);
    });
  });

  describe('registerCall', () => {
    const REGISTER = 'mutation($s: String!) { registerCall(sipInvite: $s) { contactId pseudoNumber sipCallId } }';
    it("records a call to the tenant's own pseudo number, and Handoff.call shows it", async () => {
      const r = await gql(REGISTER, { s: invite('+15550100001', '777') }, 'acme-signal');
      expect(r.body).toEqual({ data: { registerCall: { contactId: '777', pseudoNumber: '+15550100001', sipCallId: 'call-1' } } });
      const s = await gql(SIGNAL, { input: { contactId: '777' } }, 'acme-signal');
      expect(s.body.data).toMatchObject({ signalContact: { handoff: { call: { pseudoNumber: '+15550100001', sipCallId: 'call-1' } } } });
    });

    it.each([
      ["another tenant's number", '+15550100002'],
      ['a number no tenant owns', '+15550199999'],
    ])('answers FORBIDDEN to %s', async (_name, number) => {
      const r = await gql(REGISTER, { s: invite(number) }, 'acme-signal');
      expect(r.status).toBe(403);
      expect(code(r)).toBe('FORBIDDEN');
    });

    it('answers BAD_USER_INPUT (field sipInvite, part) to an INVITE the parser rejects', async () => {
      const r = await gql(REGISTER, { s: 'INVITE sip:+15550100001@gw SIP/2.0\r\n\r\n' }, 'acme-signal');
      expect(code(r)).toBe('BAD_USER_INPUT');
      expect(r.body.errors?.[0]?.extensions).toMatchObject({ field: 'sipInvite', part: 'X-InContact-ContactId' });
    });

    it('refuses an INVITE larger than MAX_SIP_INVITE_BYTES before parsing it', async () => {
      const r = await gql(REGISTER, { s: invite('+15550100001') + 'a'.repeat(600) }, 'acme-signal');
      expect(code(r)).toBe('BAD_USER_INPUT');
      expect(r.body.errors?.[0]?.extensions?.field).toBe('sipInvite');
    });
  });

  describe('error codes from the domain and the transport', () => {
    it('maps an idempotent replay to the same handoff and a changed replay to IDEMPOTENCY_CONFLICT (409)', async () => {
      const input = { contactId: '3003', params: ['p'], idempotencyKey: 'key-1' };
      const a = await gql(SIGNAL, { input }, 'acme-signal');
      const b = await gql(SIGNAL, { input }, 'acme-signal');
      expect(b.body.data).toEqual(a.body.data);
      const c = await gql(SIGNAL, { input: { ...input, params: ['q'] } }, 'acme-signal');
      expect(c.status).toBe(409);
      expect(code(c)).toBe('IDEMPOTENCY_CONFLICT');
    });

    it('maps StoreUnavailableError to SERVICE_UNAVAILABLE (503)', async () => {
      handoffs.failNext(new StoreUnavailableError({ cause: new Error('connect ECONNREFUSED 10.0.0.1:5432') }));
      const r = await gql(STATUS, { contactId: '1' }, 'acme-read');
      expect(r.status).toBe(503);
      expect(code(r)).toBe('SERVICE_UNAVAILABLE');
      expect(r.raw).not.toContain('ECONNREFUSED');
    });

    it('masks an unexpected error as INTERNAL_SERVER_ERROR with a correlation id in the response and the log, and no stack', async () => {
      handoffs.failNext(new Error('password=hunter2 at db.internal'));
      const r = await gql(STATUS, { contactId: '1' }, 'acme-read');
      expect(r.status).toBe(500);
      expect(code(r)).toBe('INTERNAL_SERVER_ERROR');
      expect(r.raw).not.toContain('hunter2');
      expect(r.raw).not.toContain('stacktrace');
      expect(r.raw).not.toMatch(/\bat .*\.(ts|js):\d+/);
      const correlationId = r.body.errors?.[0]?.extensions?.correlationId;
      expect(correlationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.body.errors?.[0]?.message).toContain(String(correlationId));
      const line = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.correlationId === correlationId);
      expect(line).toMatchObject({ level: 50 });
      expect(JSON.stringify(line)).toContain('hunter2'); // the operator sees the cause; the caller does not
    });

    it('maps NotRetryableError to BAD_USER_INPUT on id', async () => {
      await gql(SIGNAL, { input: { contactId: '4004' } }, 'acme-signal');
      const id = handoffs.handoffs.at(-1)?.id;
      const r = await gql('mutation($id: ID!) { retryHandoff(id: $id) { handoff { id } } }', { id }, 'acme-signal');
      expect(code(r)).toBe('BAD_USER_INPUT');
      expect(r.body.errors?.[0]?.extensions?.field).toBe('id');
    });

    it('answers NOT_FOUND to retryHandoff of an id that is not a handoff id', async () => {
      const r = await gql('mutation { retryHandoff(id: "not-a-uuid") { handoff { id } } }', {}, 'acme-signal');
      expect(code(r)).toBe('NOT_FOUND');
    });

    it.each([
      ['GRAPHQL_PARSE_FAILED', '{ handoffStatus(', 400],
      ['GRAPHQL_VALIDATION_FAILED', '{ nope }', 400],
    ])('answers %s', async (expected, query, status) => {
      const r = await gql(query, {}, 'acme-read');
      expect(r.status).toBe(status);
      expect(code(r)).toBe(expected);
    });

    it('answers QUERY_TOO_COMPLEX (400) to a query deeper than MAX_QUERY_DEPTH, before any resolver runs', async () => {
      handoffs.failNext(new Error('a resolver ran'));
      const r = await gql('query { handoffs { edges { node { call { contactId } } } } }', {}, 'acme-read');
      expect(r.status).toBe(400);
      expect(code(r)).toBe('QUERY_TOO_COMPLEX');
      expect(r.body.errors?.[0]?.message).toContain('5 fields deep; the limit is 4');
      handoffs.failNext(new Error('reset'));
      await gql(STATUS, { contactId: '1' }, 'acme-read'); // consumes the armed failure
    });

    it('counts fragments towards the depth', async () => {
      const r = await gql('query { handoffs { edges { ...E } } } fragment E on HandoffEdge { node { call { contactId } } }', {}, 'acme-read');
      expect(code(r)).toBe('QUERY_TOO_COMPLEX');
    });

    it('answers QUERY_TOO_COMPLEX to a batch of aliases over MAX_QUERY_COMPLEXITY', async () => {
      const aliases = Array.from({ length: 21 }, (_, i) => `a${i}: handoffStatus(contactId: "1") { id }`).join(' ');
      const r = await gql(`query { ${aliases} }`, {}, 'acme-read');
      expect(r.status).toBe(400);
      expect(code(r)).toBe('QUERY_TOO_COMPLEX');
      expect(r.body.errors?.[0]?.message).toContain('42 fields; the limit is 40');
    });

    it('exempts the introspection query from the limits', async () => {
      const r = await gql(getIntrospectionQuery());
      expect(r.status).toBe(200);
      expect(r.body.errors).toBeUndefined();
    });

    it('answers PAYLOAD_TOO_LARGE (413) as a GraphQL error to a body over BODY_LIMIT_BYTES', async () => {
      const r = await gql(SIGNAL, { input: { contactId: '1', context: { big: 'x'.repeat(9000) } } }, 'acme-signal');
      expect(r.status).toBe(413);
      expect(r.body.errors?.[0]?.extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE' });
    });

    it('answers BAD_REQUEST as a GraphQL error to a body that is not JSON', async () => {
      const res = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: '{"query": "{' });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0].extensions.code).toBe('BAD_REQUEST');
    });

    it('blocks a simple (CSRF-able) GET and serves a GET with a preflight header', async () => {
      const url = `/graphql?query=${encodeURIComponent('{ __typename }')}`;
      const blocked = await app.inject({ method: 'GET', url });
      expect(blocked.statusCode).toBe(400);
      expect(blocked.json().errors[0].extensions.code).toBe('BAD_REQUEST');
      const ok = await app.inject({ method: 'GET', url, headers: { 'apollo-require-preflight': 'true' } });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ data: { __typename: 'Query' } });
    });

    it('serves the explorer page to a browser navigating to /graphql', async () => {
      const res = await app.inject({ method: 'GET', url: '/graphql', headers: { accept: 'text/html' } });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['x-frame-options']).toBe('DENY');
    });

    it.each([
      { tenants: 'no tenant with a PolyAI project', polyai: false, panel: null },
      { tenants: 'a tenant with a PolyAI project', polyai: true, panel: {} },
    ])("the explorer's Handoff API panel, with $tenants: $panel", async ({ polyai, panel }) => {
      const other = await createHttpServer({
        config: testHttpConfig({}),
        tenants: createTenantRegistry([{ ...tenant('acme', '+15550100001'), ...(polyai ? { polyai: { accountId: 'ws-acme', projectId: 'PROJECT-acme' } } : {}) }]),
        handoffs,
        calls: handoffs,
        store: { ping: async () => undefined },
        parseInvite: fakeParseInvite,
        log: createLogger({ level: 'silent' }),
      });
      try {
        const res = await other.app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
        const config = JSON.parse(/const config = (.*);/.exec(res.body)?.[1] ?? 'null') as { handoffApi: unknown };
        expect(config.handoffApi).toEqual(panel);
      } finally {
        await other.close();
      }
    });

    it('does not serve the explorer page at /graphql to a non-loopback Host (DNS rebinding)', async () => {
      const res = await app.inject({ method: 'GET', url: '/graphql', headers: { accept: 'text/html', host: 'rebind.evil.example:4000' } });
      expect(res.headers['content-type']).not.toContain('text/html');
      expect(res.body).not.toContain('GraphiQL');
      const root = await app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html', host: 'rebind.evil.example:4000' } });
      expect(root.statusCode).toBe(404);
    });
  });

  describe('probes and logs', () => {
    it('answers /healthz 200', async () => {
      const res = await app.inject({ method: 'GET', url: '/healthz' });
      expect([res.statusCode, res.json()]).toEqual([200, { status: 'ok' }]);
    });

    it('answers 408 and closes the connection of a client trickling its body past REQUEST_TIMEOUT_MS (500 ms here)', async () => {
      const url = new URL(await server.listen(0, '127.0.0.1'));
      const socket = connect(Number(url.port), '127.0.0.1');
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write('POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 6000\r\n\r\n{');
      // One byte every 100 ms: never idle, never done.
      const trickle = setInterval(() => {
        if (!socket.destroyed) socket.write(' ');
      }, 100);
      try {
        await closed;
      } finally {
        clearInterval(trickle);
      }
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
    });

    it('answers /readyz 200 when the store answers and 503 when it does not', async () => {
      const up = await app.inject({ method: 'GET', url: '/readyz' });
      expect(up.statusCode).toBe(200);
      storeUp = false;
      const down = await app.inject({ method: 'GET', url: '/readyz' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({ status: 'unavailable' });
    });

    it('logs a request by method, path and operation name only: no query string, token or variables', async () => {
      logLines.length = 0;
      const variables = encodeURIComponent(JSON.stringify({ contactId: 'VAR-SECRET' }));
      const query = encodeURIComponent('query Status($contactId: String!) { handoffStatus(contactId: $contactId) { id } }');
      // No preflight header: a 400 (logged at info) for a GET carrying a token and variables in its URL.
      const res = await app.inject({ method: 'GET', url: `/graphql?query=${query}&operationName=Status&variables=${variables}&access_token=TOKEN-IN-URL` });
      expect(res.statusCode).toBe(400);
      const long = await app.inject({ method: 'POST', url: '/graphql?access_token=TOKEN-IN-URL', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ query: '{ __typename }', operationName: `Op${'x'.repeat(5000)}` }) });
      expect(long.statusCode).toBe(400);
      const text = logLines.join('\n');
      expect(text).not.toContain('TOKEN-IN-URL');
      expect(text).not.toContain('VAR-SECRET');
      expect(text).not.toContain('xxxxxxxxxx');
      const lines = logLines.map((l) => JSON.parse(l) as { msg?: string; request?: unknown });
      expect(lines.filter((l) => l.msg === 'request completed').map((l) => l.request)).toEqual([
        { method: 'GET', path: '/graphql', operationName: 'Status' },
        { method: 'POST', path: '/graphql' },
      ]);
    });

    it('keeps a plain X-Request-Id, logs tenant and contact ids, and never logs the key', async () => {
      logLines.length = 0;
      const res = await app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', authorization: 'Bearer acme-signal', 'x-request-id': 'req-123' },
        payload: JSON.stringify({ query: SIGNAL, variables: { input: { contactId: '5005' } } }),
      });
      expect(res.headers['x-request-id']).toBe('req-123');
      const lines = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toContainEqual(expect.objectContaining({ requestId: 'req-123', tenantId: 'acme', contactId: '5005', msg: 'signalContact' }));
      expect(logLines.join('\n')).not.toContain('acme-signal');
    });
  });
});
