/**
 * The HandoffStore contract, run against both implementations: PGlite in a temp directory and a
 * real PostgreSQL database of the shared test cluster.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { type HandoffError } from '../../src/handoff/model.js';
import { type StoreConfig } from '../../src/config/config.js';
import { createStore } from '../../src/store/create-store.js';
import { migrations } from '../../src/store/migrations.js';
import { type HandoffStore, type NewHandoff } from '../../src/handoff/ports.js';
import { createTestDatabase } from '../helpers/database.js';
import { recordingLogger } from '../unit/handoff-fakes.js';
import { pgliteDataDir } from '../helpers/pglite.js';

interface Backend {
  /** A config for a fresh database, and how to remove it. */
  fresh(): Promise<{ config: StoreConfig; cleanup(): Promise<void> }>;
  /** Rows in schema_migrations, read behind the store's back. */
  migrationCount(config: StoreConfig): Promise<number>;
}

const backends: [string, Backend][] = [
  [
    'pglite',
    {
      async fresh() {
        // A copy of the template: the migrations still run on it (no initdb per test).
        const dir = await pgliteDataDir();
        return { config: { kind: 'pglite', dataDir: dir.path }, cleanup: dir.remove };
      },
      async migrationCount(config) {
        if (config.kind !== 'pglite') throw new Error('pglite only');
        const { PGlite } = await import('@electric-sql/pglite');
        const db = new PGlite(config.dataDir);
        const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
        await db.close();
        return rows[0]?.n ?? -1;
      },
    },
  ],
  [
    'postgres',
    {
      async fresh() {
        const db = await createTestDatabase(inject('postgresUrl'));
        return { config: { kind: 'postgres', url: db.url }, cleanup: db.drop };
      },
      async migrationCount(config) {
        if (config.kind !== 'postgres') throw new Error('postgres only');
        const client = new pg.Client({ connectionString: config.url });
        await client.connect();
        const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
        await client.end();
        return rows[0]?.n ?? -1;
      },
    },
  ],
];

const T0 = new Date('2026-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);

function newHandoff(over: Partial<NewHandoff> = {}): NewHandoff {
  return {
    id: randomUUID(),
    tenantId: 'acme',
    contactId: '1001',
    params: ['a', 'b'],
    context: { intent: 'billing', nested: { n: 1 } },
    idempotencyKey: null,
    inputHash: 'h1',
    leaseOwner: 'replica-a',
    leaseUntil: at(10_000),
    now: T0,
    ...over,
  };
}

const failure = (over: Partial<HandoffError> = {}): HandoffError => ({
  code: 'CXONE_UNAVAILABLE',
  message: 'CXone answered 503',
  upstreamStatus: 503,
  at: at(1_000),
  ...over,
});

describe.each(backends)('HandoffStore on %s', (_name, backend) => {
  let store: HandoffStore;
  let config: StoreConfig;
  let cleanup: () => Promise<void>;
  const log = recordingLogger();

  beforeAll(async () => {
    ({ config, cleanup } = await backend.fresh());
    store = await createStore(config, { log });
  });

  afterAll(async () => {
    await store.close();
    await cleanup();
  });

  /** A tenant id no other test uses, so tests share one database without seeing each other. */
  const tenant = (): string => `t-${randomUUID().slice(0, 8)}`;

  it('applies the migrations once and records them; reopening applies nothing new', async () => {
    expect(log.entries.some((e) => e.msg === 'store migrations applied')).toBe(true);
    await store.close();
    expect(await backend.migrationCount(config)).toBe(migrations.length);
    const log2 = recordingLogger();
    store = await createStore(config, { log: log2 });
    await store.ping();
    expect(log2.entries.some((e) => e.msg === 'store migrations applied')).toBe(false);
  });

  it('inserts a PENDING handoff and reads it back with every field', async () => {
    const tenantId = tenant();
    const input = newHandoff({ tenantId, idempotencyKey: 'k1' });
    const { record, created } = await store.insertOrGet(input);
    expect(created).toBe(true);
    expect(record).toMatchObject({
      id: input.id,
      tenantId,
      contactId: '1001',
      state: 'PENDING',
      params: ['a', 'b'],
      context: { intent: 'billing', nested: { n: 1 } },
      idempotencyKey: 'k1',
      attempts: 0,
      lastError: null,
      signaledAt: null,
      inputHash: 'h1',
      leaseOwner: 'replica-a',
    });
    expect(record.createdAt.toISOString()).toBe(T0.toISOString());
    expect(record.leaseUntil?.toISOString()).toBe(at(10_000).toISOString());
    expect(await store.get(tenantId, input.id)).toEqual(record);
  });

  it('keeps a null context as null and accepts empty params', async () => {
    const tenantId = tenant();
    const { record } = await store.insertOrGet(newHandoff({ tenantId, context: null, params: [] }));
    expect(record.context).toBeNull();
    expect(record.params).toEqual([]);
  });

  it('returns the stored row for a second insert with the same (tenant, key), and scopes keys per tenant', async () => {
    const [a, b] = [tenant(), tenant()];
    const first = await store.insertOrGet(newHandoff({ tenantId: a, idempotencyKey: 'same', inputHash: 'h1' }));
    const replay = await store.insertOrGet(newHandoff({ tenantId: a, idempotencyKey: 'same', inputHash: 'h2' }));
    expect(replay.created).toBe(false);
    expect(replay.record.id).toBe(first.record.id);
    expect(replay.record.inputHash).toBe('h1');
    const other = await store.insertOrGet(newHandoff({ tenantId: b, idempotencyKey: 'same' }));
    expect(other.created).toBe(true);
    expect(other.record.id).not.toBe(first.record.id);
  });

  it('lets concurrent inserts with one key create exactly one row', async () => {
    const tenantId = tenant();
    const results = await Promise.all(Array.from({ length: 20 }, () => store.insertOrGet(newHandoff({ tenantId, idempotencyKey: 'race' }))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.record.id)).size).toBe(1);
  });

  it('never conflicts on a null idempotency key', async () => {
    const tenantId = tenant();
    const one = await store.insertOrGet(newHandoff({ tenantId }));
    const two = await store.insertOrGet(newHandoff({ tenantId }));
    expect([one.created, two.created]).toEqual([true, true]);
  });

  it('scopes reads to the tenant and treats a malformed id as not found', async () => {
    const [a, b] = [tenant(), tenant()];
    const { record } = await store.insertOrGet(newHandoff({ tenantId: a, contactId: '42' }));
    expect(await store.get(b, record.id)).toBeNull();
    expect(await store.latestForContact(b, '42')).toBeNull();
    expect(await store.list({ tenantId: b, limit: 10, after: null, state: null, contactId: null })).toEqual([]);
    expect(await store.get(a, 'not-a-uuid')).toBeNull();
    expect(await store.reopen(b, record.id, { owner: 'x', leaseUntil: T0, now: T0, codes: ['RETRIES_EXHAUSTED'] })).toBeNull();
  });

  it('finds the latest handoff of a contact', async () => {
    const tenantId = tenant();
    await store.insertOrGet(newHandoff({ tenantId, contactId: '7', now: at(1) }));
    const newest = await store.insertOrGet(newHandoff({ tenantId, contactId: '7', now: at(3) }));
    await store.insertOrGet(newHandoff({ tenantId, contactId: '8', now: at(5) }));
    expect((await store.latestForContact(tenantId, '7'))?.id).toBe(newest.record.id);
    expect(await store.latestForContact(tenantId, '9')).toBeNull();
  });

  it('pages newest first with a keyset, ties on created_at broken by id, filtered by state and contact', async () => {
    const tenantId = tenant();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      // Pairs share a timestamp, so the id tiebreak matters.
      const { record } = await store.insertOrGet(newHandoff({ tenantId, contactId: i % 2 === 0 ? '100' : '200', now: at(Math.floor(i / 2)) }));
      ids.push(record.id);
    }
    const all = await store.list({ tenantId, limit: 100, after: null, state: null, contactId: null });
    expect(all).toHaveLength(7);
    const order = [...all].sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime() || (x.id < y.id ? 1 : -1));
    expect(all.map((h) => h.id)).toEqual(order.map((h) => h.id));

    const seen: string[] = [];
    let after = null;
    for (;;) {
      const page = await store.list({ tenantId, limit: 3, after, state: null, contactId: null });
      seen.push(...page.map((h) => h.id));
      const last = page.at(-1);
      if (page.length < 3 || last === undefined) break;
      after = { createdAt: last.createdAt, id: last.id };
    }
    expect(seen).toEqual(all.map((h) => h.id));

    const contact = await store.list({ tenantId, limit: 100, after: null, state: null, contactId: '200' });
    expect(contact.map((h) => h.contactId)).toEqual(['200', '200', '200']);

    const target = all[0];
    if (target === undefined) throw new Error('no rows');
    await store.complete(target.id, 'replica-a', { state: 'SIGNALED', attempts: 1, lastError: null, signaledAt: at(9), now: at(9) });
    const signaled = await store.list({ tenantId, limit: 100, after: null, state: 'SIGNALED', contactId: null });
    expect(signaled.map((h) => h.id)).toEqual([target.id]);
    expect(await store.list({ tenantId, limit: 100, after: null, state: 'PENDING', contactId: null })).toHaveLength(6);
  });

  it('records progress and the outcome only while the owner holds the PENDING row', async () => {
    const tenantId = tenant();
    const { record } = await store.insertOrGet(newHandoff({ tenantId }));
    expect(await store.recordProgress(record.id, 'someone-else', { attempts: 1, lastError: failure(), now: at(1) })).toBeNull();
    const progressed = await store.recordProgress(record.id, 'replica-a', { attempts: 2, lastError: failure(), now: at(1_000) });
    expect(progressed).toMatchObject({ state: 'PENDING', attempts: 2, lastError: failure() });

    const failed = await store.complete(record.id, 'replica-a', {
      state: 'FAILED',
      attempts: 3,
      lastError: failure({ code: 'RETRIES_EXHAUSTED', message: 'gave up' }),
      signaledAt: null,
      now: at(2_000),
    });
    expect(failed).toMatchObject({ state: 'FAILED', attempts: 3, leaseOwner: null, leaseUntil: null, nextAttemptAt: null });
    expect(failed?.lastError?.code).toBe('RETRIES_EXHAUSTED');
    // A late progress write or a second outcome cannot touch a finished row.
    expect(await store.recordProgress(record.id, 'replica-a', { attempts: 9, lastError: failure(), now: at(3_000) })).toBeNull();
    expect(await store.complete(record.id, 'replica-a', { state: 'SIGNALED', attempts: 9, lastError: null, signaledAt: T0, now: T0 })).toBeNull();
  });

  it('reopens a FAILED row only for the given codes, leased to the new owner', async () => {
    const tenantId = tenant();
    const { record } = await store.insertOrGet(newHandoff({ tenantId }));
    await store.complete(record.id, 'replica-a', { state: 'FAILED', attempts: 1, lastError: failure({ code: 'CXONE_CONTACT_NOT_FOUND' }), signaledAt: null, now: at(1) });
    expect(await store.reopen(tenantId, record.id, { owner: 'b', leaseUntil: at(99), now: at(5), codes: ['CXONE_UNAVAILABLE'] })).toBeNull();
    const reopened = await store.reopen(tenantId, record.id, { owner: 'b', leaseUntil: at(99), now: at(5), codes: ['CXONE_CONTACT_NOT_FOUND'] });
    expect(reopened).toMatchObject({ state: 'PENDING', leaseOwner: 'b', attempts: 1 });
    expect(reopened?.pendingSince.toISOString()).toBe(at(5).toISOString());
    expect(reopened?.lastError?.code).toBe('CXONE_CONTACT_NOT_FOUND');
  });

  it('claims only PENDING rows whose lease expired, and a released row at once', async () => {
    const tenantId = tenant();
    const leased = await store.insertOrGet(newHandoff({ tenantId, leaseUntil: at(60_000) }));
    const expired = await store.insertOrGet(newHandoff({ tenantId, leaseUntil: at(1_000) }));
    const released = await store.insertOrGet(newHandoff({ tenantId, leaseUntil: at(60_000) }));
    expect(await store.release(released.record.id, 'replica-a', at(2_000))).toBe(true);
    const done = await store.insertOrGet(newHandoff({ tenantId, leaseUntil: at(1_000) }));
    await store.complete(done.record.id, 'replica-a', { state: 'SIGNALED', attempts: 1, lastError: null, signaledAt: at(1), now: at(1) });

    const claimed = (await store.claimDue({ owner: 'w', now: at(5_000), leaseUntil: at(20_000), limit: 1_000 })).filter((h) => h.tenantId === tenantId);
    expect(claimed.map((h) => h.id).sort()).toEqual([expired.record.id, released.record.id].sort());
    expect(claimed.every((h) => h.leaseOwner === 'w' && h.leaseUntil?.getTime() === at(20_000).getTime())).toBe(true);
    // Leased now: a second claim before the lease ends gets nothing of these.
    const again = (await store.claimDue({ owner: 'w2', now: at(6_000), leaseUntil: at(30_000), limit: 1_000 })).filter((h) => h.tenantId === tenantId);
    expect(again).toEqual([]);
    // After the lease expires, the rows are claimable again (and so is the first, long-leased one).
    const later = (await store.claimDue({ owner: 'w3', now: at(61_000), leaseUntil: at(90_000), limit: 1_000 })).filter((h) => h.tenantId === tenantId);
    expect(later.map((h) => h.id).sort()).toEqual([leased.record.id, expired.record.id, released.record.id].sort());
    // The previous owner lost the lease and can no longer record an outcome.
    expect(await store.complete(expired.record.id, 'w', { state: 'SIGNALED', attempts: 1, lastError: null, signaledAt: at(1), now: at(1) })).toBeNull();
  });

  it('never hands the same row to two concurrent claimers', async () => {
    const tenantId = tenant();
    const ids = new Set<string>();
    for (let i = 0; i < 60; i++) ids.add((await store.insertOrGet(newHandoff({ tenantId, leaseUntil: at(-1) }))).record.id);
    // A second instance on the same database where the backend allows it (PGlite is one process).
    const other = config.kind === 'postgres' ? await createStore(config, { log: recordingLogger() }) : store;
    const claimer = async (s: HandoffStore, owner: string): Promise<string[]> => {
      const got: string[] = [];
      for (;;) {
        const batch = (await s.claimDue({ owner, now: at(1), leaseUntil: at(100_000_000), limit: 7 })).filter((h) => h.tenantId === tenantId);
        if (batch.length === 0) return got;
        got.push(...batch.map((h) => h.id));
      }
    };
    const [a, b] = await Promise.all([claimer(store, 'a'), claimer(other, 'b')]);
    if (other !== store) await other.close();
    expect(a.length + b.length).toBe(ids.size);
    expect(new Set([...a, ...b])).toEqual(ids);
  });

  it('upserts and reads calls per tenant', async () => {
    const [a, b] = [tenant(), tenant()];
    const call = {
      tenantId: a,
      contactId: '555',
      pseudoNumber: '+15550100001',
      from: '+15551230000',
      sipCallId: 'c1@x',
      receivedAt: at(1),
      masterContactId: '554',
      cxoneContext: { standard: { ani: '+15551230000', n: [1, { deep: true }] }, custom: { ivaParams: '{"tier":"gold"}' }, extended: null },
      warnings: ['X-CXone-Extended: not valid JSON; its context is left null.'],
    };
    expect(await store.upsertCall(call)).toEqual(call);
    const replaced = { ...call, sipCallId: 'c2@x', from: null, receivedAt: at(2), masterContactId: null, cxoneContext: null, warnings: [] };
    expect(await store.upsertCall(replaced)).toEqual(replaced);
    expect(await store.getCall(a, '555')).toEqual(replaced);
    expect(await store.getCall(b, '555')).toBeNull();
  });

  it('answers ping and rejects use after close with StoreUnavailableError', async () => {
    const fresh = await backend.fresh();
    const s = await createStore(fresh.config, { log: recordingLogger() });
    await s.ping();
    await s.close();
    await expect(s.ping()).rejects.toMatchObject({ name: 'StoreUnavailableError' });
    await fresh.cleanup();
  });

  it('keeps its data across close and reopen', async () => {
    const tenantId = tenant();
    const { record } = await store.insertOrGet(newHandoff({ tenantId, idempotencyKey: 'durable' }));
    await store.close();
    store = await createStore(config, { log: recordingLogger() });
    expect(await store.get(tenantId, record.id)).toEqual(record);
  });
});
