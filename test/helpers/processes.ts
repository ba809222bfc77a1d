/**
 * Every child process a test starts goes through `spawnChild`: it runs in a process group of its own
 * (`detached: true`), is recorded, and its whole group is SIGKILLed when the test that started it
 * finishes (passed, failed or timed out), when its file's suites end (test/setup.ts), and when the
 * worker exits. A test that wants a graceful stop still sends SIGTERM itself first; this is the
 * backstop that keeps a timed-out test from leaving a gateway, sipp or simulator running.
 *
 * `leftoverProcesses()` is the global teardown's check that nothing escaped anyway (a worker killed
 * by vitest never runs its exit handler): it lists this checkout's `dist/` processes and the sipp and
 * chromium processes tests start.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

const live = new Set<ChildProcess>();

/** Sends `signal` to the child's whole process group (it leads one: spawned detached). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is gone already
  }
}

/** SIGKILLs the group of every child still running. */
export function killAllChildren(): void {
  for (const child of live) signalGroup(child, 'SIGKILL');
  live.clear();
}

// Synchronous, so it also runs when the worker exits after a test timed out.
process.once('exit', killAllChildren);

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const CHECKOUT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Marks a process (and its descendants, which inherit the environment) as started by a test of this
 * checkout, so the teardown check finds ours and never touches another checkout's sipp or browser.
 */
export const OWNER_ENV = { CXGW_TEST_CHECKOUT: CHECKOUT } as const;

export interface ChildOptions extends SpawnOptions {
  /**
   * When the group is killed at the latest: `test` (default) when the test that spawned it finishes;
   * `file` when its file's suites end, for a process later tests go on using (a harness's gateway).
   */
  readonly lifetime?: 'test' | 'file';
}

/** `spawn` in a process group of its own, killed with that group when the current test (or file) ends. */
export function spawnChild(command: string, args: readonly string[], { lifetime = 'test', ...options }: ChildOptions = {}): ChildProcess {
  const child = spawn(command, args, { ...options, env: { ...(options.env ?? process.env), ...OWNER_ENV }, detached: true });
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (lifetime === 'test') {
    try {
      onTestFinished(() => signalGroup(child, 'SIGKILL'));
    } catch {
      // Started from a beforeAll/afterAll hook: it lives for the file, and test/setup.ts's afterAll kills it.
    }
  }
  return child;
}

/** Resolves with the exit code and signal once the child has exited (at once if it already has). */
export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** A process a test started that is still running: pid and command line. */
export interface Leftover {
  readonly pid: number;
  readonly command: string;
}

/**
 * Processes a test of this checkout started: marked with OWNER_ENV (spawnChild's children, the
 * browser), or running this checkout's `dist/`. Read from /proc, so it sees orphans of killed
 * workers too; the vitest processes themselves carry no marker.
 */
export function leftoverProcesses(): Leftover[] {
  const out: Leftover[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let command: string;
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      continue; // gone meanwhile
    }
    let environ = '';
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      // another user's process: not ours
    }
    const ours = command.includes(DIST) || environ.split('\0').includes(`CXGW_TEST_CHECKOUT=${CHECKOUT}`);
    if (ours) out.push({ pid, command });
  }
  return out;
}

/**
 * The global teardown's check: kills every leftover and throws naming them, so a leak fails the run
 * (and still leaves nothing behind). vitest only reports an error thrown by a global teardown
 * ("error during close") and still exits 0, so the exit code is set here too.
 */
export function assertNoLeftoverProcesses(project: string): void {
  const left = leftoverProcesses();
  if (left.length === 0) return;
  for (const { pid } of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
  process.exitCode = 1;
  throw new Error(`${project}: ${left.length} process(es) started by tests were still running after the run (now killed):\n${left.map((p) => `  ${p.pid} ${p.command.slice(0, 300)}`).join('\n')}`);
}
