/**
 * One embedded store, one owner (issue 13, item 1), across real processes: a second gateway on the
 * same DATA_DIR is refused at start, naming the directory and the owner's pid; after the owner is
 * SIGKILLed, the next gateway takes the lock over; a clean stop removes it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/store/data-dir-lock.js';
import { startStack, type Stack } from '../helpers/stack.js';

const BIN = fileURLToPath(new URL('../../dist/src/bin.js', import.meta.url));

interface Gateway {
  readonly child: ChildProcess;
  /** Resolves with the URL once it listens; rejects if it exits first. */
  readonly ready: Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** `cxone-gateway` in its own process group, so teardown can kill it whatever state the test left it in. */
function startGateway(env: Record<string, string>, started: ChildProcess[]): Gateway {
  const child = spawn(process.execPath, [BIN], { env: { PATH: process.env.PATH ?? '', ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  started.push(child);
  let out = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.includes('"gateway listening"') && l.endsWith('}'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.stderr?.on('data', (chunk: string) => (out += chunk));
    void exited.then(({ code, signal }) => reject(new Error(`gateway exited (${code ?? signal}):\n${out}`)));
  });
  ready.catch(() => undefined);
  return { child, ready, exited, output: () => out };
}

async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    return;
  }
  await exited;
}

describe('PGlite data directory lock across processes', () => {
  let stack: Stack;
  const started: ChildProcess[] = [];

  beforeAll(async () => {
    stack = await startStack();
    // The in-process gateway steps aside (and releases the directory): the children use its data dir.
    await stack.stopGateway();
  });
  afterAll(async () => {
    await Promise.all(started.map(killGroup));
    await stack?.close();
  });

  it('refuses a second gateway on the same DATA_DIR, naming the directory and the owner pid; after SIGKILL the lock is taken over', async () => {
    const env = stack.gatewayEnv();
    const dataDir = env['DATA_DIR'] ?? '';
    expect(dataDir).not.toBe('');

    const owner = startGateway(env, started);
    const url = await owner.ready;
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(true);

    const second = startGateway(env, started);
    expect((await second.exited).code).toBe(1);
    expect(second.output()).toContain(`DATA_DIR ${dataDir} is in use by another cxone-gateway (pid ${owner.child.pid})`);
    expect(second.output()).not.toMatch(/\n\s+at\s/);
    // The owner is unaffected.
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    // A crashed owner leaves its lock file behind; the next start finds its pid gone and takes over.
    await killGroup(owner.child);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(true);
    const next = startGateway(env, started);
    const nextUrl = await next.ready;
    expect((await fetch(`${nextUrl}/readyz`)).status).toBe(200);
    next.child.kill('SIGTERM');
    expect(await next.exited).toEqual({ code: 0, signal: null });
    // A clean stop removes the lock.
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  }, 180_000);
});
