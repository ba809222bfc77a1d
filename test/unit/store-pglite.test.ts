/** The embedded store's group commit: concurrent writes share a transaction, failures stay with their caller. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HandoffStore, type NewHandoff } from '../../src/handoff/ports.js';
import { PGlite } from '@electric-sql/pglite';
import { openPgliteStore, sqlLiteral } from '../../src/store/pglite.store.js';
import { migrations, runMigrations } from '../../src/store/migrations.js';
import { recordingLogger } from './handoff-fakes.js';
import { pgliteDataDir } from '../helpers/pglite.js';

const T0 = new Date('2026-01-01T00:00:00.000Z');

function newHandoff(tenantId: string, over: Partial<NewHandoff> = {}): NewHandoff {
  return {
    id: randomUUID(),
    tenantId,
    contactId: '1001',
    params: ['p1'],
    context: null,
    idempotencyKey: null,
    inputHash: 'h',
    leaseOwner: 'r',
    leaseUntil: T0,
    now: T0,
    ...over,
  };
}

describe('PGlite store group commit', () => {
  let store: HandoffStore;
  let dir: { path: string; remove(): Promise<void> };

  beforeAll(async () => {
    dir = await pgliteDataDir();
    store = await openPgliteStore({ dataDir: dir.path }, { log: recordingLogger() });
  });

  afterAll(async () => {
    await store.close();
    await dir.remove();
  });

  it('stores every one of many concurrent inserts', async () => {
    const tenantId = randomUUID();
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => store.insertOrGet(newHandoff(tenantId, { contactId: String(i) }))));
    expect(results.every((r) => r.created)).toBe(true);
    const listed = await store.list({ tenantId, limit: 1_000, after: null, state: null, contactId: null });
    expect(listed).toHaveLength(500);
  });

  it('returns from a batch exactly what a later read returns, hostile strings included', async () => {
    const tenantId = randomUUID();
    const hostile = ["it's", "'); DELETE FROM handoffs; --", 'back\\slash $1 $$', 'ünïcødé ☎', ''];
    const results = await Promise.all(
      hostile.map((text, i) =>
        store.insertOrGet(newHandoff(tenantId, { contactId: String(i), params: [text, text], context: { text, list: [text], n: 1.5 }, idempotencyKey: text })),
      ),
    );
    for (const [i, { record }] of results.entries()) {
      expect(record.params).toEqual([hostile[i], hostile[i]]);
      expect(record.context).toEqual({ text: hostile[i], list: [hostile[i]], n: 1.5 });
      expect(await store.get(tenantId, record.id)).toEqual(record);
    }
  });

  it.each<[string, unknown, string]>([
    ['quotes doubled', "a'b", "'a''b'"],
    ['backslashes in an E-string, doubled', 'a\\b', " E'a\\\\b'"],
    ['null', null, 'NULL'],
    ['undefined', undefined, 'NULL'],
    ['numbers', 42, '42'],
    ['dates as ISO text', new Date(0), "'1970-01-01T00:00:00.000Z'"],
    ['string arrays', ['x', "y'"], "ARRAY['x', 'y''']"],
    ['empty arrays', [], 'ARRAY[]'],
    ['unicode as it is', 'ünïcødé ☎ \u202e \u2028', "'ünïcødé ☎ \u202e \u2028'"],
  ])('renders %s as an SQL literal', (_name, value, expected) => {
    expect(sqlLiteral(value)).toBe(expected);
  });

  it.each<[string, unknown]>([
    ['an object', { a: 1 }],
    ['NaN', Number.NaN],
    ['a NUL byte', 'a\u0000b'],
    ['a lone surrogate', 'a\ud800b'],
    ['an array holding a number', [1]],
  ])('refuses to render %s (the statement then runs parameterised)', (_name, value) => {
    expect(() => sqlLiteral(value)).toThrow(TypeError);
  });

  it('round-trips hostile strings exactly through prepared statements: quotes, backslashes, dollar quotes, unicode', async () => {
    const tenantId = randomUUID();
    const hostile = ["'", "''", "\\'", '\\', "E'\\x00'", '$1', '$$ $tag$', "'); DROP TABLE handoffs; --", '\u00a0\u202e\u2028\ufeff', '𝄞 emoji 🎉', "\\\\''"];
    for (const [i, text] of hostile.entries()) {
      const { record } = await store.insertOrGet(newHandoff(tenantId, { contactId: String(i), params: [text], context: { text } }));
      const read = await store.get(tenantId, record.id);
      expect(read?.params).toEqual([text]);
      expect(read?.context).toEqual({ text });
      expect((await store.latestForContact(tenantId, String(i)))?.id).toBe(record.id);
    }
  });

  it("answers a NUL in a parameter with PostgreSQL's own error, and stores nothing", async () => {
    const tenantId = randomUUID();
    await expect(store.insertOrGet(newHandoff(tenantId, { params: ['x\u0000y'] }))).rejects.toThrow();
    expect(await store.list({ tenantId, limit: 10, after: null, state: null, contactId: null })).toEqual([]);
  });

  it('fails only the caller whose statement fails; the rest of its batch is committed', async () => {
    const tenantId = randomUUID();
    const first = newHandoff(tenantId, { contactId: '1' });
    // Issued in one turn of the event loop, so they land in one batch; the second reuses the first's
    // primary key and violates it.
    const settled = await Promise.allSettled([
      store.insertOrGet(first),
      store.insertOrGet(newHandoff(tenantId, { id: first.id, contactId: '2' })),
      store.insertOrGet(newHandoff(tenantId, { contactId: '3' })),
      store.upsertCall({ tenantId, contactId: '1', pseudoNumber: '+15550100001', from: null, sipCallId: null, receivedAt: T0, masterContactId: null, cxoneContext: null, warnings: [] }),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(String((settled[1] as PromiseRejectedResult).reason)).toMatch(/duplicate key/);
    const listed = await store.list({ tenantId, limit: 10, after: null, state: null, contactId: null });
    expect(listed.map((h) => h.contactId).sort()).toEqual(['1', '3']);
    expect(await store.getCall(tenantId, '1')).not.toBeNull();
  });

  it('the later migrations upgrade a store with calls recorded under migration 1: no master id, no context, no warnings', async () => {
    const dir = await pgliteDataDir();
    // A store as migration 1 left it, with a call recorded then (one PGlite open fewer than
    // opening a store and undoing migration 2 by hand).
    const raw = new PGlite(dir.path);
    await runMigrations({ query: (sql, params) => raw.query(sql, params), exec: (sql) => raw.exec(sql) }, migrations.filter((m) => m.version === 1));
    await raw.query(`INSERT INTO calls (tenant_id, contact_id, pseudo_number, from_address, sip_call_id, received_at) VALUES ('t', '7', '+15550100001', NULL, 'c@x', $1)`, [T0]);
    await raw.close();

    const log = recordingLogger();
    const s = await openPgliteStore({ dataDir: dir.path }, { log });
    expect(log.entries.find((e) => e.msg === 'store migrations applied')).toMatchObject({ obj: { migrations: migrations.filter((m) => m.version > 1).map((m) => m.version) } });
    expect(await s.getCall('t', '7')).toEqual({
      tenantId: 't',
      contactId: '7',
      pseudoNumber: '+15550100001',
      from: null,
      sipCallId: 'c@x',
      receivedAt: T0,
      masterContactId: null,
      cxoneContext: null,
      warnings: [],
    });
    await s.close();
    await dir.remove();
  });

  it('flushes queued writes before close resolves, and the data is there on reopen', async () => {
    const other = await pgliteDataDir();
    const s = await openPgliteStore({ dataDir: other.path }, { log: recordingLogger() });
    const tenantId = randomUUID();
    const pending = Array.from({ length: 50 }, () => s.insertOrGet(newHandoff(tenantId)));
    await s.close();
    expect((await Promise.all(pending)).every((r) => r.created)).toBe(true);
    const reopened = await openPgliteStore({ dataDir: other.path }, { log: recordingLogger() });
    expect(await reopened.list({ tenantId, limit: 100, after: null, state: null, contactId: null })).toHaveLength(50);
    await reopened.close();
    await other.remove();
  });
});
