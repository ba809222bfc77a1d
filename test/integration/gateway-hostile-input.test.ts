/**
 * Input that the stores cannot keep exactly (issue 13), over HTTP against the real gateway,
 * simulator and each store: a forged cursor, a context jsonb refuses or a serialiser cannot recurse
 * into, a param with a lone surrogate. Each is a 400 naming the field, never a 500; what is
 * accepted is stored, read back and sent to CXone exactly as it was sent.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.js';
import { type HandoffView, LIST, SIGNAL, STATUS } from './gateway-operations.js';

const nestedObjects = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i += 1) value = { a: value };
  return value;
};
const nestedArrays = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i += 1) value = [value];
  return value;
};

describe.each(['pglite', 'postgres'] as const)('hostile input on the %s store', (store) => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ store, postgresUrl: inject('postgresUrl') });
  });
  afterAll(async () => await stack?.close());

  it.each([
    ['not base64url', '!!!'],
    ['base64url of garbage', Buffer.from('hello').toString('base64url')],
    ['a v1 cursor without a uuid', Buffer.from('v1:1700000000000:nope').toString('base64url')],
    ['a v2 cursor', Buffer.from('v2:1700000000000:00000000-0000-4000-8000-000000000000').toString('base64url')],
  ])('a forged after cursor (%s) is 400 BAD_USER_INPUT on after', async (_name, after) => {
    const r = await stack.gql(LIST, { first: 2, after });
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    expect(JSON.stringify(r.body)).not.toContain(after);
  });

  it.each([
    ['a NUL in a string', { note: 'x\u0000y' }],
    ['a NUL in a key', { 'x\u0000y': 1 }],
    ['a lone surrogate', { note: '\ud800' }],
    ['2,500 nested objects (under MAX_CONTEXT_BYTES)', nestedObjects(2500)],
    ['3,000 nested arrays (under MAX_CONTEXT_BYTES)', nestedArrays(3000)],
    ['33 nested objects (over the default MAX_CONTEXT_DEPTH, 32)', nestedObjects(33)],
  ])('a context with %s is 400 on input.context', async (_name, context) => {
    const { contactId } = await stack.sim.createCall();
    const r = await stack.gql(SIGNAL, { input: { contactId, params: ['a'], context } });
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.context' });
    expect(await stack.sim.signals(contactId)).toHaveLength(0);
  });

  it('a context of 1e400 is 400 on input.context, not silently null', async () => {
    const { contactId } = await stack.sim.createCall();
    const res = await fetch(stack.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer stack-signal-key' },
      body: `{"query":${JSON.stringify(SIGNAL)},"variables":{"input":{"contactId":"${contactId}","context":{"n":1e400}}}}`,
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { extensions: Record<string, unknown> }[] };
    expect(body.errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.context' });
  });

  it('a context exactly MAX_CONTEXT_DEPTH deep is stored as sent', async () => {
    const { contactId } = await stack.sim.createCall();
    const context = nestedObjects(32);
    const r = await stack.gql<{ signalContact: { handoff: HandoffView } }>(SIGNAL, { input: { contactId, context } });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data?.signalContact.handoff.context).toEqual(context);
  });

  it.each([
    ['a lone high surrogate', ['ok', 'a\ud800b'], 'input.params[1]'],
    ['a lone low surrogate', ['\udc00'], 'input.params[0]'],
    ['a right-to-left override', ['invoice\u202eexe.pdf'], 'input.params[0]'],
    ['a line separator', ['a\u2028b'], 'input.params[0]'],
  ])('a param with %s is 400 on its index, and nothing is stored or signalled', async (_name, params, field) => {
    const { contactId } = await stack.sim.createCall();
    const r = await stack.gql(SIGNAL, { input: { contactId, params } });
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect((await stack.gql<{ handoffStatus: unknown }>(STATUS, { contactId })).body.data?.handoffStatus).toBeNull();
    expect(await stack.sim.signals(contactId)).toHaveLength(0);
  });

  it('accepted params are stored, read back and signalled exactly as sent (emoji, ZWJ, ZWNJ, RLM/LRM, astral characters)', async () => {
    const { contactId } = await stack.sim.createCall();
    const params = ['👨\u200d👩\u200d👧', 'می\u200cخواهم', '\u200fשלום\u200e', 'naïve café', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'co\u00adop'];
    const r = await stack.gql<{ signalContact: { handoff: HandoffView } }>(SIGNAL, { input: { contactId, params, context: { name: '\u200fשלום', emoji: '😀' } } });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data?.signalContact.handoff).toMatchObject({ state: 'SIGNALED', params, context: { name: '\u200fשלום', emoji: '😀' } });
    const read = await stack.gql<{ handoffStatus: HandoffView }>(STATUS, { contactId });
    expect(read.body.data?.handoffStatus.params).toEqual(params);
    expect((await stack.sim.signals(contactId))[0]?.params).toEqual(params);
  });
});
