/**
 * The PostgreSQL store against a cluster this suite stops and starts: outages surface as
 * StoreUnavailableError, the pool recovers when the server is back, replicas migrate safely at once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { StoreUnavailableError } from '../../src/handoff/errors.js';
import { createStore } from '../../src/store/create-store.js';
import { isConnectionFailure } from '../../src/store/postgres.store.js';
import { createTestDatabase } from '../helpers/database.js';
import { startTempPostgres, type TempPostgres } from '../helpers/postgres.js';
import { recordingLogger } from '../unit/handoff-fakes.js';

const T0 = new Date('2026-01-01T00:00:00.000Z');

describe('PostgreSQL store', () => {
  it('migrates once when several replicas open a new database at the same moment', async () => {
    const db = await createTestDatabase(inject('postgresUrl'));
    const stores = await Promise.all(Array.from({ length: 4 }, () => createStore({ kind: 'postgres', url: db.url }, { log: recordingLogger() })));
    await Promise.all(stores.map((s) => s.close()));
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    await client.end();
    await db.drop();
    expect(rows.map((r) => r.version).sort((x, y) => x - y)).toEqual([1, 2]);
  });

  it('refuses to open against an unreachable server with StoreUnavailableError', async () => {
    const url = 'postgres://postgres@127.0.0.1:9/none';
    await expect(createStore({ kind: 'postgres', url }, { log: recordingLogger() })).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('tells connection failures from statement errors', () => {
    expect(isConnectionFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionFailure(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isConnectionFailure(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionFailure(Object.assign(new Error('duplicate key value'), { code: '23505' }))).toBe(false);
    expect(isConnectionFailure('nope')).toBe(false);
  });

  describe('through a server restart', () => {
    let server: TempPostgres;

    beforeAll(async () => {
      server = await startTempPostgres();
    });

    afterAll(async () => {
      await server.destroy();
    });

    it('fails fast while the server is down and recovers by itself when it is back', async () => {
      const log = recordingLogger();
      const store = await createStore({ kind: 'postgres', url: server.url, poolSize: 4 }, { log });
      const tenantId = randomUUID();
      const insert = async () =>
        await store.insertOrGet({
          id: randomUUID(),
          tenantId,
          contactId: '1',
          params: [],
          context: null,
          idempotencyKey: null,
          inputHash: 'h',
          leaseOwner: 'r',
          leaseUntil: T0,
          now: T0,
        });
      await insert();
      // Several idle connections in the pool, which the shutdown will kill.
      await Promise.all(Array.from({ length: 4 }, () => store.ping()));

      await server.stop();
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(insert()).rejects.toBeInstanceOf(StoreUnavailableError);

      await server.start();
      let recovered = false;
      for (let i = 0; i < 50 && !recovered; i++) {
        recovered = await store.ping().then(
          () => true,
          () => new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 100)),
        );
      }
      expect(recovered).toBe(true);
      // The connections killed by the shutdown were reported, not left to crash the process.
      expect(log.entries.some((e) => e.level === 'warn' && e.msg?.includes('connection lost'))).toBe(true);
      await insert();
      expect(await store.list({ tenantId, limit: 10, after: null, state: null, contactId: null })).toHaveLength(2);
      await store.close();
    });
  });
});
