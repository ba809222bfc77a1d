/**
 * The embedded store's write-through cache (src/store/handoff-cache.ts): after every write path a
 * cached read returns exactly what the database holds, a hit asks the database nothing, and the
 * cache stays within its bound.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type HandoffRecord, type HandoffStore, type NewHandoff } from '../../src/handoff/ports.js';
import { CachedHandoffStore } from '../../src/store/handoff-cache.js';
import { openPgliteStore } from '../../src/store/pglite.store.js';
import { recordingLogger } from './handoff-fakes.js';
import { pgliteDataDir } from '../helpers/pglite.js';

const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);

/** The database behind the cache, counting the calls that reach it. */
function counting(store: HandoffStore): { store: HandoffStore; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

describe('CachedHandoffStore over PGlite', () => {
  let db: HandoffStore;
  let calls: string[];
  let cached: CachedHandoffStore;
  let dir: { path: string; remove(): Promise<void> };
  let tenantId: string;

  function newHandoff(over: Partial<NewHandoff> = {}): NewHandoff {
    return {
      id: randomUUID(),
      tenantId,
      contactId: '1001',
      params: ['a'],
      context: { intent: 'billing' },
      idempotencyKey: null,
      inputHash: 'h',
      leaseOwner: 'replica-a',
      leaseUntil: at(10_000),
      now: T0,
      ...over,
    };
  }

  /** Reads through the cache and straight from the database agree, for the id and the contact. */
  async function expectCoherent(record: { id: string; contactId: string }): Promise<void> {
    expect(await cached.get(tenantId, record.id)).toEqual(await db.get(tenantId, record.id));
    expect(await cached.latestForContact(tenantId, record.contactId)).toEqual(await db.latestForContact(tenantId, record.contactId));
  }

  beforeAll(async () => {
    dir = await pgliteDataDir();
    ({ store: db, calls } = counting(await openPgliteStore({ dataDir: dir.path }, { log: recordingLogger() })));
    cached = new CachedHandoffStore(db, { maxEntries: 8 });
  });

  afterAll(async () => {
    await cached.close();
    await dir.remove();
  });

  beforeEach(() => {
    tenantId = `t-${randomUUID().slice(0, 8)}`;
  });

  it('answers a read of a handoff it wrote without asking the database', async () => {
    const { record } = await cached.insertOrGet(newHandoff());
    calls.length = 0;
    expect(await cached.get(tenantId, record.id)).toEqual(record);
    expect(calls).toEqual([]);
  });

  it("answers the contact's latest handoff from the cache once read, and moves it forward on insert", async () => {
    const first = (await cached.insertOrGet(newHandoff({ contactId: 'c1' }))).record;
    expect(await cached.latestForContact(tenantId, 'c1')).toEqual(first);
    calls.length = 0;
    expect(await cached.latestForContact(tenantId, 'c1')).toEqual(first);
    expect(calls).toEqual([]);

    const second = (await cached.insertOrGet(newHandoff({ contactId: 'c1', now: at(5) }))).record;
    calls.length = 0;
    expect(await cached.latestForContact(tenantId, 'c1')).toEqual(second);
    expect(calls).toEqual([]);
    // An older row (a clock that went back) does not displace the latest.
    await cached.insertOrGet(newHandoff({ contactId: 'c1', now: at(1) }));
    await expectCoherent(second);
  });

  it('does not hide another tenant: a cached id read under another tenant is not found', async () => {
    const { record } = await cached.insertOrGet(newHandoff());
    expect(await cached.get('another-tenant', record.id)).toBeNull();
    expect(await db.get('another-tenant', record.id)).toBeNull();
  });

  it.each([
    [
      'recordProgress',
      (s: HandoffStore, r: HandoffRecord) =>
        s.recordProgress(r.id, 'replica-a', { attempts: 1, lastError: { code: 'CXONE_UNAVAILABLE', message: 'm', upstreamStatus: 503, at: at(1) }, now: at(1) }),
    ],
    ['complete (SIGNALED)', (s: HandoffStore, r: HandoffRecord) => s.complete(r.id, 'replica-a', { state: 'SIGNALED', attempts: 1, lastError: null, signaledAt: at(2), now: at(2) })],
    ['release', (s: HandoffStore, r: HandoffRecord) => s.release(r.id, 'replica-a', at(3))],
    ['release with notBefore', (s: HandoffStore, r: HandoffRecord) => s.release(r.id, 'replica-a', at(3), at(60_000))],
    ['complete by a replica that no longer owns it (no change)', (s: HandoffStore, r: HandoffRecord) => s.complete(r.id, 'replica-b', { state: 'SIGNALED', attempts: 1, lastError: null, signaledAt: at(2), now: at(2) })],
  ])('after %s a read returns what the database holds', async (_name, write) => {
    const { record } = await cached.insertOrGet(newHandoff({ contactId: randomUUID() }));
    await cached.latestForContact(tenantId, record.contactId);
    await write(cached, record);
    await expectCoherent(record);
  });

  it('after claimDue and reopen a read returns what the database holds', async () => {
    const { record } = await cached.insertOrGet(newHandoff({ contactId: randomUUID(), leaseUntil: at(1) }));
    await cached.latestForContact(tenantId, record.contactId);
    const claimed = await cached.claimDue({ owner: 'replica-b', now: at(2), leaseUntil: at(20_000), limit: 1_000 });
    expect(claimed.map((r) => r.id)).toContain(record.id);
    await expectCoherent(record);
    expect((await cached.get(tenantId, record.id))?.leaseOwner).toBe('replica-b');

    const lastError = { code: 'CXONE_UNAVAILABLE' as const, message: 'm', upstreamStatus: 503, at: at(3) };
    await cached.complete(record.id, 'replica-b', { state: 'FAILED', attempts: 3, lastError, signaledAt: null, now: at(3) });
    await expectCoherent(record);
    const reopened = await cached.reopen(tenantId, record.id, { owner: 'replica-a', leaseUntil: at(30_000), now: at(4), codes: ['CXONE_UNAVAILABLE'] });
    expect(reopened?.state).toBe('PENDING');
    await expectCoherent(record);
  });

  it('after a retention purge a purged handoff is not found through the cache either', async () => {
    const { record } = await cached.insertOrGet(newHandoff({ contactId: randomUUID() }));
    await cached.complete(record.id, 'replica-a', { state: 'SIGNALED', attempts: 1, lastError: null, signaledAt: at(2), now: at(2) });
    expect((await cached.latestForContact(tenantId, record.contactId))?.state).toBe('SIGNALED');
    let deleted = 0;
    do deleted = await cached.purgeExpiredHandoffs({ before: at(1_000_000), limit: 1_000 });
    while (deleted > 0);
    expect(await db.get(tenantId, record.id)).toBeNull();
    await expectCoherent(record);
    expect(await cached.get(tenantId, record.id)).toBeNull();
  });

  it('returns the stored row of an idempotent replay and stays coherent', async () => {
    const input = newHandoff({ idempotencyKey: 'k' });
    const first = await cached.insertOrGet(input);
    const replay = await cached.insertOrGet({ ...input, id: randomUUID() });
    expect(replay).toEqual({ record: first.record, created: false });
    await expectCoherent(first.record);
  });

  it('does not keep a read that a write overtook', async () => {
    const { record } = await cached.insertOrGet(newHandoff({ contactId: randomUUID() }));
    const signaled = await db.complete(record.id, 'replica-a', { state: 'SIGNALED', attempts: 1, lastError: null, signaledAt: at(2), now: at(2) });
    // The database answered the read with the PENDING row, but the answer arrives after the outcome committed.
    let answer: (r: HandoffRecord) => void = () => undefined;
    const fake = {
      get: () => new Promise<HandoffRecord>((resolve) => (answer = resolve)),
      complete: () => Promise.resolve(signaled),
    } as unknown as HandoffStore;
    const fresh = new CachedHandoffStore(fake);
    const read = fresh.get(tenantId, record.id);
    await fresh.complete(record.id, 'replica-a', { state: 'SIGNALED', attempts: 1, lastError: null, signaledAt: at(2), now: at(2) });
    answer(record);
    expect((await read)?.state).toBe('PENDING');
    expect((await fresh.get(tenantId, record.id))?.state).toBe('SIGNALED');
  });

  it('drops a row whose write failed, so the next read asks the database', async () => {
    const { record } = await cached.insertOrGet(newHandoff());
    const broken = new CachedHandoffStore({
      ...db,
      get: (t: string, id: string) => db.get(t, id),
      insertOrGet: (h: NewHandoff) => db.insertOrGet(h),
      complete: () => Promise.reject(new Error('lost connection')),
    } as HandoffStore);
    await broken.get(tenantId, record.id);
    calls.length = 0;
    await expect(broken.complete(record.id, 'replica-a', { state: 'SIGNALED', attempts: 1, lastError: null, signaledAt: at(2), now: at(2) })).rejects.toThrow('lost connection');
    await broken.get(tenantId, record.id);
    expect(calls).toEqual(['get']);
  });

  it('keeps at most maxEntries handoffs, and an evicted one is read from the database', async () => {
    const records = [];
    for (let i = 0; i < 12; i += 1) records.push((await cached.insertOrGet(newHandoff({ contactId: `e${i}` }))).record);
    expect(cached.size).toBe(8);
    calls.length = 0;
    expect(await cached.get(tenantId, records[0]?.id ?? '')).toEqual(records[0]);
    expect(calls).toEqual(['get']);
  });
});
