/**
 * Runs the hostile-input corpus (`corpus.ts`) against gateway child processes: each case gets its
 * own HTTP status and `extensions.code`; no answer holds a stack trace, a secret or an echo of the
 * whole input; afterwards both processes are still up and healthy.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../helpers/database.js';
import { configuredSecrets, gql, type Harness, type HandoffView, REVOKED_KEY, secretHits, SIGNAL, startHarness, TENANT_A, TENANT_B } from '../helpers/stack.js';
import { subscribe } from '../helpers/subscriptions.js';
import { type Auth, HOSTILE_CORPUS, HOSTILE_WS_CORPUS, type HostileCase, type HostileWsCase } from './corpus.js';

const STACK_TRACE = /\n\s+at\s|\bat .+:\d+:\d+\)|node_modules|\.[jt]s:\d+/;

/** The key a case sends, as is (`raw`: the whole header value). */
function keyOf(auth: Exclude<Auth, { readonly raw: string }>): string | undefined {
  switch (auth) {
    case 'signal':
      return TENANT_A.keys.signal;
    case 'read':
      return TENANT_A.keys.read;
    case 'other-signal':
      return TENANT_B.keys.signal;
    case 'other-read':
      return TENANT_B.keys.read;
    case 'revoked':
      return REVOKED_KEY;
    case 'none':
      return undefined;
  }
}

/** The header that carries a case's key: `Authorization: Bearer <key>`, or the Handoff API's `x-api-key: <key>`. */
function keyHeader(auth: Auth, header: 'authorization' | 'x-api-key'): [string, string] | undefined {
  if (typeof auth === 'object') return [header, auth.raw];
  const key = keyOf(auth);
  if (key === undefined) return undefined;
  return header === 'authorization' ? [header, `Bearer ${key}`] : [header, key];
}

interface Answer {
  readonly data?: unknown;
  readonly errors?: readonly { readonly message?: string; readonly extensions?: Record<string, unknown> }[];
}

function parseAnswer(text: string): Answer | null {
  try {
    return JSON.parse(text) as Answer;
  } catch {
    return null;
  }
}

/** Strings of 40+ characters in a JSON body: none may come back in the answer. */
function longStrings(body: string): string[] {
  const out: string[] = [];
  try {
    JSON.parse(body, (_key, value: unknown) => {
      if (typeof value === 'string' && value.length >= 40) out.push(value);
      return value;
    });
  } catch {
    // not JSON: the whole body is checked instead
  }
  return out;
}

describe(`hostile input corpus (${HOSTILE_CORPUS.length} cases)`, () => {
  let h: Harness;
  let drop: (() => Promise<void>) | undefined;
  const urls = { prod: '', dev: '' };
  const placeholders: Record<string, string> = {};

  beforeAll(async () => {
    const database = await createTestDatabase(inject('postgresUrl'));
    drop = database.drop;
    h = await startHarness({ storeEnv: { DATABASE_URL: database.url }, env: { LOG_LEVEL: 'info', SIGNAL_WAIT_MS: '2000' } });
    const [prod, dev] = await Promise.all([h.spawn({ NODE_ENV: 'production' }), h.spawn({ NODE_ENV: 'development' })]);
    urls.prod = prod.url;
    urls.dev = dev.url;
    const call = (await (
      await fetch(`${h.simulatorUrl}/_sim/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pseudoNumber: TENANT_A.pseudoNumber }) })
    ).json()) as { contactId: string; invite: string };
    const signalled = await gql<{ signalContact: { handoff: HandoffView } }>(urls.prod, TENANT_A.keys.signal, SIGNAL, { input: { contactId: call.contactId, params: ['hostile'] } });
    const handoff = signalled.body?.data?.signalContact.handoff;
    if (!handoff) throw new Error(`setup signal failed: ${signalled.text}`);
    placeholders['"$CONTACT"'] = JSON.stringify(call.contactId);
    placeholders['"$HANDOFF"'] = JSON.stringify(handoff.id);
    placeholders['"$INVITE"'] = JSON.stringify(call.invite);
  });
  afterAll(async () => {
    await h?.close();
    await drop?.();
  });

  it('holds at least 200 cases with unique names', () => {
    expect(HOSTILE_CORPUS.length).toBeGreaterThanOrEqual(200);
    expect(new Set(HOSTILE_CORPUS.map((c) => c.name)).size).toBe(HOSTILE_CORPUS.length);
  });

  it.each(HOSTILE_CORPUS.map((c) => [c.name, c] as const))('%s', async (_name, c: HostileCase) => {
    let body = c.body;
    if (body !== undefined) for (const [from, to] of Object.entries(placeholders)) body = body.split(from).join(to);
    const headers: Record<string, string> = { ...c.headers };
    const contentType = c.contentType === undefined ? 'application/json' : c.contentType;
    if (contentType !== null) headers['content-type'] = contentType;
    const auth = keyHeader(c.auth ?? 'signal', c.keyHeader ?? 'authorization');
    if (auth !== undefined) headers[auth[0]] = auth[1];
    const method = c.method ?? 'POST';
    // Paths may name the placeholders too, as plain (URL-safe) values.
    let path = c.path ?? '/graphql';
    for (const [from, to] of Object.entries(placeholders)) if (from !== '"$INVITE"') path = path.split(from.slice(1, -1)).join(JSON.parse(to) as string);
    const res = await fetch(`${urls[c.gateway ?? 'prod']}${path}`, {
      method,
      headers,
      ...(method === 'POST' ? { body: body ?? '' } : {}),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    // A non-JSON answer (null) fails the code check below unless none is expected.
    const parsed = parseAnswer(text);
    const error = parsed?.errors?.[0];
    expect({ status: res.status, code: error?.extensions?.['code'] ?? null }, text.slice(0, 300)).toEqual({ status: c.expect.status, code: c.expect.code });
    if (c.expect.field !== undefined) expect(error?.extensions?.['field']).toBe(c.expect.field);
    if (c.expect.data !== undefined) expect(parsed?.data).toEqual(c.expect.data);
    if (c.expect.messageExcludes !== undefined) for (const e of parsed?.errors ?? []) expect(e.message ?? '').not.toContain(c.expect.messageExcludes);
    if (c.expect.status >= 400 && c.expect.code !== null) expect(typeof error?.message).toBe('string');

    expect(text).not.toMatch(STACK_TRACE);
    expect(secretHits(text, [...configuredSecrets(), ...h.issuedTokens()])).toEqual([]);
    if (body !== undefined && body.length >= 40) expect(text.includes(body)).toBe(false);
    for (const s of longStrings(body ?? '')) expect(text.includes(s)).toBe(false);
  });

  /** The prod gateway's `cxgw_subscriptions_active`, read from /metrics. */
  const activeSubscriptions = async (): Promise<number> => {
    const text = await (await fetch(`${urls.prod}/metrics`)).text();
    return Number(/^cxgw_subscriptions_active (\d+)$/m.exec(text)?.[1] ?? NaN);
  };
  const waitForActive = async (count: number): Promise<void> => {
    for (let i = 0; i < 500 && (await activeSubscriptions()) !== count; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await activeSubscriptions()).toBe(count);
  };

  it.each(HOSTILE_WS_CORPUS.map((c) => [c.name, c] as const))('%s', async (_name, c: HostileWsCase) => {
    const sub = subscribe(urls.prod, TENANT_A.keys.read, c.query, c.variables ?? {});
    try {
      if (c.expect.code === null) {
        await waitForActive(1);
      } else {
        const end = await sub.ended(15_000);
        expect(end.kind).toBe('errors');
        const error = end.kind === 'errors' ? end.errors[0] : undefined;
        expect(error?.extensions?.['code']).toBe(c.expect.code);
        expect(JSON.stringify(end)).not.toMatch(STACK_TRACE);
      }
    } finally {
      await sub.dispose();
    }
    await waitForActive(0);
  });

  it('both gateways are still up and healthy after the corpus', async () => {
    for (const url of [urls.prod, urls.dev]) {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    }
  });

  it('no log line holds a secret, an API key or an issued token', () => {
    expect(h.logText()).toContain('"gateway listening"');
    expect(secretHits(h.logText(), [...configuredSecrets(), ...h.issuedTokens()])).toEqual([]);
  });
});
