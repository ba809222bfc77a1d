/**
 * HandoffService over the embedded PGlite store with a scripted CXone client: the lifecycle of
 * docs/architecture.md, "Handoff lifecycle and the store" (durable PENDING first, wait bounded, outcomes, idempotency, retry worker, retry rules).
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { HandoffNotFoundError, IdempotencyConflictError, InvalidCursorError, NotRetryableError } from '../../src/handoff/errors.js';
import { type Handoff, type SignalRequest } from '../../src/handoff/model.js';
import { type HandoffErrorCode } from '../../src/common/vocabulary.js';
import { CallService } from '../../src/handoff/call.service.js';
import { HandoffService, type HandoffServiceDeps, type HandoffServiceOptions } from '../../src/handoff/handoff.service.js';
import { NiceError } from '../../src/nice/errors.js';
import { type HandoffStore } from '../../src/handoff/ports.js';
import { openPgliteStore } from '../../src/store/pglite.store.js';
import {
  fail,
  FakeNiceClient,
  FakeNiceError,
  gate,
  niceTenant,
  recordingLogger,
  retryThen,
  type Script,
  slow,
  succeed,
} from './handoff-fakes.js';
import { pgliteDataDir } from '../helpers/pglite.js';

let store: HandoffStore;
let dir: { path: string; remove(): Promise<void> };
const running: HandoffService[] = [];

beforeAll(async () => {
  dir = await pgliteDataDir();
  store = await openPgliteStore({ dataDir: dir.path }, { log: recordingLogger() });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

afterAll(async () => {
  await store.close();
  await dir.remove();
});

const FAST: HandoffServiceOptions = { waitMs: 1_000, budgetMs: 2_000, leaseMs: 5_000, workerIntervalMs: 20, stopTimeoutMs: 200 };

interface Harness {
  readonly service: HandoffService;
  readonly nice: FakeNiceClient;
  readonly tenantId: string;
  readonly events: Handoff[];
  readonly log: ReturnType<typeof recordingLogger>;
}

/** A service for a tenant of its own, so tests sharing the store never see each other's rows. */
function harness(script: Script = succeed(), over: Partial<HandoffServiceDeps> & { options?: HandoffServiceOptions } = {}): Harness {
  const tenantId = `t-${randomUUID().slice(0, 8)}`;
  const nice = new FakeNiceClient(script);
  const events: Handoff[] = [];
  const log = recordingLogger();
  const service = new HandoffService({
    store,
    nice,
    tenants: (id) => (id === tenantId ? niceTenant(id) : undefined),
    log,
    events: { handoffChanged: (h) => events.push(h) },
    ...over,
    options: { ...FAST, ...over.options },
  });
  running.push(service);
  return { service, nice, tenantId, events, log };
}

const request = (over: Partial<SignalRequest> = {}): SignalRequest => ({
  contactId: '5550001',
  params: ['p1', 'p2'],
  context: { intent: 'billing', account: { id: 7 } },
  idempotencyKey: null,
  ...over,
});

describe('HandoffService.signal', () => {
  it('commits the PENDING row before CXone is called, then records SIGNALED', async () => {
    const seenDuringCall: (Handoff | null)[] = [];
    const h = harness(async (call) => {
      seenDuringCall.push(await store.latestForContact(h.tenantId, call.contactId));
      return { status: 202, attempts: 1 };
    });
    const before = Date.now();
    const result = await h.service.signal(h.tenantId, request());

    expect(seenDuringCall).toHaveLength(1);
    expect(seenDuringCall[0]).toMatchObject({ id: result.id, state: 'PENDING', attempts: 0 });
    expect(result).toMatchObject({ state: 'SIGNALED', attempts: 1, lastError: null, contactId: '5550001', params: ['p1', 'p2'], context: { intent: 'billing', account: { id: 7 } } });
    expect(result.signaledAt).toBeInstanceOf(Date);
    expect(result).not.toHaveProperty('leaseOwner');
    const call = h.nice.calls[0];
    expect(call?.tenant.id).toBe(h.tenantId);
    expect(call?.params).toEqual(['p1', 'p2']);
    expect(call?.options.deadline).toBeGreaterThanOrEqual(before + 2_000);
    expect(call?.options.deadline).toBeLessThanOrEqual(Date.now() + 2_000);
    expect(h.events.map((e) => e.state)).toEqual(['PENDING', 'SIGNALED']);
    expect(await h.service.get(h.tenantId, result.id)).toEqual(result);
  });

  it.each<[string, Script, { code: HandoffErrorCode; upstreamStatus: number | null; message: RegExp; attempts: number }]>([
    ['a final 404', fail({ code: 'CXONE_CONTACT_NOT_FOUND', retryable: false, upstreamStatus: 404, message: 'Contact 5550001 is not active' }), { code: 'CXONE_CONTACT_NOT_FOUND', upstreamStatus: 404, message: /not active/, attempts: 1 }],
    ['a final 400', fail({ code: 'CXONE_BAD_REQUEST', retryable: false, upstreamStatus: 400 }), { code: 'CXONE_BAD_REQUEST', upstreamStatus: 400, message: /CXONE_BAD_REQUEST/, attempts: 1 }],
    ['refused credentials', fail({ code: 'CXONE_AUTH_FAILED', retryable: false, upstreamStatus: 401, attempts: 2 }), { code: 'CXONE_AUTH_FAILED', upstreamStatus: 401, message: /AUTH/, attempts: 2 }],
    ['503s until the budget is spent', fail({ code: 'CXONE_UNAVAILABLE', retryable: true, upstreamStatus: 503, attempts: 4, message: 'CXone answered 503' }), { code: 'RETRIES_EXHAUSTED', upstreamStatus: 503, message: /last cause CXONE_UNAVAILABLE: CXone answered 503/, attempts: 4 }],
    ['429s until the budget is spent', fail({ code: 'CXONE_THROTTLED', retryable: true, upstreamStatus: 429, attempts: 3 }), { code: 'RETRIES_EXHAUSTED', upstreamStatus: 429, message: /last cause CXONE_THROTTLED/, attempts: 3 }],
    ['timeouts until the budget is spent', fail({ code: 'CXONE_TIMEOUT', retryable: true, attempts: 2, message: 'CXone did not answer in time' }), { code: 'CXONE_TIMEOUT', upstreamStatus: null, message: /did not answer/, attempts: 2 }],
    ['a final unavailable (client gave up early)', fail({ code: 'CXONE_UNAVAILABLE', retryable: false, attempts: 1 }), { code: 'CXONE_UNAVAILABLE', upstreamStatus: null, message: /CXONE_UNAVAILABLE/, attempts: 1 }],
    [
      'an unexpected error (message not shown)',
      async () => {
        throw new Error('socket hang up with token SECRET-abc');
      },
      { code: 'CXONE_UNAVAILABLE', upstreamStatus: null, message: /^Signalling CXone failed unexpectedly\.$/, attempts: 1 },
    ],
    [
      "the CXone client's own NiceError",
      async () => {
        throw new NiceError({ code: 'CXONE_CONTACT_NOT_FOUND', retryable: false, message: 'CXone does not know this contact.', upstreamStatus: 404, attempts: 1 });
      },
      { code: 'CXONE_CONTACT_NOT_FOUND', upstreamStatus: 404, message: /does not know/, attempts: 1 },
    ],
  ])('maps %s to FAILED', async (_name, script, expected) => {
    const h = harness(script);
    const result = await h.service.signal(h.tenantId, request());
    expect(result.state).toBe('FAILED');
    expect(result.attempts).toBe(expected.attempts);
    expect(result.lastError).toMatchObject({ code: expected.code, upstreamStatus: expected.upstreamStatus });
    expect(result.lastError?.message).toMatch(expected.message);
    expect(result.lastError?.message).not.toContain('SECRET');
    expect(result.signaledAt).toBeNull();
    expect(h.events.map((e) => e.state)).toEqual(['PENDING', 'FAILED']);
  });

  it('records retry progress on the PENDING row, then the success', async () => {
    const hold = gate();
    const h = harness(
      retryThen(2, async () => {
        await hold.promise;
        return { status: 202, attempts: 3 };
      }),
    );
    const pending = h.service.signal(h.tenantId, request());
    const progressed = await vi.waitFor(
      async () => {
        const row = await store.latestForContact(h.tenantId, '5550001');
        expect(row?.attempts).toBe(2);
        return row;
      },
      { timeout: 10_000 },
    );
    expect(progressed).toMatchObject({ state: 'PENDING', lastError: { code: 'CXONE_UNAVAILABLE', upstreamStatus: 503 } });
    hold.open();
    const result = await pending;
    expect(result).toMatchObject({ state: 'SIGNALED', attempts: 3, lastError: null });
    expect(h.events.map((e) => [e.state, e.attempts])).toEqual([
      ['PENDING', 0],
      ['PENDING', 1],
      ['PENDING', 2],
      ['SIGNALED', 3],
    ]);
  });

  it('answers PENDING when CXone is slower than waitMs, and records SIGNALED when it answers', async () => {
    // CXone answers only when the test opens the gate: the PENDING answer cannot have waited for it.
    const hold = gate();
    const h = harness(
      async () => {
        await hold.promise;
        return { status: 202, attempts: 1 };
      },
      { options: { waitMs: 50 } },
    );
    const result = await h.service.signal(h.tenantId, request());
    expect(result.state).toBe('PENDING');
    expect(h.nice.calls).toHaveLength(1);
    hold.open();
    const done = await vi.waitFor(
      async () => {
        const row = await h.service.get(h.tenantId, result.id);
        if (row?.state !== 'SIGNALED') throw new Error(`handoff is ${row?.state ?? 'missing'}`);
        return row;
      },
      { timeout: 10_000 },
    );
    expect(done.attempts).toBe(1);
    expect(h.events.at(-1)?.state).toBe('SIGNALED');
  });

  it('replays the same key and input without a second signal, and refuses the key with another input', async () => {
    const h = harness();
    const first = await h.service.signal(h.tenantId, request({ idempotencyKey: 'key-1' }));
    // Same context with its keys in another order is the same input.
    const replay = await h.service.signal(h.tenantId, request({ idempotencyKey: 'key-1', context: { account: { id: 7 }, intent: 'billing' } }));
    expect(replay).toEqual(first);
    expect(h.nice.calls).toHaveLength(1);
    await expect(h.service.signal(h.tenantId, request({ idempotencyKey: 'key-1', params: ['other'] }))).rejects.toBeInstanceOf(IdempotencyConflictError);
    await expect(h.service.signal(h.tenantId, request({ idempotencyKey: 'key-1', context: { intent: 'sales' } }))).rejects.toBeInstanceOf(IdempotencyConflictError);
    await expect(h.service.signal(h.tenantId, request({ idempotencyKey: 'key-1', contactId: '999' }))).rejects.toBeInstanceOf(IdempotencyConflictError);
    expect(h.nice.calls).toHaveLength(1);
  });

  it('lets a replay during the first attempt wait for that same attempt', async () => {
    const hold = gate();
    const h = harness(async () => {
      await hold.promise;
      return { status: 202, attempts: 1 };
    });
    const first = h.service.signal(h.tenantId, request({ idempotencyKey: 'k' }));
    await vi.waitFor(() => expect(h.nice.calls).toHaveLength(1), { timeout: 10_000 });
    const replay = h.service.signal(h.tenantId, request({ idempotencyKey: 'k' }));
    hold.open();
    const [a, b] = await Promise.all([first, replay]);
    expect(b.id).toBe(a.id);
    expect(b.state).toBe('SIGNALED');
    expect(h.nice.calls).toHaveLength(1);
  });

  it('keeps idempotency keys per tenant', async () => {
    const a = harness();
    const b = harness();
    const one = await a.service.signal(a.tenantId, request({ idempotencyKey: 'shared' }));
    const two = await b.service.signal(b.tenantId, request({ idempotencyKey: 'shared', params: ['different'] }));
    expect(two.id).not.toBe(one.id);
  });

  it('logs ids, never params, context or credentials', async () => {
    const h = harness(fail({ code: 'CXONE_UNAVAILABLE', retryable: true, upstreamStatus: 503 }));
    const result = await h.service.signal(h.tenantId, request({ params: ['SECRET-param'], context: { note: 'SECRET-context' } }));
    const text = JSON.stringify(h.log.entries);
    expect(text).not.toContain('SECRET');
    expect(h.log.entries.find((e) => e.msg === 'handoff accepted')?.obj).toMatchObject({ handoffId: result.id, tenantId: h.tenantId, contactId: '5550001' });
    expect(h.log.entries.find((e) => e.msg === 'handoff failed')?.obj).toMatchObject({ handoffId: result.id, code: 'RETRIES_EXHAUSTED' });
  });

  it('works with a pino logger', async () => {
    const h = harness(succeed(), { log: pino({ level: 'silent' }) });
    expect((await h.service.signal(h.tenantId, request())).state).toBe('SIGNALED');
  });

  it('refuses a lease shorter than the attempt budget', () => {
    expect(() => harness(succeed(), { options: { budgetMs: 5_000, leaseMs: 5_000 } })).toThrow(RangeError);
  });
});

describe('HandoffService retry worker', () => {
  /** A row left PENDING by a replica that died: leased to it, lease expired. */
  async function abandoned(tenantId: string, over: { contactId?: string; createdAt?: number } = {}): Promise<string> {
    const now = over.createdAt ?? Date.now() - 10_000;
    const { record } = await store.insertOrGet({
      id: randomUUID(),
      tenantId,
      contactId: over.contactId ?? '777',
      params: ['x'],
      context: null,
      idempotencyKey: null,
      inputHash: 'h',
      leaseOwner: 'dead-replica',
      leaseUntil: new Date(now + 1_000),
      now: new Date(now),
    });
    return record.id;
  }

  const stateOf = async (tenantId: string, id: string, state: Handoff['state']): Promise<Handoff> =>
    await vi.waitFor(
      async () => {
        const row = await store.get(tenantId, id);
        if (row?.state !== state) throw new Error(`handoff ${id} is ${row?.state ?? 'missing'}, not ${state}`);
        return row;
      },
      { timeout: 10_000 },
    );

  it('signals rows a crashed replica left PENDING', async () => {
    const h = harness();
    const ids = [await abandoned(h.tenantId, { contactId: '1' }), await abandoned(h.tenantId, { contactId: '2' })];
    h.service.start();
    for (const id of ids) expect((await stateOf(h.tenantId, id, 'SIGNALED')).attempts).toBe(1);
    expect(h.nice.calls.map((c) => c.contactId).sort()).toEqual(['1', '2']);
    // A fresh budget per claim.
    expect(h.nice.calls[0]?.options.deadline).toBeGreaterThan(Date.now());
  });

  it('reports after each pass how many due rows it claimed (the backlog gauge), 0 once they are worked', async () => {
    const passes: number[] = [];
    const h = harness(succeed(), { events: { workerPass: (claimed) => passes.push(claimed) } });
    const ids = [await abandoned(h.tenantId, { contactId: '3' }), await abandoned(h.tenantId, { contactId: '4' })];
    h.service.start();
    for (const id of ids) await stateOf(h.tenantId, id, 'SIGNALED');
    await vi.waitFor(() => expect(passes.at(-1)).toBe(0), { timeout: 10_000 });
    expect(Math.max(...passes)).toBeGreaterThanOrEqual(2);
  });

  it('leaves rows whose lease is still running alone', async () => {
    const h = harness();
    const { record } = await store.insertOrGet({
      id: randomUUID(),
      tenantId: h.tenantId,
      contactId: '1',
      params: [],
      context: null,
      idempotencyKey: null,
      inputHash: 'h',
      leaseOwner: 'live-replica',
      leaseUntil: new Date(Date.now() + 60_000),
      now: new Date(),
    });
    h.service.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(h.nice.calls).toHaveLength(0);
    expect((await store.get(h.tenantId, record.id))?.state).toBe('PENDING');
  });

  it('gives up on rows older than maxAgeMs without calling CXone', async () => {
    const h = harness(succeed(), { options: { maxAgeMs: 60_000 } });
    const id = await abandoned(h.tenantId, { createdAt: Date.now() - 61_000 });
    h.service.start();
    const failed = await stateOf(h.tenantId, id, 'FAILED');
    expect(failed.lastError).toMatchObject({ code: 'RETRIES_EXHAUSTED', message: expect.stringMatching(/within 60 s/) });
    expect(h.nice.calls).toHaveLength(0);
  });

  it('bounds a resumed attempt by the max age of the row (fake clock)', async () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    const h = harness(succeed(), { clock: () => now, options: { maxAgeMs: 60_000, budgetMs: 8_000, leaseMs: 20_000 } });
    const id = await abandoned(h.tenantId, { createdAt: now - 58_000 });
    h.service.start();
    await stateOf(h.tenantId, id, 'SIGNALED');
    expect(h.nice.calls[0]?.options.deadline).toBe(now + 2_000);
  });

  it('fails rows of a tenant that is no longer configured with CXONE_AUTH_FAILED', async () => {
    const h = harness();
    const orphanTenant = `gone-${randomUUID().slice(0, 8)}`;
    const id = await abandoned(orphanTenant);
    h.service.start();
    const failed = await stateOf(orphanTenant, id, 'FAILED');
    expect(failed.lastError).toMatchObject({ code: 'CXONE_AUTH_FAILED', message: expect.stringMatching(/no CXone settings/) });
    expect(h.nice.calls.filter((c) => c.tenant.id === orphanTenant)).toHaveLength(0);
  });

  it('on stop, waits for short attempts and records their outcome', async () => {
    const h = harness(slow(100));
    const id = await abandoned(h.tenantId);
    h.service.start();
    await vi.waitFor(() => expect(h.nice.calls.length).toBeGreaterThan(0), { timeout: 10_000 });
    await h.service.stop();
    expect((await store.get(h.tenantId, id))?.state).toBe('SIGNALED');
  });

  it('on stop, aborts long attempts and leaves their rows PENDING for the next start', async () => {
    const h = harness(slow(60_000), { options: { waitMs: 50, stopTimeoutMs: 100 } });
    const result = await h.service.signal(h.tenantId, request());
    expect(result.state).toBe('PENDING');
    await h.service.stop();
    const left = await store.get(h.tenantId, result.id);
    expect(left).toMatchObject({ state: 'PENDING', leaseOwner: null, attempts: 0 });
    expect(h.nice.calls[0]?.options.signal?.aborted).toBe(true);

    // The next replica (or this one restarted) picks it up at once.
    const next = harness(succeed(), { tenants: () => niceTenant(h.tenantId) });
    next.service.start();
    expect((await stateOf(h.tenantId, result.id, 'SIGNALED')).attempts).toBe(1);
  });
});

describe('HandoffService.retry', () => {
  it.each<[string, Script, RegExp]>([
    ['a SIGNALED handoff', succeed(), /already SIGNALED/],
    ['a contact CXone no longer knows', fail({ code: 'CXONE_CONTACT_NOT_FOUND', retryable: false, upstreamStatus: 404 }), /no longer knows this contact/],
    ['a bad request', fail({ code: 'CXONE_BAD_REQUEST', retryable: false, upstreamStatus: 400 }), /correct them/],
    ['refused credentials', fail({ code: 'CXONE_AUTH_FAILED', retryable: false, upstreamStatus: 401 }), /CXone settings/],
  ])('refuses %s with a reason', async (_name, script, reason) => {
    const h = harness(script);
    const done = await h.service.signal(h.tenantId, request());
    const error = await h.service.retry(h.tenantId, done.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotRetryableError);
    expect((error as Error).message).toMatch(reason);
    expect(h.nice.calls).toHaveLength(1);
  });

  it('refuses a PENDING handoff', async () => {
    const h = harness(slow(60_000), { options: { waitMs: 20, stopTimeoutMs: 50 } });
    const pending = await h.service.signal(h.tenantId, request());
    await expect(h.service.retry(h.tenantId, pending.id)).rejects.toThrow(/still PENDING/);
  });

  it('answers not found for an unknown id, a malformed id, and another tenant’s handoff', async () => {
    const a = harness(fail({ code: 'CXONE_TIMEOUT', retryable: true }));
    const b = harness();
    const failed = await a.service.signal(a.tenantId, request());
    await expect(a.service.retry(a.tenantId, randomUUID())).rejects.toBeInstanceOf(HandoffNotFoundError);
    await expect(a.service.retry(a.tenantId, 'nope')).rejects.toBeInstanceOf(HandoffNotFoundError);
    await expect(b.service.retry(b.tenantId, failed.id)).rejects.toBeInstanceOf(HandoffNotFoundError);
  });

  it.each<[string, Script]>([
    ['RETRIES_EXHAUSTED', fail({ code: 'CXONE_UNAVAILABLE', retryable: true, upstreamStatus: 503, attempts: 3 })],
    ['CXONE_TIMEOUT', fail({ code: 'CXONE_TIMEOUT', retryable: true, attempts: 3 })],
    ['CXONE_UNAVAILABLE', fail({ code: 'CXONE_UNAVAILABLE', retryable: false, attempts: 3 })],
    ['CXONE_THROTTLED', fail({ code: 'CXONE_THROTTLED', retryable: false, upstreamStatus: 429, attempts: 3 })],
  ])('re-runs a handoff FAILED with %s and counts attempts across runs', async (code, script) => {
    const h = harness(script);
    const failed = await h.service.signal(h.tenantId, request());
    expect(failed.lastError?.code).toBe(code);
    h.nice.script = succeed(1);
    const retried = await h.service.retry(h.tenantId, failed.id);
    expect(retried).toMatchObject({ id: failed.id, state: 'SIGNALED', attempts: 4, lastError: null });
    expect(h.nice.calls).toHaveLength(2);
    expect(h.events.map((e) => e.state)).toEqual(['PENDING', 'FAILED', 'PENDING', 'SIGNALED']);
  });

  it('lets only one of two concurrent retries run', async () => {
    const h = harness(fail({ code: 'CXONE_TIMEOUT', retryable: true }));
    const failed = await h.service.signal(h.tenantId, request());
    h.nice.script = slow(100);
    const results = await Promise.allSettled([h.service.retry(h.tenantId, failed.id), h.service.retry(h.tenantId, failed.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason)).toEqual([expect.any(NotRetryableError)]);
    expect(h.nice.calls).toHaveLength(2);
  });
});

describe('HandoffService reads', () => {
  it('answers status with the latest handoff of a contact, scoped to the tenant', async () => {
    const a = harness();
    const b = harness();
    await a.service.signal(a.tenantId, request({ contactId: '1' }));
    const latest = await a.service.signal(a.tenantId, request({ contactId: '1', params: ['second'] }));
    expect((await a.service.status(a.tenantId, '1'))?.id).toBe(latest.id);
    expect(await a.service.status(a.tenantId, '2')).toBeNull();
    expect(await b.service.status(b.tenantId, '1')).toBeNull();
    expect(await b.service.get(b.tenantId, latest.id)).toBeNull();
  });

  it('pages with opaque cursors, filters by state and contact, and refuses forged cursors', async () => {
    // A clock that moves 1 ms per reading gives each handoff its own createdAt, so "newest first"
    // is the creation order (within one millisecond the order is by id, which is random).
    let now = Date.now();
    const h = harness(succeed(), { clock: () => (now += 1) });
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await h.service.signal(h.tenantId, request({ contactId: String(i % 2) }))).id);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page = await h.service.list(h.tenantId, { first: 2, after, state: null, contactId: null });
      pages += 1;
      expect(page.cursors).toHaveLength(page.items.length);
      seen.push(...page.items.map((i) => i.id));
      if (!page.hasNextPage) break;
      after = page.cursors.at(-1) ?? null;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...made].reverse());
    expect((await h.service.list(h.tenantId, { first: 10, after: null, state: null, contactId: '1' })).items).toHaveLength(2);
    expect((await h.service.list(h.tenantId, { first: 10, after: null, state: 'FAILED', contactId: null })).items).toHaveLength(0);
    // `first` is clamped to [1, maxPageSize].
    expect((await h.service.list(h.tenantId, { first: 0, after: null, state: null, contactId: null })).items).toHaveLength(1);
    for (const forged of ['!!!', Buffer.from('v1:abc:def').toString('base64url'), 'x'.repeat(300)]) {
      await expect(h.service.list(h.tenantId, { first: 1, after: forged, state: null, contactId: null })).rejects.toBeInstanceOf(InvalidCursorError);
    }
  });

  it('registers calls and reads them back per tenant', async () => {
    const calls = new CallService({ store, log: recordingLogger() });
    const [a, b] = [`t-${randomUUID().slice(0, 8)}`, `t-${randomUUID().slice(0, 8)}`];
    const invite = {
      requestUri: 'sip:+15550100001@a',
      pseudoNumber: '+15550100001',
      from: '+15551230000',
      callId: 'c@x',
      contactId: '42',
      masterContactId: '41',
      cxoneContext: { standard: { ani: '+15551230000' }, custom: null, extended: null },
      warnings: ['X-CXone-Custom: not valid JSON; its context is left null.'],
    };
    const call = await calls.registerCall(a, invite);
    expect(call).toMatchObject({
      tenantId: a,
      contactId: '42',
      pseudoNumber: '+15550100001',
      from: '+15551230000',
      sipCallId: 'c@x',
      masterContactId: '41',
      cxoneContext: invite.cxoneContext,
      warnings: invite.warnings,
    });
    expect(await calls.getCall(a, '42')).toEqual(call);
    expect(await calls.getCall(b, '42')).toBeNull();
  });
});

describe('FakeNiceError', () => {
  it('has the fields the service reads from the real NiceError', () => {
    const real = new NiceError({ code: 'CXONE_THROTTLED', retryable: true, message: 'm', upstreamStatus: 429, attempts: 2 });
    const fake = new FakeNiceError({ code: 'CXONE_THROTTLED', retryable: true, message: 'm', upstreamStatus: 429, attempts: 2 });
    const pick = (e: { code: string; retryable: boolean; upstreamStatus?: number | undefined; attempts: number; message: string }) => [e.code, e.retryable, e.upstreamStatus, e.attempts, e.message];
    expect(pick(fake)).toEqual(pick(real));
  });
});
