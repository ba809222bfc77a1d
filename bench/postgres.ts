/**
 * A throw-away PostgreSQL cluster for the benchmark's PostgreSQL row: initdb in a temp directory,
 * a free loopback port, trust auth, durability off (fsync, synchronous_commit), removed afterwards.
 * The same approach as the test suite's helper (bench/ cannot import test/). As root, the server
 * runs as the `postgres` user (PostgreSQL refuses to run as root).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './processes.js';

const run = promisify(execFile);

export interface BenchPostgres {
  readonly url: string;
  /** Stops the server and removes the cluster. */
  destroy(): Promise<void>;
}

/** The directory holding `initdb` and `pg_ctl` (Debian: /usr/lib/postgresql/N/bin), or null. */
export function findPostgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb'))) return bin;
  }
  return null;
}

/** Starts a cluster with the binaries in `bin` (from `findPostgresBin`). */
export async function startBenchPostgres(bin: string): Promise<BenchPostgres> {
  const asRoot = process.getuid?.() === 0;
  const dir = await mkdtemp(join(tmpdir(), 'cxgw-bench-pg-'));
  const dataDir = join(dir, 'data');
  const port = await freePort();
  if (asRoot) await chmod(dir, 0o777);
  const exec = (cmd: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args);
  const stop = () => exec('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
  try {
    await exec('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    await exec('pg_ctl', [
      '-D', dataDir, '-w', '-t', '60', '-l', join(dir, 'server.log'),
      '-o', `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
      'start',
    ]);
  } catch (error) {
    await stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
