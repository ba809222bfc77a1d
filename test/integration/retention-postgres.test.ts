/**
 * Retention on a shared PostgreSQL (README, "Retention"; docs/architecture.md, "Handoff lifecycle
 * and the store"): two replicas' purgers racing over the same rows delete each eligible row exactly
 * once between them and never wait for a row another transaction holds; retained rows survive; the
 * scans use migration 4's indexes; a gateway's worker feeds `cxgw_retention_purged_rows_total` on
 * `/metrics`; RETENTION_DAYS=0 starts no worker.
 */
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import pg from 'pg';
import { handoffMetricsEvents } from '../../src/composition/metrics-policy.js';
import { type HandoffStore, type PurgedRows } from '../../src/handoff/ports.js';
import { RetentionWorker } from '../../src/handoff/retention-worker.js';
import { createLogger } from '../../src/common/logger.js';
import { createMetrics, type GatewayMetrics } from '../../src/http/metrics.js';
import { createStore } from '../../src/store/create-store.js';
import { createTestDatabase } from '../helpers/database.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { recordingLogger } from '../unit/handoff-fakes.js';
import { SIGNAL, type HandoffView } from './gateway-operations.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const DAY = 24 * 60 * 60_000;
const RETAIN = 30 * DAY;
/** The purgers' clock: 31 days after T0, so rows of T0 are expired and rows of T0 + 20 days are not. */
const NOW = T0 + 31 * DAY;

/** Inserts `count` handoffs of `state` last changed at `at`, for contacts `${prefix}1`…; returns their ids. */
async function seedHandoffs(db: pg.Client, prefix: string, count: number, state: 'PENDING' | 'SIGNALED' | 'FAILED', at: Date): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO handoffs (id, tenant_id, contact_id, state, params, context, input_hash, pending_since, created_at, updated_at, signaled_at)
     SELECT gen_random_uuid(), 'acme', $1 || i, $2, ARRAY['caller data'], '{"name":"Ada"}'::jsonb, 'h', $3, $3, $3,
            CASE WHEN $2 = 'SIGNALED' THEN $3::timestamptz END
     FROM generate_series(1, $4::int) i
     RETURNING id`,
    [prefix, state, at, count],
  );
  return rows.map((r) => r.id);
}

/** Inserts calls for contacts `${prefix}1`…`${prefix}${count}` received at `at`. */
async function seedCalls(db: pg.Client, prefix: string, count: number, at: Date): Promise<void> {
  await db.query(
    `INSERT INTO calls (tenant_id, contact_id, pseudo_number, from_address, received_at)
     SELECT 'acme', $1 || i, '+15550100001', 'sip:+15551230000@carrier', $2 FROM generate_series(1, $3::int) i`,
    [prefix, at, count],
  );
}

async function ids(db: pg.Client, table: 'handoffs' | 'calls'): Promise<string[]> {
  const column = table === 'handoffs' ? 'id::text' : 'contact_id';
  return (await db.query<{ key: string }>(`SELECT ${column} AS key FROM ${table} ORDER BY 1`)).rows.map((r) => r.key);
}

describe('retention on PostgreSQL: two replicas purging at once', () => {
  let drop: () => Promise<void>;
  let url: string;
  let replicas: HandoffStore[];
  let db: pg.Client;

  beforeAll(async () => {
    const database = await createTestDatabase(inject('postgresUrl'));
    ({ drop, url } = database);
    // Two stores, two pools: what two gateway replicas on one database have.
    replicas = await Promise.all([0, 1].map(async () => await createStore({ kind: 'postgres', url: database.url, poolSize: 2 }, { log: recordingLogger() })));
    db = new pg.Client({ connectionString: url });
    await db.connect();
    // Every deletion, by the backend that made it: the test's own witness of "each row once".
    await db.query(`
      CREATE TABLE deleted (tbl text NOT NULL, key text NOT NULL, backend int NOT NULL);
      CREATE FUNCTION record_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO deleted VALUES (TG_TABLE_NAME, COALESCE(to_jsonb(OLD)->>'id', to_jsonb(OLD)->>'contact_id'), pg_backend_pid());
        RETURN OLD;
      END $$;
      CREATE TRIGGER handoffs_deleted AFTER DELETE ON handoffs FOR EACH ROW EXECUTE FUNCTION record_delete();
      CREATE TRIGGER calls_deleted AFTER DELETE ON calls FOR EACH ROW EXECUTE FUNCTION record_delete();`);
  });
  afterAll(async () => {
    await db?.end();
    await Promise.all((replicas ?? []).map((s) => s.close()));
    await drop?.();
  });

  const purgerLog = recordingLogger();
  const purger = (store: HandoffStore, metrics: GatewayMetrics, batches: PurgedRows[]) => {
    const counted = handoffMetricsEvents(metrics);
    return new RetentionWorker({
      store,
      log: purgerLog,
      clock: () => NOW,
      events: {
        purged(rows) {
          batches.push(rows);
          counted.purged(rows);
        },
      },
      retainMs: RETAIN,
      schedule: { batchSize: 50, maxBatches: 1_000 },
    });
  };

  it('deletes every eligible row exactly once between them, and nothing else', { timeout: 120_000 }, async () => {
    const expiredSignaled = await seedHandoffs(db, 'old-s-', 1_200, 'SIGNALED', new Date(T0));
    const expiredFailed = await seedHandoffs(db, 'old-f-', 300, 'FAILED', new Date(T0));
    const oldPending = await seedHandoffs(db, 'old-p-', 40, 'PENDING', new Date(T0));
    const recent = await seedHandoffs(db, 'new-s-', 60, 'SIGNALED', new Date(T0 + 20 * DAY));
    await seedCalls(db, 'old-s-', 400, new Date(T0)); // their handoffs expire: the calls go
    await seedCalls(db, 'orphan-', 350, new Date(T0)); // no handoff: go
    await seedCalls(db, 'old-p-', 40, new Date(T0)); // PENDING handoffs: kept
    await seedCalls(db, 'new-s-', 60, new Date(T0)); // recent handoffs: kept
    await seedCalls(db, 'fresh-', 30, new Date(T0 + 20 * DAY)); // recent: kept
    const keptHandoffs = [...oldPending, ...recent].sort();
    const keptCalls = ([['old-p-', 40], ['new-s-', 60], ['fresh-', 30]] as const).flatMap(([prefix, n]) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`)).sort();

    const [ma, mb] = [createMetrics({ defaults: false }), createMetrics({ defaults: false })];
    const ba: PurgedRows[] = [];
    const bb: PurgedRows[] = [];
    const [a, b] = await Promise.all([purger(replicas[0] as HandoffStore, ma, ba).pass(), purger(replicas[1] as HandoffStore, mb, bb).pass()]);

    const eligibleHandoffs = expiredSignaled.length + expiredFailed.length;
    expect(purgerLog.entries.filter((e) => e.level === 'warn')).toEqual([]);
    expect(a.handoffs + b.handoffs).toBe(eligibleHandoffs);
    expect(a.calls + b.calls).toBe(750);
    expect(await ids(db, 'handoffs')).toEqual(keptHandoffs);
    expect(await ids(db, 'calls')).toEqual(keptCalls);
    const witness = await db.query<{ tbl: string; rows: number; keys: number; backends: number }>(
      'SELECT tbl, count(*)::int AS rows, count(DISTINCT key)::int AS keys, count(DISTINCT backend)::int AS backends FROM deleted GROUP BY tbl ORDER BY tbl',
    );
    expect(witness.rows.map(({ tbl, rows, keys }) => ({ tbl, rows, keys }))).toEqual([
      { tbl: 'calls', rows: 750, keys: 750 },
      { tbl: 'handoffs', rows: eligibleHandoffs, keys: eligibleHandoffs },
    ]);
    // What each replica's counter says adds up to what was deleted: no row counted twice.
    const counted = async (m: GatewayMetrics, table: string) =>
      Number(new RegExp(`^cxgw_retention_purged_rows_total\\{table="${table}"\\} (\\d+)$`, 'm').exec(await m.registry.metrics())?.[1] ?? 0);
    expect((await counted(ma, 'handoffs')) + (await counted(mb, 'handoffs'))).toBe(eligibleHandoffs);
    expect((await counted(ma, 'calls')) + (await counted(mb, 'calls'))).toBe(750);
    console.log(
      `\nretention race: ${eligibleHandoffs} handoffs + 750 calls eligible; replica A deleted ${a.handoffs} + ${a.calls} in ${ba.length} batches, ` +
        `B ${b.handoffs} + ${b.calls} in ${bb.length}; ${keptHandoffs.length} handoffs and ${keptCalls.length} calls kept\n`,
    );
    await db.query('TRUNCATE deleted');
  });

  it('skips rows another transaction holds instead of waiting, and takes them on a later pass', async () => {
    const expired = await seedHandoffs(db, 'held-', 20, 'FAILED', new Date(T0));
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM handoffs WHERE id = ANY($1::uuid[]) FOR UPDATE', [expired.slice(0, 3)]);
      const w = purger(replicas[0] as HandoffStore, createMetrics({ defaults: false }), []);
      // A purge that waited would hang here until the store's 5 s query timeout, then report 0.
      expect((await w.pass()).handoffs).toBe(17);
      await holder.query('COMMIT');
      expect((await w.pass()).handoffs).toBe(3);
    } finally {
      await holder.end();
    }
  });

  it('finds expired rows through the indexes of migration 4', async () => {
    await db.query('BEGIN');
    try {
      await db.query('SET LOCAL enable_seqscan = off');
      const plan = async (sql: string) => (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)).rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(await plan(`SELECT id FROM handoffs WHERE state IN ('SIGNALED', 'FAILED') AND updated_at < now() ORDER BY updated_at LIMIT 50`)).toContain(
        'handoffs_terminal_updated',
      );
      expect(await plan('SELECT contact_id FROM calls WHERE received_at < now() ORDER BY received_at LIMIT 50')).toContain('calls_received');
    } finally {
      await db.query('ROLLBACK');
    }
  });
});

describe('retention in a running gateway: /metrics', () => {
  let stack: Stack;
  let db: pg.Client;

  beforeAll(async () => {
    stack = await startStack({
      store: 'postgres',
      postgresUrl: inject('postgresUrl'),
      env: { RETENTION_DAYS: '30' },
      // Passes back to back instead of hourly, so the test sees one soon after seeding.
      deps: { retentionSchedule: { firstPassAfterMs: 0, intervalMs: 100 } },
    });
    db = new pg.Client({ connectionString: stack.gatewayEnv().DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await stack?.close();
  });

  it('counts the rows it purged by table, and keeps a handoff signalled today', async () => {
    const { contactId } = await stack.sim.createCall();
    const res = await stack.gql<{ signalContact: { handoff: HandoffView } }>(SIGNAL, { input: { contactId, params: ['today'] } });
    const today = res.body.data?.signalContact.handoff;
    expect(today?.state).toBe('SIGNALED');
    // Two years old by the gateway's own (real) clock.
    const old = new Date(Date.now() - 2 * 365 * DAY);
    await seedHandoffs(db, 'old-', 25, 'SIGNALED', old);
    await seedCalls(db, 'old-', 25, old);
    await seedCalls(db, 'orphan-', 5, old);

    await vi.waitFor(
      async () => {
        const text = await (await fetch(`${stack.gatewayUrl}/metrics`)).text();
        expect(text).toMatch(/^cxgw_retention_purged_rows_total\{table="handoffs"\} 25$/m);
        expect(text).toMatch(/^cxgw_retention_purged_rows_total\{table="calls"\} 30$/m);
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(await ids(db, 'handoffs')).toEqual([today?.id]);
  });
});

describe('RETENTION_DAYS=0 in a running gateway', () => {
  it('starts no retention worker, and says so once at start', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    const stack = await startStack({ env: { RETENTION_DAYS: '0' }, deps: { log, retentionSchedule: { firstPassAfterMs: 0, intervalMs: 10 } } });
    try {
      const entries = lines.map((line) => JSON.parse(line) as { msg?: string; component?: string });
      expect(entries.filter((e) => e.msg?.startsWith('retention is off'))).toHaveLength(1);
      expect(entries.filter((e) => e.component === 'retention')).toEqual([]);
    } finally {
      await stack.close();
    }
  });
});
