/**
 * Production, as the README's "Running in production" tells a platform engineer (issue 15 §3): the
 * two-stage install recipe (scripts/install-production.sh --into: build in this checkout, then the
 * built files and `npm ci --omit=dev` in a temp dir), whose gateway then serves against PostgreSQL
 * with no dev dependency installed;
 * and `--migrate`, which applies the store migrations ahead of a deploy and exits.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrations } from '../../src/store/migrations.js';
import { createTestDatabase } from '../helpers/database.js';
import { gql, STACK_KEYS, startGatewayProcess, startStack, type Stack } from '../helpers/stack.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

async function appliedVersions(url: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    return rows.map((r) => r.version);
  } finally {
    await client.end();
  }
}

describe('cxone-gateway --migrate', () => {
  it('applies every migration to an empty database, exits 0, and finds nothing to do the second time', async () => {
    const db = await createTestDatabase(inject('postgresUrl'));
    try {
      for (let i = 0; i < 2; i += 1) {
        const proc = startGatewayProcess({ DATABASE_URL: db.url }, ['--migrate']);
        expect(await proc.exited).toEqual({ code: 0, signal: null });
        expect(proc.output().stdout).toContain('store migrations are up to date');
      }
      expect(await appliedVersions(db.url)).toEqual(migrations.map((m) => m.version));
    } finally {
      await db.drop();
    }
  });
});

describe('the production install recipe', () => {
  let install: string;
  let stack: Stack;
  let db: { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    install = await mkdtemp(join(tmpdir(), 'cxgw-prod-'));
    // The two-stage recipe: this checkout (built by the global setup; the build is incremental)
    // is the build stage, the temp dir the runtime image. The npm cache this machine's own
    // `npm ci` filled serves the packages: no registry round trip is needed.
    await run('bash', ['scripts/install-production.sh', '--into', install, '--prefer-offline'], { cwd: root, timeout: 420_000, maxBuffer: 64 * 1024 * 1024 });
    stack = await startStack();
    await stack.stopGateway();
    db = await createTestDatabase(inject('postgresUrl'));
  }, 600_000);

  afterAll(async () => {
    await db?.drop();
    await stack?.close();
    if (install) await rm(install, { recursive: true, force: true });
  });

  it('leaves the runtime dependencies only', () => {
    expect(existsSync(join(install, 'dist/src/bin.js'))).toBe(true);
    expect(existsSync(join(install, 'node_modules/fastify'))).toBe(true);
    expect(existsSync(join(install, 'src')), 'no sources').toBe(false);
    for (const dev of ['vitest', 'typescript', 'eslint', 'pino-pretty', 'playwright-core']) {
      expect(existsSync(join(install, 'node_modules', dev)), dev).toBe(false);
    }
  });

  it('serves a signal against PostgreSQL and exits 0 on SIGTERM', async () => {
    const proc = startGatewayProcess({ ...stack.gatewayEnv(), LOG_LEVEL: 'info', DATA_DIR: '', DATABASE_URL: db.url, NODE_ENV: 'production' }, [], 'test', join(install, 'dist/src/bin.js'));
    const url = await proc.ready;
    const call = await stack.sim.createCall();
    const answer = await gql(url, STACK_KEYS.signal, 'mutation($c: String!) { signalContact(input: { contactId: $c, params: ["from-production"] }) { handoff { state } } }', { c: call.contactId });
    expect(answer.body).toEqual({ data: { signalContact: { handoff: { state: 'SIGNALED' } } } });
    expect(await appliedVersions(db.url)).toEqual(migrations.map((m) => m.version));
    expect(await proc.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
