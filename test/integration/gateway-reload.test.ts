/**
 * Configuration without a restart (issue 15 §2), on the production entry as a process: SIGHUP reads
 * the tenants file again. A key added beside the old one works at once and the old one keeps working
 * (rotation with overlap) until it is removed; an invalid file is refused and changes nothing; a
 * tenant removed with a handoff still PENDING ends that handoff FAILED with a clear code, the row kept.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { STACK_KEYS, startGatewayProcess, startStack, type GatewayProcess, type Stack } from '../helpers/stack.js';

const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const STATUS = /* GraphQL */ `query { handoffs(first: 1) { edges { node { id } } } }`;

interface TenantsFile {
  tenants: { id: string; keys: { name: string; sha256: string; scope: string }[] }[];
}

describe('tenants reload on SIGHUP', () => {
  let stack: Stack;
  let proc: GatewayProcess;
  let url: string;
  let file: string;
  let original: TenantsFile;

  const status = async (key: string) =>
    (
      await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: STATUS }),
      })
    ).status;

  const rewrite = async (change: (file: TenantsFile) => TenantsFile | string) => {
    const next = change(structuredClone(original));
    await writeFile(file, typeof next === 'string' ? next : JSON.stringify(next));
  };

  const reloads = async (outcome: 'applied' | 'refused') => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(new RegExp(`cxgw_tenants_reloads_total\\{outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  };

  /** SIGHUP, then wait until the reload (applied or refused) is counted. */
  const hangUp = async (outcome: 'applied' | 'refused') => {
    const before = await reloads(outcome);
    proc.child.kill('SIGHUP');
    await vi.waitFor(async () => expect(await reloads(outcome)).toBeGreaterThan(before), { timeout: 15_000, interval: 50 });
  };

  beforeAll(async () => {
    stack = await startStack();
    await stack.stopGateway();
    const env = stack.gatewayEnv();
    file = env.TENANTS_FILE ?? '';
    original = JSON.parse(await readFile(file, 'utf8')) as TenantsFile;
    // Started for the whole file: both tests use it.
    proc = startGatewayProcess({ ...env, LOG_LEVEL: 'info' }, [], 'file');
    url = await proc.ready;
  });

  afterAll(async () => {
    proc?.child.kill('SIGKILL');
    await proc?.exited;
    await stack?.close();
  });

  it('rotates a key with overlap: the new key works at once, the old one until it is removed', async () => {
    expect(await status(STACK_KEYS.signal)).toBe(200);
    expect(await status('rotated-key')).toBe(401);

    await rewrite((f) => {
      f.tenants[0]?.keys.push({ name: 'rotated', sha256: sha('rotated-key'), scope: 'signal' });
      return f;
    });
    await hangUp('applied');
    expect(await status('rotated-key')).toBe(200);
    expect(await status(STACK_KEYS.signal)).toBe(200);

    await rewrite((f) => {
      const t = f.tenants[0];
      if (t) t.keys = [...t.keys.filter((k) => k.sha256 !== sha(STACK_KEYS.signal)), { name: 'rotated', sha256: sha('rotated-key'), scope: 'signal' }];
      return f;
    });
    await hangUp('applied');
    expect(await status('rotated-key')).toBe(200);
    expect(await status(STACK_KEYS.signal)).toBe(401);
  });

  it('refuses an invalid file, logs its problems by field, and keeps the tenants in force', async () => {
    await rewrite(() => '{ "tenants": [ { "id": "demo" } ] }');
    await hangUp('refused');
    expect(await status('rotated-key')).toBe(200);
    expect(proc.output().stdout).toMatch(/tenants file refused; the tenants in force stay/);
    expect(proc.output().stdout).toMatch(/tenants\[0\]\.cxone/);
  });
});
