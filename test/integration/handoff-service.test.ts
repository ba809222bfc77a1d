/**
 * HandoffService against real PostgreSQL: the row is visible to other connections before CXone is
 * called, replicas sharing the database never signal one row twice, and a database outage refuses
 * the request instead of signalling without a record.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { StoreUnavailableError } from '../../src/handoff/errors.js';
import { type Handoff } from '../../src/handoff/model.js';
import { HandoffService } from '../../src/handoff/handoff.service.js';
import { createStore } from '../../src/store/create-store.js';
import { type HandoffStore } from '../../src/handoff/ports.js';
import { createTestDatabase } from '../helpers/database.js';
import { startTempPostgres } from '../helpers/postgres.js';
import { FakeNiceClient, niceTenant, recordingLogger, slow } from '../unit/handoff-fakes.js';

const OPTIONS = { waitMs: 2_000, budgetMs: 2_000, leaseMs: 5_000, workerIntervalMs: 10, workerBatch: 5, stopTimeoutMs: 2_000 };

describe('HandoffService on PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let stores: HandoffStore[];

  beforeAll(async () => {
    db = await createTestDatabase(inject('postgresUrl'));
    stores = await Promise.all([0, 1].map(() => createStore({ kind: 'postgres', url: db.url, poolSize: 4 }, { log: recordingLogger() })));
  });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await db.drop();
  });

  const service = (store: HandoffStore, nice: FakeNiceClient, replicaId: string): HandoffService =>
    new HandoffService({ store, nice, tenants: niceTenant, log: recordingLogger(), options: { ...OPTIONS, replicaId } });

  it('commits the PENDING row, visible to any connection, before CXone is called', async () => {
    const tenantId = randomUUID();
    const seen: { state: string; lease_owner: string }[] = [];
    const nice = new FakeNiceClient(async (call) => {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const { rows } = await client.query<{ state: string; lease_owner: string }>('SELECT state, lease_owner FROM handoffs WHERE tenant_id = $1 AND contact_id = $2', [
        tenantId,
        call.contactId,
      ]);
      await client.end();
      seen.push(...rows);
      return { status: 202, attempts: 1 };
    });
    const [store] = stores as [HandoffStore];
    const result = await service(store, nice, 'r1').signal(tenantId, { contactId: '10', params: ['a'], context: null, idempotencyKey: null });
    expect(result.state).toBe('SIGNALED');
    expect(seen).toEqual([{ state: 'PENDING', lease_owner: 'r1' }]);
  });

  it('lets one of two replicas win a concurrent request with the same idempotency key', async () => {
    const tenantId = randomUUID();
    const nice = new FakeNiceClient(slow(50));
    const [a, b] = [service(stores[0] as HandoffStore, nice, 'a'), service(stores[1] as HandoffStore, nice, 'b')];
    const input = { contactId: '20', params: ['x'], context: { k: 1 }, idempotencyKey: 'same-key' };
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? a : b).signal(tenantId, input)));
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(nice.calls).toHaveLength(1);
  });

  it('never has two replicas signal the same abandoned row', async () => {
    const tenantId = randomUUID();
    const [first] = stores as [HandoffStore];
    const past = Date.now() - 60_000;
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const { record } = await first.insertOrGet({
        id: randomUUID(),
        tenantId,
        contactId: String(1000 + i),
        params: [],
        context: null,
        idempotencyKey: null,
        inputHash: 'h',
        leaseOwner: 'crashed',
        leaseUntil: new Date(past + 1_000),
        now: new Date(past),
      });
      ids.push(record.id);
    }
    const nice = new FakeNiceClient(slow(5));
    const replicas = [service(stores[0] as HandoffStore, nice, 'a'), service(stores[1] as HandoffStore, nice, 'b')];
    replicas.forEach((r) => r.start());
    const done = await vi.waitFor(
      async () => {
        const page = await first.list({ tenantId, limit: 100, after: null, state: 'SIGNALED', contactId: null });
        expect(page).toHaveLength(ids.length);
        return page;
      },
      { timeout: 20_000 },
    );
    await Promise.all(replicas.map((r) => r.stop()));

    const mine = nice.calls.filter((c) => c.tenant.id === tenantId).map((c) => c.contactId);
    expect(mine).toHaveLength(60);
    expect(new Set(mine).size).toBe(60);
    expect(done.every((h: Handoff) => h.attempts === 1)).toBe(true);
  });
});

describe('HandoffService when PostgreSQL is down', () => {
  it('refuses signal with StoreUnavailableError and never calls CXone without a stored row', async () => {
    const server = await startTempPostgres();
    try {
      const store = await createStore({ kind: 'postgres', url: server.url }, { log: recordingLogger() });
      const nice = new FakeNiceClient();
      const svc = new HandoffService({ store, nice, tenants: niceTenant, log: recordingLogger(), options: OPTIONS });
      await server.stop();
      await expect(svc.signal('t', { contactId: '1', params: [], context: null, idempotencyKey: null })).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(svc.status('t', '1')).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(nice.calls).toHaveLength(0);
      await store.close();
    } finally {
      await server.destroy();
    }
  });
});
