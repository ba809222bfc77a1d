/**
 * Retention (docs/architecture.md, "Handoff lifecycle and the store"; README, "Retention"): the
 * worker's passes over the embedded store with an injected clock, its schedule under fake timers,
 * RETENTION_DAYS and the purged-rows counter.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { handoffMetricsEvents } from '../../src/composition/metrics-policy.js';
import { type Call } from '../../src/handoff/model.js';
import { type HandoffStore, type NewHandoff, type PurgedRows } from '../../src/handoff/ports.js';
import { RetentionWorker, type RetentionSchedule } from '../../src/handoff/retention-worker.js';
import { createMetrics } from '../../src/http/metrics.js';
import { openPgliteStore } from '../../src/store/pglite.store.js';
import { loadConfig } from '../../src/config/config.js';
import { pgliteDataDir } from '../helpers/pglite.js';
import { recordingLogger } from './handoff-fakes.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const DAY = 24 * 60 * 60_000;
const RETAIN = 30 * DAY;
const at = (ms: number): Date => new Date(T0 + ms);

function newHandoff(tenantId: string, contactId: string, over: Partial<NewHandoff> = {}): NewHandoff {
  return {
    id: randomUUID(),
    tenantId,
    contactId,
    params: ['caller data'],
    context: { name: 'Ada' },
    idempotencyKey: null,
    inputHash: 'h',
    leaseOwner: 'r1',
    leaseUntil: at(60_000),
    now: at(0),
    ...over,
  };
}

function call(tenantId: string, contactId: string, receivedAtMs: number): Call {
  return {
    tenantId,
    contactId,
    pseudoNumber: '+15550100001',
    from: 'sip:+15551230000@carrier',
    sipCallId: `${contactId}@x`,
    receivedAt: at(receivedAtMs),
    masterContactId: null,
    cxoneContext: null,
    warnings: [],
  };
}

describe('retention over the embedded store (injected clock)', () => {
  let store: HandoffStore;
  let dir: { path: string; remove(): Promise<void> };
  let now = T0;
  const purged: PurgedRows[] = [];
  const log = recordingLogger();
  const worker = (schedule: Partial<RetentionSchedule> = {}): RetentionWorker =>
    new RetentionWorker({ store, log, clock: () => now, events: { purged: (rows) => purged.push(rows) }, retainMs: RETAIN, schedule });

  beforeAll(async () => {
    dir = await pgliteDataDir('cxgw-retention-');
    store = await openPgliteStore({ dataDir: dir.path }, { log: recordingLogger() });
  });
  afterAll(async () => {
    await store.close();
    await dir.remove();
  });
  afterEach(async () => {
    // Each test starts from an empty store: a far-future pass takes every finished row and call.
    now = T0 + 100 * 365 * DAY;
    await worker({ maxBatches: 1_000 }).pass();
    purged.length = 0;
  });

  /** A handoff accepted at `createdMs` that ended in `state` at `endedMs`. */
  async function finished(tenantId: string, contactId: string, state: 'SIGNALED' | 'FAILED', createdMs: number, endedMs: number): Promise<string> {
    const { record } = await store.insertOrGet(newHandoff(tenantId, contactId, { now: at(createdMs), leaseUntil: at(createdMs + 60_000) }));
    const lastError = state === 'FAILED' ? { code: 'CXONE_CONTACT_NOT_FOUND' as const, message: 'gone', upstreamStatus: 404, at: at(endedMs) } : null;
    const done = await store.complete(record.id, 'r1', { state, attempts: 1, lastError, signaledAt: state === 'SIGNALED' ? at(endedMs) : null, now: at(endedMs) });
    expect(done?.state).toBe(state);
    return record.id;
  }

  it('deletes finished handoffs and unreferenced calls older than the retention; keeps PENDING, recent and referenced rows', async () => {
    const t = `t-${randomUUID().slice(0, 8)}`;
    const oldSignaled = await finished(t, '1', 'SIGNALED', 0, 1_000);
    const oldFailed = await finished(t, '2', 'FAILED', 0, 2_000);
    const pending = (await store.insertOrGet(newHandoff(t, '3'))).record.id;
    // Accepted long ago, finished recently: age counts from the last change.
    const lateFinish = await finished(t, '4', 'SIGNALED', 0, 20 * DAY);
    const recent = await finished(t, '5', 'SIGNALED', 25 * DAY, 25 * DAY + 1_000);
    await store.upsertCall(call(t, '1', 0)); // its handoff goes: the call goes too
    await store.upsertCall(call(t, '3', 0)); // its handoff is PENDING: kept
    await store.upsertCall(call(t, '4', 0)); // its handoff is recent: kept
    await store.upsertCall(call(t, '9', 0)); // no handoff at all: goes
    await store.upsertCall(call(t, '8', 10 * DAY)); // recent: kept

    now = T0 + RETAIN + 5_000;
    const outcome = await worker().pass();

    expect(outcome).toEqual({ handoffs: 2, calls: 2, backlog: false });
    expect(purged).toEqual([
      { handoffs: 2, calls: 0 },
      { handoffs: 0, calls: 2 },
    ]);
    expect(await store.get(t, oldSignaled)).toBeNull();
    expect(await store.get(t, oldFailed)).toBeNull();
    for (const id of [pending, lateFinish, recent]) expect(await store.get(t, id)).not.toBeNull();
    expect(await store.getCall(t, '1')).toBeNull();
    expect(await store.getCall(t, '9')).toBeNull();
    for (const contact of ['3', '4', '8']) expect(await store.getCall(t, contact)).not.toBeNull();
    expect(log.entries.some((e) => e.msg === 'retention purged expired rows' && e.obj.handoffs === 2 && e.obj.calls === 2)).toBe(true);
  });

  it('never deletes a PENDING handoff, however old', async () => {
    const t = `t-${randomUUID().slice(0, 8)}`;
    const pending = (await store.insertOrGet(newHandoff(t, '1'))).record.id;
    now = T0 + 10 * 365 * DAY;
    expect(await worker().pass()).toEqual({ handoffs: 0, calls: 0, backlog: false });
    expect((await store.get(t, pending))?.state).toBe('PENDING');
  });

  it('keeps a row changed exactly retention ago and deletes it one millisecond later', async () => {
    const t = `t-${randomUUID().slice(0, 8)}`;
    const id = await finished(t, '1', 'SIGNALED', 0, 1_000);
    now = T0 + 1_000 + RETAIN;
    expect((await worker().pass()).handoffs).toBe(0);
    now += 1;
    expect((await worker().pass()).handoffs).toBe(1);
    expect(await store.get(t, id)).toBeNull();
  });

  it('keeps a FAILED handoff that retryHandoff reopened: the reopening is its last change', async () => {
    const t = `t-${randomUUID().slice(0, 8)}`;
    const id = await finished(t, '1', 'FAILED', 0, 1_000);
    const reopened = await store.reopen(t, id, { owner: 'r2', leaseUntil: at(29 * DAY + 60_000), now: at(29 * DAY), codes: ['CXONE_CONTACT_NOT_FOUND'] });
    expect(reopened?.state).toBe('PENDING');
    now = T0 + RETAIN + 5_000;
    expect((await worker().pass()).handoffs).toBe(0);
    expect(await store.get(t, id)).not.toBeNull();
  });

  it('purges in bounded batches, handoffs then calls: a pass stops at maxBatches and says rows may be left', async () => {
    const t = `t-${randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 10; i++) await finished(t, String(i), 'SIGNALED', 0, 1_000);
    now = T0 + RETAIN + 5_000;
    const w = worker({ batchSize: 3, maxBatches: 2 });
    expect(await w.pass()).toEqual({ handoffs: 6, calls: 0, backlog: true });
    expect(purged).toEqual([
      { handoffs: 3, calls: 0 },
      { handoffs: 3, calls: 0 },
    ]);
    // The cap again: the handoffs are done, the calls not yet looked at.
    expect(await w.pass()).toEqual({ handoffs: 4, calls: 0, backlog: true });
    expect(await w.pass()).toEqual({ handoffs: 0, calls: 0, backlog: false });
    expect(await store.list({ tenantId: t, limit: 100, after: null, state: null, contactId: null })).toEqual([]);
  });

  it('forgets the idempotency key with its handoff: a replay after the purge is a new handoff', async () => {
    const t = `t-${randomUUID().slice(0, 8)}`;
    const first = await store.insertOrGet(newHandoff(t, '1', { idempotencyKey: 'k' }));
    await store.complete(first.record.id, 'r1', { state: 'SIGNALED', attempts: 1, lastError: null, signaledAt: at(1_000), now: at(1_000) });
    now = T0 + RETAIN + 5_000;
    await worker().pass();
    const replay = await store.insertOrGet(newHandoff(t, '1', { idempotencyKey: 'k', now: at(RETAIN + 5_000), leaseUntil: at(RETAIN + 65_000) }));
    expect(replay.created).toBe(true);
    expect(replay.record.id).not.toBe(first.record.id);
  });
});

describe('retention schedule (fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A store whose batches answer `answers` in turn (then nothing), or fail; counts the batches. */
  function fakeStore(answers: PurgedRows[] | Error): { store: HandoffStore; calls: number } {
    const state = { batches: 0, current: { handoffs: 0, calls: 0 } };
    const store = {
      purgeExpiredHandoffs: () => {
        state.batches++;
        if (answers instanceof Error) return Promise.reject(answers);
        state.current = answers.shift() ?? { handoffs: 0, calls: 0 };
        return Promise.resolve(state.current.handoffs);
      },
      purgeExpiredCalls: () => Promise.resolve(state.current.calls),
    } as unknown as HandoffStore;
    return {
      store,
      get calls() {
        return state.batches;
      },
    };
  }

  const schedule = { firstPassAfterMs: 1_000, intervalMs: 60_000, backlogIntervalMs: 5_000, batchSize: 2, maxBatches: 2 };

  it('runs shortly after start, then every interval; sooner while a backlog remains; never after stop', async () => {
    // Only the schedule's timers are fake: the pause between batches (setImmediate) stays real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const fake = fakeStore([
      { handoffs: 2, calls: 0 },
      { handoffs: 2, calls: 0 }, // first pass hits maxBatches: backlog
      { handoffs: 1, calls: 0 }, // second pass (after backlogIntervalMs) finishes it
    ]);
    const w = new RetentionWorker({ store: fake.store, log: recordingLogger(), clock: () => T0, events: {}, retainMs: RETAIN, schedule });
    /**
     * Waits until the pass under way has ended and planned the next one, turning the real event loop
     * (not vi.waitFor: under fake timers it would advance the clock it checks).
     */
    const passEnded = async (calls: number) => {
      for (let turn = 0; turn < 1_000 && vi.getTimerCount() === 0; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
      expect(fake.calls).toBe(calls);
      expect(vi.getTimerCount()).toBe(1);
    };
    w.start();
    await vi.advanceTimersByTimeAsync(999);
    expect(fake.calls).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await passEnded(2);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(fake.calls).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    await passEnded(3);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(fake.calls).toBe(3);
    await vi.advanceTimersByTimeAsync(1);
    await passEnded(4);
    await w.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(fake.calls).toBe(4);
  });

  it('survives a failing store: a warning, and the next pass on time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const fake = fakeStore(new Error('connect ECONNREFUSED 10.0.0.9:5432'));
    const log = recordingLogger();
    const w = new RetentionWorker({ store: fake.store, log, clock: () => T0, events: {}, retainMs: RETAIN, schedule });
    w.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(log.entries.filter((e) => e.level === 'warn').map((e) => e.msg)).toEqual(['retention pass failed; the next pass tries again']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fake.calls).toBe(2);
    await w.stop();
  });

  it('refuses a retention of zero (turned off means no worker)', () => {
    expect(() => new RetentionWorker({ store: fakeStore([]).store, log: recordingLogger(), clock: () => T0, events: {}, retainMs: 0 })).toThrow(RangeError);
  });
});

describe('RETENTION_DAYS and the purged-rows counter', () => {
  const tenants = JSON.stringify({
    tenants: [
      {
        id: 'demo',
        cxone: { issuer: 'http://127.0.0.1:4010', clientId: 'c', clientSecret: 'env:S', accessKeyId: 'k', accessKeySecret: 'env:S' },
        pseudoNumbers: ['+15550100001'],
        keys: [{ name: 'runtime', sha256: 'a'.repeat(64), scope: 'signal' }],
      },
    ],
  });
  const load = (env: Record<string, string>) => loadConfig({ TENANTS_FILE: '/t.json', S: 'secret', ...env }, { readFile: () => tenants });

  it.each([
    [{}, { kind: 'purge', days: 30 }],
    [{ RETENTION_DAYS: '7' }, { kind: 'purge', days: 7 }],
    [{ RETENTION_DAYS: '0' }, { kind: 'off' }],
  ])('reads %o as %o', (env, retention) => {
    expect(load(env).retention).toEqual(retention);
  });

  it.each(['-1', '1.5', 'forever', '3651'])('refuses RETENTION_DAYS=%s, naming it', (value) => {
    expect(() => load({ RETENTION_DAYS: value })).toThrow(/RETENTION_DAYS/);
  });

  it('counts purged rows by table', async () => {
    const metrics = createMetrics({ defaults: false });
    const events = handoffMetricsEvents(metrics);
    events.purged({ handoffs: 3, calls: 1 });
    events.purged({ handoffs: 2, calls: 0 });
    const text = await metrics.registry.metrics();
    expect(text).toContain('cxgw_retention_purged_rows_total{table="handoffs"} 5');
    expect(text).toContain('cxgw_retention_purged_rows_total{table="calls"} 1');
  });
});
