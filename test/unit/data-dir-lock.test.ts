/** The data directory lock (`src/store/data-dir-lock.ts`) in one process: stale, live and foreign owners. */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirError, DataDirInUseError, dataDirError, LOCK_FILE, lockDataDir } from '../../src/store/data-dir-lock.js';

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid ?? 0;
}

describe('lockDataDir', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cxgw-lock-'));
  });
  afterEach(async () => await rm(dir, { recursive: true, force: true }));

  const writeOwner = async (owner: Record<string, unknown>) => await writeFile(join(dir, LOCK_FILE), JSON.stringify({ token: 't', since: 'then', ...owner }));

  it('creates the directory, records this pid, refuses a second open and is free again after release', async () => {
    const dataDir = join(dir, 'data');
    const lock = await lockDataDir(dataDir);
    expect(JSON.parse(await readFile(join(dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    await expect(lockDataDir(dataDir)).rejects.toThrow(DataDirInUseError);
    await lock.release();
    await (await lockDataDir(dataDir)).release();
  });

  it('refuses while the recorded owner is alive, naming the directory and its pid', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      await writeOwner({ pid: child.pid, host: hostname() });
      await expect(lockDataDir(dir)).rejects.toThrow(`DATA_DIR ${dir} is in use by another cxone-gateway (pid ${child.pid})`);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('takes over the lock of a crashed owner (its pid is gone)', async () => {
    await writeOwner({ pid: await deadPid(), host: hostname() });
    const lock = await lockDataDir(dir);
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it('takes over a lock holding its own pid from an earlier life (a restarted container), and a damaged lock file', async () => {
    await writeOwner({ pid: process.pid, host: hostname() });
    await (await lockDataDir(dir)).release();
    await writeFile(join(dir, LOCK_FILE), '{"pid":');
    await (await lockDataDir(dir)).release();
  });

  it("another host's lock is refused while it is refreshed and taken over once it has gone untouched", async () => {
    await writeOwner({ pid: 1, host: 'elsewhere' });
    await expect(lockDataDir(dir)).rejects.toThrow('(pid 1 on host elsewhere)');
    const old = new Date(Date.now() - 120_000);
    await utimes(join(dir, LOCK_FILE), old, old);
    await (await lockDataDir(dir)).release();
  });

  it('lets exactly one of several concurrent openers win over a stale lock', async () => {
    await writeOwner({ pid: await deadPid(), host: hostname() });
    // In one process the first claim wins at once; the others are refused without touching the file.
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => lockDataDir(dir)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'fulfilled') await r.value.release();
  });

  it('names the path and the cause of a directory it cannot use', async () => {
    await writeFile(join(dir, 'file'), 'x');
    await expect(lockDataDir(join(dir, 'file'))).rejects.toThrow(new DataDirError(`DATA_DIR ${join(dir, 'file')} is not a directory (EEXIST).`));
    expect(dataDirError('/x', 'cannot be created', Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })).message).toBe('DATA_DIR /x is not writable (EACCES).');
    expect(dataDirError('/x', 'cannot be created', Object.assign(new Error('nope'), { code: 'ENOSPC' })).message).toBe('DATA_DIR /x cannot be created (ENOSPC).');
  });
});
