/**
 * The REST Handoff API (PolyAI-compatible) over HTTP against the real stack (simulator + gateway +
 * PGlite): `GET /v1/{account}/{project}/handoff_state?id=…|shared_id=…` with `x-api-key`.
 * Two tenants with a PolyAI project each: keys, lookups, precedence, isolation without an oracle,
 * hostile inputs, and no key in any answer or log line.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/common/logger.js';
import { HANDOFF_API_MESSAGES } from '../../src/http/handoff-api.js';
import { startStack, type Stack, type StackTenant } from '../helpers/stack.js';
import { ACME as ACME_BASE, GLOBEX as GLOBEX_BASE, TWO_TENANT_SEED as seed } from '../helpers/two-tenants.js';
import { type HandoffView, signal, SIGNAL } from './gateway-operations.js';

/** Key values unlike the keys' names (`acme-read`...), so a search for them in logs means something. */
const KEYS = { acmeRead: 'hk-acme-read-7Qx', acmeSignal: 'hk-acme-signal-7Qx', globexRead: 'hk-globex-read-7Qx', globexSignal: 'hk-globex-signal-7Qx' } as const;
const ACME: StackTenant = { ...ACME_BASE, keys: { read: KEYS.acmeRead, signal: KEYS.acmeSignal }, polyai: { accountId: 'ws-acme01', projectId: 'PROJECT-acme01' } };
const GLOBEX: StackTenant = { ...GLOBEX_BASE, keys: { read: KEYS.globexRead, signal: KEYS.globexSignal }, polyai: { accountId: 'ws-globex01', projectId: 'PROJECT-globex01' } };
const ACME_PATH = '/v1/ws-acme01/PROJECT-acme01/handoff_state';
const GLOBEX_PATH = '/v1/ws-globex01/PROJECT-globex01/handoff_state';
let serial = 0;
/** An id no other test uses. */
const unique = (prefix: string): string => `${prefix}-${process.pid}-${(serial += 1)}`;

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly text: string;
  readonly headers: Headers;
}

const NOT_FOUND = { status: 404, body: { message: HANDOFF_API_MESSAGES.notFound } };

describe('Handoff API (PolyAI-compatible)', () => {
  let stack: Stack;
  const logLines: string[] = [];

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    stack = await startStack({ tenants: [ACME, GLOBEX], simulator: { seed }, deps: { log: createLogger({ level: 'debug', destination }) } });
  });
  afterAll(async () => await stack?.close());

  /** GETs `path` + query; `key` goes in `x-api-key` (null: no header). */
  async function get(path: string, query: Record<string, string> | string, key: string | null = KEYS.acmeRead, headers: Record<string, string> = {}): Promise<Answer> {
    const qs = typeof query === 'string' ? query : new URLSearchParams(query).toString();
    const res = await fetch(`${stack.gatewayUrl}${path}${qs === '' ? '' : `?${qs}`}`, { headers: { ...(key === null ? {} : { 'x-api-key': key }), ...headers } });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // left empty: the status tells
    }
    return { status: res.status, body, text, headers: res.headers };
  }

  async function acmeHandoff(input: Record<string, unknown> = {}): Promise<HandoffView> {
    const call = await stack.sim.createCall({ pseudoNumber: ACME.pseudoNumbers[0] });
    return await signal(stack, { contactId: call.contactId, params: ['billing', 'gold'], context: { customer_id: '12345', handoff_reason: 'dispute' }, ...input }, KEYS.acmeSignal);
  }

  it('answers a read key with { id, data, shared_id }: the context at the top of data, the handoff under data.gateway', async () => {
    const h = await acmeHandoff();
    const res = await get(ACME_PATH, { shared_id: h.contactId });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({
      id: h.id,
      shared_id: h.contactId,
      data: {
        customer_id: '12345',
        handoff_reason: 'dispute',
        gateway: {
          handoffId: h.id,
          contactId: h.contactId,
          sharedId: null,
          conversationId: null,
          state: 'SIGNALED',
          params: ['billing', 'gold'],
          createdAt: h.createdAt,
          signaledAt: h.signaledAt,
        },
      },
    });
  });

  it('answers a signal key the same (a signal key may read, as in GraphQL)', async () => {
    const h = await acmeHandoff();
    const asRead = await get(ACME_PATH, { shared_id: h.contactId }, KEYS.acmeRead);
    const asSignal = await get(ACME_PATH, { shared_id: h.contactId }, KEYS.acmeSignal);
    expect(asSignal.status).toBe(200);
    expect(asSignal.body).toEqual(asRead.body);
  });

  it('finds a handoff by its explicit sharedId and by its conversationId, and answers them as shared_id and id', async () => {
    const [sharedId, conversationId] = [unique('crm'), unique('conv')];
    const h = await acmeHandoff({ sharedId, conversationId });
    const bySharedId = await get(ACME_PATH, { shared_id: sharedId });
    expect(bySharedId.status).toBe(200);
    expect(bySharedId.body).toMatchObject({ id: conversationId, shared_id: sharedId, data: { gateway: { handoffId: h.id, contactId: h.contactId, sharedId, conversationId } } });
    // The conversation id as id, and the contact id as shared_id, reach the same handoff.
    expect((await get(ACME_PATH, { id: conversationId })).body).toEqual(bySharedId.body);
    expect((await get(ACME_PATH, { shared_id: h.contactId })).body).toEqual(bySharedId.body);
    // Not the other way round: a conversation id is no shared id.
    expect((await get(ACME_PATH, { shared_id: conversationId })).status).toBe(404);
  });

  it('finds a handoff by its handoff id as id', async () => {
    const h = await acmeHandoff();
    const res = await get(ACME_PATH, { id: h.id });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: h.id, shared_id: h.contactId });
  });

  it('lets shared_id win over id when both are given, without falling back to id', async () => {
    const byContact = await acmeHandoff();
    const conversationId = unique('conv-wins');
    const byConversation = await acmeHandoff({ conversationId });
    const both = await get(ACME_PATH, { id: conversationId, shared_id: byContact.contactId });
    expect(both.status).toBe(200);
    expect((both.body['data'] as { gateway: { handoffId: string } }).gateway.handoffId).toBe(byContact.id);
    // id alone would have found the other handoff; with an unknown shared_id beside it, nothing is found.
    expect((await get(ACME_PATH, { id: conversationId })).body).toMatchObject({ id: conversationId, data: { gateway: { handoffId: byConversation.id } } });
    const unknown = await get(ACME_PATH, { id: conversationId, shared_id: 'no-such-shared-id' });
    expect({ status: unknown.status, body: unknown.body }).toEqual(NOT_FOUND);
    // An empty shared_id counts as absent: id is used.
    const emptyShared = await get(ACME_PATH, `id=${encodeURIComponent(conversationId)}&shared_id=`);
    expect(emptyShared.status).toBe(200);
    expect((emptyShared.body['data'] as { gateway: { handoffId: string } }).gateway.handoffId).toBe(byConversation.id);
  });

  it('treats sharedId and conversationId as part of the idempotent input: the same replays, another conflicts', async () => {
    const [key, sharedId] = [unique('idem'), unique('crm')];
    const first = await acmeHandoff({ idempotencyKey: key, sharedId });
    const call = { contactId: first.contactId, params: ['billing', 'gold'], context: { customer_id: '12345', handoff_reason: 'dispute' }, idempotencyKey: key };
    expect((await signal(stack, { ...call, sharedId }, KEYS.acmeSignal)).id).toBe(first.id);
    const changed = await stack.gql(SIGNAL, { input: { ...call, sharedId: unique('crm') } }, KEYS.acmeSignal);
    expect(changed.body.errors?.[0]?.extensions?.['code']).toBe('IDEMPOTENCY_CONFLICT');
    const added = await stack.gql(SIGNAL, { input: { ...call, sharedId, conversationId: unique('conv') } }, KEYS.acmeSignal);
    expect(added.body.errors?.[0]?.extensions?.['code']).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('answers the latest handoff of a contact', async () => {
    const first = await acmeHandoff();
    const second = await signal(stack, { contactId: first.contactId, params: ['second'], context: { customer_id: 'later' } }, KEYS.acmeSignal);
    const res = await get(ACME_PATH, { shared_id: first.contactId });
    expect(res.body).toMatchObject({ id: second.id, data: { customer_id: 'later', gateway: { handoffId: second.id, params: ['second'] } } });
  });

  it('puts a context that is not an object under data.context, leaves it out when null, and keeps data.gateway for the gateway', async () => {
    const list = await acmeHandoff({ context: ['a', 1] });
    expect((await get(ACME_PATH, { id: list.id })).body['data']).toMatchObject({ context: ['a', 1], gateway: { handoffId: list.id } });
    const none = await acmeHandoff({ context: null });
    expect(Object.keys((await get(ACME_PATH, { id: none.id })).body['data'] as object)).toEqual(['gateway']);
    const clash = await acmeHandoff({ context: { gateway: 'the agent wrote this', other: 1 } });
    expect((await get(ACME_PATH, { id: clash.id })).body['data']).toMatchObject({ other: 1, gateway: { handoffId: clash.id } });
  });

  it("reads another tenant's project, or another tenant's data on one's own path, exactly as a handoff that does not exist (404, no oracle)", async () => {
    const h = await acmeHandoff({ sharedId: unique('iso') });
    const unknownOnOwnPath = await get(ACME_PATH, { shared_id: 'does-not-exist' });
    expect({ status: unknownOnOwnPath.status, body: unknownOnOwnPath.body }).toEqual(NOT_FOUND);
    const cases: [string, Answer][] = [
      ["globex's read key on acme's path", await get(ACME_PATH, { shared_id: h.contactId }, KEYS.globexRead)],
      ["globex's signal key on acme's path, by handoff id", await get(ACME_PATH, { id: h.id }, KEYS.globexSignal)],
      ["acme's key on globex's path", await get(GLOBEX_PATH, { shared_id: h.contactId }, KEYS.acmeRead)],
      ["globex's key on its own path, for acme's contact", await get(GLOBEX_PATH, { shared_id: h.contactId }, KEYS.globexRead)],
      ["globex's key on its own path, for acme's handoff id", await get(GLOBEX_PATH, { id: h.id }, KEYS.globexRead)],
      ['an account nobody has', await get('/v1/ws-nobody/PROJECT-acme01/handoff_state', { shared_id: h.contactId })],
      ["acme's account with globex's project", await get('/v1/ws-acme01/PROJECT-globex01/handoff_state', { shared_id: h.contactId })],
    ];
    for (const [what, res] of cases) {
      expect({ what, status: res.status, text: res.text }).toEqual({ what, status: 404, text: unknownOnOwnPath.text });
    }
  });

  it('answers 401 without a key, with an unknown key, and with the key only in Authorization', async () => {
    const h = await acmeHandoff();
    const none = await get(ACME_PATH, { shared_id: h.contactId }, null);
    expect({ status: none.status, body: none.body }).toEqual({ status: 401, body: { message: HANDOFF_API_MESSAGES.missingKey } });
    const empty = await get(ACME_PATH, { shared_id: h.contactId }, '');
    expect(empty.status).toBe(401);
    const unknown = await get(ACME_PATH, { shared_id: h.contactId }, 'not-a-key-of-anyone');
    expect({ status: unknown.status, body: unknown.body }).toEqual({ status: 401, body: { message: HANDOFF_API_MESSAGES.unknownKey } });
    const bearer = await get(ACME_PATH, { shared_id: h.contactId }, null, { authorization: `Bearer ${KEYS.acmeRead}` });
    expect(bearer.status).toBe(401);
    // 401 comes before anything else: a bad request without a key is still 401.
    expect((await get('/v1/ws-nobody/x/handoff_state', {}, null)).status).toBe(401);
  });

  it('answers 400 with neither id nor shared_id (absent or empty), or a value given twice', async () => {
    for (const query of ['', 'id=', 'shared_id=', 'id=&shared_id=', 'other=1']) {
      const res = await get(ACME_PATH, query);
      expect({ query, status: res.status, body: res.body }).toEqual({ query, status: 400, body: { message: HANDOFF_API_MESSAGES.noId } });
    }
    const twice = await get(ACME_PATH, 'shared_id=1&shared_id=2');
    expect([twice.status, twice.body['message']]).toEqual([400, 'shared_id must be given once.']);
  });

  it('answers hostile inputs with 400, 404, 414 or 431, never 500, and echoes none of them', async () => {
    const cases: [string, string, string, number][] = [
      ['a 10,000-character id', ACME_PATH, `id=${'x'.repeat(10_000)}`, 400],
      ['a 129-character shared_id', ACME_PATH, `shared_id=${'9'.repeat(129)}`, 400],
      ['a 20,000-character id (over the header limit)', ACME_PATH, `id=${'x'.repeat(20_000)}`, 431],
      ['a unicode shared_id', ACME_PATH, `shared_id=${encodeURIComponent('１２３😀')}`, 400],
      ['a NUL in id', ACME_PATH, 'id=ab%00cd', 400],
      ['a newline in shared_id', ACME_PATH, 'shared_id=12%0D%0A34', 400],
      ['a leading space in id', ACME_PATH, 'id=%20abc', 400],
      ['SQL in id', ACME_PATH, `id=${encodeURIComponent("1' OR '1'='1")}`, 404],
      ['SQL in shared_id', ACME_PATH, `shared_id=${encodeURIComponent("1'; DROP TABLE handoffs; --")}`, 404],
      ['path traversal in id', ACME_PATH, `id=${encodeURIComponent('../../etc/passwd')}`, 404],
      ['encoded path traversal in the account id', '/v1/%2e%2e%2f%2e%2e%2fetc/PROJECT-acme01/handoff_state', 'id=1', 404],
      ['an encoded slash in the account id', '/v1/ws-acme01%2FPROJECT-acme01/PROJECT-acme01/handoff_state', 'id=1', 404],
      ['a unicode account id', `/v1/${encodeURIComponent('ws-ácme01')}/PROJECT-acme01/handoff_state`, 'id=1', 404],
      ['a 5,000-character account id (path segments are at most 100 characters)', `/v1/${'a'.repeat(5_000)}/PROJECT-acme01/handoff_state`, 'id=1', 414],
      ['a NUL in the project id', '/v1/ws-acme01/PROJECT-acme01%00/handoff_state', 'id=1', 404],
      ['an extra path segment', '/v1/ws-acme01/PROJECT-acme01/handoff_state/extra', 'id=1', 404],
    ];
    for (const [what, path, query, status] of cases) {
      const res = await get(path, query);
      expect({ what, status: res.status }).toEqual({ what, status });
      expect(res.text).not.toMatch(/\n\s+at\s|node_modules|\.[jt]s:\d+/);
      expect(res.text.includes('x'.repeat(100))).toBe(false);
    }
    // The gateway is still serving.
    expect((await fetch(`${stack.gatewayUrl}/healthz`)).status).toBe(200);
  });

  it('puts no key in any answer or log line, and logs reads with the tenant at debug', async () => {
    const h = await acmeHandoff();
    const res = await get(ACME_PATH, { shared_id: h.contactId });
    expect(res.status).toBe(200);
    const everything = logLines.join('\n');
    expect(everything).toContain('"handoff api read"');
    for (const key of Object.values(KEYS)) {
      expect(everything).not.toContain(key);
      expect(res.text).not.toContain(key);
    }
    expect(logLines.map((line) => JSON.parse(line) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({ msg: 'handoff api read', tenantId: 'acme', handoffId: h.id, contactId: h.contactId }),
    );
  });
});
