/**
 * Live tenants (issue 15 §2): the registry swaps a reloaded file in one step; the reloader reads the
 * file on demand and when it changes, refuses an invalid file with its problems and keeps the
 * tenants in force, and counts both outcomes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readTenantsFile } from '../../src/config/config.js';
import { createTenantRegistry } from '../../src/config/tenant-registry.js';
import { startTenantsReloader, type TenantsReloader } from '../../src/composition/tenants-reload.js';
import { createMetrics } from '../../src/http/metrics.js';
import { recordingLogger } from './handoff-fakes.js';

const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const ENV = { SECRET: 'not-a-real-secret' };

function tenant(id: string, number: string, keys: readonly string[]) {
  return {
    id,
    cxone: { issuer: 'http://127.0.0.1:4010', clientId: 'c', clientSecret: 'env:SECRET', accessKeyId: 'k', accessKeySecret: 'env:SECRET' },
    pseudoNumbers: [number],
    keys: keys.map((key, i) => ({ name: `key-${i}`, sha256: sha(key), scope: 'signal' })),
  };
}

describe('TenantRegistry.replace', () => {
  it('puts the new tenants in force for every lookup, and drops what the new set lacks', () => {
    const load = (tenants: unknown[]) => {
      const result = readTenantsFile('/t.json', ENV, { readFile: () => JSON.stringify({ tenants }) });
      if (!result.ok) throw new Error(result.problems.join('\n'));
      return result.tenants;
    };
    const registry = createTenantRegistry(load([tenant('acme', '+15550100001', ['old'])]));
    expect(registry.findKey(sha('old'))?.tenant.id).toBe('acme');

    registry.replace(load([tenant('acme', '+15550100001', ['old', 'new']), tenant('globex', '+15550100002', ['g'])]));
    expect(registry.findKey(sha('old'))?.tenant.id).toBe('acme');
    expect(registry.findKey(sha('new'))?.tenant.id).toBe('acme');
    expect(registry.ownerOfNumber('+15550100002')?.id).toBe('globex');
    expect(registry.tenants.map((t) => t.id)).toEqual(['acme', 'globex']);

    registry.replace(load([tenant('acme', '+15550100001', ['new'])]));
    expect(registry.findKey(sha('old'))).toBeUndefined();
    expect(registry.get('globex')).toBeUndefined();
    expect(registry.ownerOfNumber('+15550100002')).toBeUndefined();
  });

  it("moves the Handoff API's PolyAI projects with the tenants", () => {
    const load = (tenants: unknown[]) => {
      const result = readTenantsFile('/t.json', ENV, { readFile: () => JSON.stringify({ tenants }) });
      if (!result.ok) throw new Error(result.problems.join('\n'));
      return result.tenants;
    };
    const registry = createTenantRegistry(load([{ ...tenant('acme', '+15550100001', ['a']), polyai: { accountId: 'ws-1', projectId: 'PROJECT-1' } }]));
    expect(registry.ownerOfPolyAiProject('ws-1', 'PROJECT-1')?.id).toBe('acme');
    expect(registry.ownerOfPolyAiProject('ws-1', 'PROJECT-2')).toBeUndefined();
    registry.replace(load([{ ...tenant('acme', '+15550100001', ['a']), polyai: { accountId: 'ws-1', projectId: 'PROJECT-2' } }]));
    expect(registry.ownerOfPolyAiProject('ws-1', 'PROJECT-1')).toBeUndefined();
    expect(registry.ownerOfPolyAiProject('ws-1', 'PROJECT-2')?.id).toBe('acme');
  });
});

describe('startTenantsReloader', () => {
  let dir: string;
  let file: string;
  let reloader: TenantsReloader | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cxgw-tenants-'));
    file = join(dir, 'tenants.json');
    await writeFile(file, JSON.stringify({ tenants: [tenant('acme', '+15550100001', ['old'])] }));
  });

  afterEach(async () => {
    reloader?.close();
    await rm(dir, { recursive: true, force: true });
  });

  function start(watch: boolean) {
    const io = { readFile: (path: string) => readFileSync(path, 'utf8') };
    const initial = readTenantsFile(file, ENV, io);
    if (!initial.ok) throw new Error('bad fixture');
    const registry = createTenantRegistry(initial.tenants);
    const metrics = createMetrics({ defaults: false });
    const log = recordingLogger();
    reloader = startTenantsReloader({ registry, metrics, log, load: () => readTenantsFile(file, ENV, io), debounceMs: 20, ...(watch ? { watchFile: file } : {}) });
    return { registry, metrics, log, reloader };
  }

  it('applies a valid file on reload (key rotation with overlap, then the old key removed)', async () => {
    const { registry, metrics, reloader } = start(false);
    await writeFile(file, JSON.stringify({ tenants: [tenant('acme', '+15550100001', ['old', 'new'])] }));
    expect(reloader.reload('test')).toEqual({ outcome: 'applied', tenants: ['acme'] });
    expect(registry.findKey(sha('old'))).toBeDefined();
    expect(registry.findKey(sha('new'))).toBeDefined();

    await writeFile(file, JSON.stringify({ tenants: [tenant('acme', '+15550100001', ['new'])] }));
    reloader.reload('test');
    expect(registry.findKey(sha('old'))).toBeUndefined();
    expect(registry.findKey(sha('new'))).toBeDefined();
    expect((await metrics.tenantsReloads.get()).values).toEqual([expect.objectContaining({ labels: { outcome: 'applied' }, value: 2 })]);
  });

  it('refuses an invalid file with the same field-by-field problems as at start, and keeps the tenants in force', async () => {
    const { registry, metrics, log, reloader } = start(false);
    await writeFile(file, JSON.stringify({ tenants: [{ ...tenant('acme', 'not-a-number', ['new']), keys: [] }] }));
    const outcome = reloader.reload('test');
    expect(outcome.outcome).toBe('refused');
    const problems = outcome.outcome === 'refused' ? outcome.problems : [];
    expect(problems.some((p) => p.includes('tenants[0].pseudoNumbers[0]'))).toBe(true);
    expect(registry.findKey(sha('old'))?.tenant.id).toBe('acme');
    expect(registry.findKey(sha('new'))).toBeUndefined();
    expect((await metrics.tenantsReloads.get()).values).toEqual([expect.objectContaining({ labels: { outcome: 'refused' }, value: 1 })]);
    expect(log.entries).toContainEqual(expect.objectContaining({ level: 'error', msg: 'tenants file refused; the tenants in force stay' }));
    expect(JSON.stringify(log.entries)).not.toContain(ENV.SECRET);
  });

  it('reloads when the file is replaced (renamed over, as editors do), debounced', async () => {
    const { registry } = start(true);
    const next = join(dir, 'tenants.json.tmp');
    await writeFile(next, JSON.stringify({ tenants: [tenant('acme', '+15550100001', ['new']), tenant('globex', '+15550100002', ['g'])] }));
    await rename(next, file);
    await vi.waitFor(() => expect(registry.get('globex')).toBeDefined(), { timeout: 10_000, interval: 20 });
    expect(registry.findKey(sha('old'))).toBeUndefined();
  });
});
