/**
 * Every request-error code of docs/architecture.md, "Errors", reached over HTTP against the real gateway, simulator and
 * store.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/handoff/errors.js';
import { createStore } from '../../src/store/create-store.js';
import { type HandoffStore } from '../../src/handoff/ports.js';
import { STACK_KEYS, startStack, type Stack } from '../helpers/stack.js';
import { copyPgliteTemplate } from '../helpers/pglite.js';
import { firstError, LIST, REGISTER, RETRY, SIGNAL, signal, STATUS } from './gateway-operations.js';

type Failure = 'none' | 'unavailable' | 'bug';

/** A real store whose operations can be made to fail, as an outage or as an unexpected bug. */
function failingStore(inner: HandoffStore, mode: () => Failure): HandoffStore {
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'close') return value;
      return (...args: unknown[]) => {
        const failure = mode();
        if (failure === 'unavailable') return Promise.reject(new StoreUnavailableError({ cause: new Error('connect ECONNREFUSED 10.9.9.9:5432') }));
        if (failure === 'bug') return Promise.reject(new Error('relation "handoffs" does not exist (password=hunter2)'));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

describe('gateway request errors', () => {
  let stack: Stack;
  let failure: Failure = 'none';
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cxgw-errors-'));
    await copyPgliteTemplate(join(dir, 'pglite'));
    const store = await createStore({ kind: 'pglite', dataDir: join(dir, 'pglite') }, { log: pino({ level: 'silent' }) });
    stack = await startStack({ env: { BODY_LIMIT_BYTES: '4096', MAX_CONTEXT_BYTES: '1024', MAX_QUERY_COMPLEXITY: '60' }, deps: { store: failingStore(store, () => failure) } });
  });
  afterAll(async () => {
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe('BAD_USER_INPUT names the field and never echoes the value', () => {
    const secret = 'S3CR3T';
    it.each([
      ['contactId with letters', { contactId: `9${secret}` }, 'input.contactId'],
      ['10 params', { contactId: '1', params: Array.from({ length: 10 }, (_, i) => `${secret}${i}`) }, 'input.params'],
      ['a param of 257 characters', { contactId: '1', params: [secret + 'x'.repeat(251)] }, 'input.params[0]'],
      ['a param with a control character', { contactId: '1', params: [`${secret}\r\n`] }, 'input.params[0]'],
      ['a context over MAX_CONTEXT_BYTES', { contactId: '1', context: { blob: secret.repeat(200) } }, 'input.context'],
      ['an idempotencyKey of 129 characters', { contactId: '1', idempotencyKey: secret.padEnd(129, 'k') }, 'input.idempotencyKey'],
      ['a wrongly typed field', { contactId: 1, params: secret }, 'input.contactId'],
    ])('%s', async (_name, input, field) => {
      const res = await stack.gql(SIGNAL, { input });
      expect(res.status).toBe(400);
      expect(firstError(res)).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(JSON.stringify(res.body)).not.toContain(secret);
    });

    it('a malformed SIP INVITE', async () => {
      const res = await stack.gql(REGISTER, { sipInvite: 'OPTIONS sip:x SIP/2.0\r\n\r\n' });
      expect(firstError(res)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'sipInvite' });
    });
  });

  it('GRAPHQL_PARSE_FAILED', async () => {
    const res = await stack.gql('mutation { signalContact(', {});
    expect([res.status, firstError(res)?.code]).toEqual([400, 'GRAPHQL_PARSE_FAILED']);
  });

  it('GRAPHQL_VALIDATION_FAILED', async () => {
    const res = await stack.gql('query { handoffStatus(contactId: "1") { nope } }', {});
    expect([res.status, firstError(res)?.code]).toEqual([400, 'GRAPHQL_VALIDATION_FAILED']);
  });

  it.each([
    ['no key', null],
    ['an unknown key', 'not-a-key'],
  ])('UNAUTHENTICATED for %s', async (_name, key) => {
    const res = await stack.gql(STATUS, { contactId: '1' }, key);
    expect([res.status, firstError(res)?.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('FORBIDDEN for a read key calling a mutation; nothing reaches CXone', async () => {
    const call = await stack.sim.createCall();
    const res = await stack.gql(SIGNAL, { input: { contactId: call.contactId } }, STACK_KEYS.read);
    expect([res.status, firstError(res)?.code]).toEqual([403, 'FORBIDDEN']);
    expect(await stack.sim.signals(call.contactId)).toEqual([]);
  });

  it('NOT_FOUND for retryHandoff of an unknown id', async () => {
    const res = await stack.gql(RETRY, { id: randomUUID() });
    expect([res.status, firstError(res)?.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('IDEMPOTENCY_CONFLICT for a key reused with another input; a true replay signals once', async () => {
    const call = await stack.sim.createCall();
    const input = { contactId: call.contactId, params: ['a'], idempotencyKey: `idem-${call.contactId}` };
    const first = await signal(stack, input);
    const replay = await signal(stack, input);
    expect(replay.id).toBe(first.id);
    expect(await stack.sim.signals(call.contactId)).toHaveLength(1);
    const conflict = await stack.gql(SIGNAL, { input: { ...input, params: ['b'] } });
    expect([conflict.status, firstError(conflict)?.code]).toEqual([409, 'IDEMPOTENCY_CONFLICT']);
  });

  it('QUERY_TOO_COMPLEX for a batch of aliased lookups over MAX_QUERY_COMPLEXITY', async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `c${i}: handoffStatus(contactId: "${i + 1}") { id }`).join('\n');
    const res = await stack.gql(`query { ${aliases} }`, {}, STACK_KEYS.read);
    expect([res.status, firstError(res)?.code]).toEqual([400, 'QUERY_TOO_COMPLEX']);
    expect(res.body.data).toBeUndefined();
  });

  it('PAYLOAD_TOO_LARGE for a body over BODY_LIMIT_BYTES', async () => {
    const res = await stack.gql(SIGNAL, { input: { contactId: '1', context: { blob: 'x'.repeat(5000) } } });
    expect(res.status).toBe(413);
    expect(firstError(res)).toEqual({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('SERVICE_UNAVAILABLE when the store is down, and /readyz says 503', async () => {
    failure = 'unavailable';
    try {
      const res = await stack.gql(SIGNAL, { input: { contactId: '12345' } });
      expect([res.status, firstError(res)?.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
      expect(JSON.stringify(res.body)).not.toContain('ECONNREFUSED');
      const ready = await fetch(`${stack.gatewayUrl}/readyz`);
      expect(ready.status).toBe(503);
    } finally {
      failure = 'none';
    }
  });

  it('INTERNAL_SERVER_ERROR, masked, with a correlation id and no stack trace', async () => {
    failure = 'bug';
    try {
      const res = await stack.gql(LIST, {}, STACK_KEYS.read);
      expect(res.status).toBe(500);
      const extensions = firstError(res);
      expect(extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      const text = JSON.stringify(res.body);
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('does not exist');
      expect(text).not.toContain('stacktrace');
    } finally {
      failure = 'none';
    }
  });
});
