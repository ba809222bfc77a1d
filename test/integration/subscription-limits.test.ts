/**
 * The operation limits hold on both transports alike (issue 13, defect 2 and the `__typename`
 * weakness): each operation over a limit is refused with the same code (and the same message) over
 * graphql-ws as over HTTP, and an operation at the limit is served by both. The gateway runs with
 * tight limits so every one of them is reachable with the subscription's small schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_KEYS, startStack, type Stack } from '../helpers/stack.js';
import { subscribe, type Subscriber, waitForSubscriptions } from '../helpers/subscriptions.js';

const LIMITS = { MAX_QUERY_DEPTH: '2', MAX_QUERY_COMPLEXITY: '50', MAX_QUERY_ALIASES: '3', MAX_QUERY_DIRECTIVES: '3', MAX_QUERY_TOKENS: '100' };

const repeat = (n: number, make: (i: number) => string): string => Array.from({ length: n }, (_, i) => make(i)).join(' ');

/** A selection on Handoff, sent as a subscription (WebSocket) and as a query (HTTP). */
const overWs = (selection: string): string => `subscription { handoffChanged { ${selection} } }`;
const overHttp = (selection: string): string => `{ handoffStatus(contactId: "1") { ${selection} } }`;

const REFUSED: readonly { name: string; selection: string; message: RegExp }[] = [
  { name: 'depth 3 (limit 2)', selection: 'id lastError { code }', message: /3 fields deep; the limit is 2/ },
  { name: '51 fields (complexity limit 50)', selection: repeat(51, () => 'id'), message: /asks for 52 fields; the limit is 50/ },
  { name: '4 aliases (limit 3)', selection: repeat(4, (i) => `a${i}: id`), message: /Aliases limit of 3 exceeded, found 4/ },
  { name: '4 __typename aliases (limit 3)', selection: `id ${repeat(4, (i) => `t${i}: __typename`)}`, message: /Aliases limit of 3 exceeded, found 4/ },
  { name: '4 directives (limit 3)', selection: repeat(4, () => 'id @include(if: true)'), message: /Directives limit of 3 exceeded, found 4/ },
  { name: '120 tokens (limit 100)', selection: repeat(60, () => 'id state'), message: /more than 100 tokens/ },
];

const SERVED: readonly { name: string; selection: string }[] = [
  { name: '3 aliases (at the limit)', selection: repeat(3, (i) => `a${i}: id`) },
  { name: '3 __typename aliases (at the limit)', selection: `id ${repeat(3, (i) => `t${i}: __typename`)}` },
  { name: '3 directives (at the limit)', selection: repeat(3, () => 'id @include(if: true)') },
];

describe('operation limits over HTTP and graphql-ws', () => {
  let stack: Stack;
  const open: Subscriber<unknown>[] = [];

  beforeAll(async () => {
    stack = await startStack({ env: LIMITS });
  });
  afterAll(async () => {
    await Promise.all(open.map((s) => s.dispose()));
    await stack?.close();
  });

  it.each(REFUSED)('refuses $name with QUERY_TOO_COMPLEX on both transports', async ({ selection, message }) => {
    const http = await stack.gql(overHttp(selection), {}, STACK_KEYS.read);
    expect(http.status).toBe(400);
    expect(http.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect(http.body.errors?.[0]?.message).toMatch(message);

    const sub = subscribe(stack.gatewayUrl, STACK_KEYS.read, overWs(selection));
    open.push(sub);
    const end = await sub.ended();
    expect(end.kind).toBe('errors');
    const error = end.kind === 'errors' ? end.errors[0] : undefined;
    expect(error?.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX' });
    expect(error?.message).toMatch(message);
    await sub.dispose();
    await waitForSubscriptions(stack.gateway, 0);
  });

  it.each(SERVED)('serves $name on both transports', async ({ selection }) => {
    const http = await stack.gql(overHttp(selection), {}, STACK_KEYS.read);
    expect(http.body.errors).toBeUndefined();
    expect(http.status).toBe(200);

    const sub = subscribe(stack.gatewayUrl, STACK_KEYS.read, overWs(selection));
    open.push(sub);
    await waitForSubscriptions(stack.gateway, 1);
    await sub.dispose();
    await waitForSubscriptions(stack.gateway, 0);
  });
});
