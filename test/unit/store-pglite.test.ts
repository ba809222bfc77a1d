/** The embedded store's group commit: concurrent writes share a transaction, failures stay with their caller. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HandoffStore, type NewHandoff } from '../../src/store/handoff-store.js';
import { inlineParams, openPgliteStore } from '../../src/store/pglite.store.js';
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

  it.each<[string, string, unknown[], string]>([
    ['strings, quotes doubled', 'SELECT $1', ["a'b"], "SELECT 'a''b'"],
    ['backslashes kept as they are', 'SELECT $1', ['a\\b'], "SELECT 'a\\b'"],
    ['null and undefined', 'SELECT $1, $2', [null, undefined], 'SELECT NULL, NULL'],
    ['numbers', 'LIMIT $1', [42], 'LIMIT 42'],
    ['dates as ISO text', 'SELECT $1', [new Date(0)], "SELECT '1970-01-01T00:00:00.000Z'"],
    ['string arrays', 'SELECT $1::text[]', [['x', "y'"]], "SELECT ARRAY['x', 'y''']::text[]"],
    ['empty arrays', 'SELECT $1::text[]', [[]], 'SELECT ARRAY[]::text[]'],
    ['two-digit placeholders', 'SELECT $10, $1', ['a', 2, 3, 4, 5, 6, 7, 8, 9, 'ten'], "SELECT 'ten', 'a'"],
  ])('inlines %s', (_name, sql, params, expected) => {
    expect(inlineParams(sql, params)).toBe(expected);
  });

  it.each<[string, string, unknown[]]>([
    ['a missing parameter', 'SELECT $2', ['a']],
    ['an object', 'SELECT $1', [{ a: 1 }]],
    ['NaN', 'SELECT $1', [Number.NaN]],
    ['a NUL byte', 'SELECT $1', ['a\u0000b']],
  ])('refuses to inline %s', (_name, sql, params) => {
    expect(() => inlineParams(sql, params)).toThrow();
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
      store.upsertCall({ tenantId, contactId: '1', pseudoNumber: '+15550100001', from: null, sipCallId: null, receivedAt: T0 }),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(String((settled[1] as PromiseRejectedResult).reason)).toMatch(/duplicate key/);
    const listed = await store.list({ tenantId, limit: 10, after: null, state: null, contactId: null });
    expect(listed.map((h) => h.contactId).sort()).toEqual(['1', '3']);
    expect(await store.getCall(tenantId, '1')).not.toBeNull();
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
