/**
 * Child processes of the benchmark: the servers under test run outside the process that generates
 * the load (two cores: the generator must not share an event loop with what it measures).
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { freePort } from '../scripts/temp-postgres.js';

/** `dist/` root of the compiled project (this file is `dist/bench/processes.js`). */
const DIST = fileURLToPath(new URL('../', import.meta.url));

export { freePort };

/** A server child: its base URL and how to stop it. */
export interface ServerChild {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  const gone = exited(child);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/**
 * Forks a compiled bench server (`dist/bench/<script>`) that reports `{ url }` over IPC once it
 * listens.
 */
export async function forkServer(script: string, args: readonly string[] = []): Promise<ServerChild> {
  const child = fork(`${DIST}bench/${script}`, [...args], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message: { url?: string }) => (message.url ? resolve(message.url) : reject(new Error(`${script} sent no url`))));
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before listening`)));
  });
  return { url, child, stop: () => stopChild(child) };
}

/** The gateway as an operator runs it: `node dist/src/bin.js`, configured by `env`. */
export interface GatewayChild extends ServerChild {
  /** Milliseconds from spawn to the first 200 on `/readyz`. */
  readonly readyMs: number;
}

/** Spawns `node [execArgv] dist/src/bin.js` on `port` and waits for `/readyz` to answer 200. */
export async function spawnGateway(
  env: Readonly<Record<string, string>>,
  options: {
    readonly execArgv?: readonly string[];
    /** Another build's `dist/` (e.g. of the commit before a change, for a before/after row); default this one. */
    readonly dist?: string;
    /** A file the gateway's log lines go to. */
    readonly logFile?: string;
  } = {},
): Promise<GatewayChild> {
  const port = await freePort();
  const started = performance.now();
  // Logs go nowhere unless asked (they are still formatted and written, as in production); errors are shown.
  const logFd = options.logFile === undefined ? undefined : openSync(options.logFile, 'w');
  const child = spawn(process.execPath, [...(options.execArgv ?? []), `${options.dist ?? DIST}src/bin.js`], {
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', logFd ?? 'ignore', 'inherit'],
  });
  if (logFd !== undefined) closeSync(logFd);
  const url = `http://127.0.0.1:${port}`;
  let failed: Error | undefined;
  child.once('exit', (code, signal) => {
    failed = new Error(`the gateway exited (${code ?? signal}) before it was ready`);
  });
  for (;;) {
    if (failed) throw failed;
    try {
      const res = await request(`${url}/readyz`);
      await res.body.dump();
      if (res.statusCode === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const readyMs = performance.now() - started;
  return { url, child, readyMs, stop: () => stopChild(child, 15_000) };
}

/** Resident set size of a process in bytes (Linux `/proc/<pid>/status` VmRSS). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  return kb === undefined ? 0 : Number(kb) * 1024;
}

/**
 * CPU time (user + system) a process has used so far, in ms, from `/proc/<pid>/stat` (clock ticks
 * of 10 ms on Linux's usual USER_HZ of 100): what a request costs, whatever else the machine runs.
 */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) in parentheses; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Samples a process's RSS every `everyMs` until stopped; `stop()` resolves to the largest sample. */
export function sampleRss(pid: number, everyMs = 250): { stop(): number } {
  let max = rssBytes(pid);
  const timer = setInterval(() => {
    try {
      max = Math.max(max, rssBytes(pid));
    } catch {
      // the process ended
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return max;
    },
  };
}
