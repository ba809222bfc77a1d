/**
 * The embedded store owns its data directory alone. PGlite is PostgreSQL in one process with no
 * server in front: two processes opening one directory each believe they are the only writer, so
 * an idempotency key yields two handoffs and two CXone signals, and each overwrites the other's
 * pages (handoffs accepted by one were gone after a restart).
 *
 * The lock is a file, `DATA_DIR/cxone-gateway.lock`, created atomically (written to a temporary
 * file, then hard-linked into place, which fails when the name exists), holding the owner's pid, host
 * and start time. A second process finds it and is refused with the directory and that pid. A lock
 * left by an owner that is gone is taken over:
 * - on the same host, when `process.kill(pid, 0)` says no such process (a crash, SIGKILL, OOM), or
 *   when the pid is this process's own (a container restarted: the new gateway is pid 1 again);
 * - from another host (a shared volume), where a pid says nothing, when the owner stopped touching
 *   the file: the owner refreshes its mtime every `STALE_MS / 4`, so one untouched for `STALE_MS`
 *   is stale.
 * Two processes taking over the same stale lock at once serialise on a `mkdir` (atomic); the loser
 * finds the winner's lock and is refused. A clean close removes the file; so does a normal exit.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rmdir, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

/** Name of the lock file inside the data directory. */
export const LOCK_FILE = 'cxone-gateway.lock';
/** How long a lock of another host may go untouched before it counts as abandoned. */
const STALE_MS = 30_000;

/** The data directory is owned by another live process. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  constructor(
    readonly dataDir: string,
    readonly ownerPid: number,
    ownerHost: string,
  ) {
    super(
      `DATA_DIR ${dataDir} is in use by another cxone-gateway (pid ${ownerPid}${ownerHost === hostname() ? '' : ` on host ${ownerHost}`}); ` +
        'the embedded store has one owner. Stop that process, or give replicas a shared PostgreSQL with DATABASE_URL.',
    );
  }
}

/** The data directory cannot be used at all (missing permissions, not a directory, read-only file system). */
export class DataDirError extends Error {
  override readonly name = 'DataDirError';
}

interface Owner {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
  readonly since: string;
}

export interface DataDirLock {
  /** Removes the lock file (when it is still this owner's); safe to call twice. */
  release(): Promise<void>;
}

/** Directories this process holds, so a second open in the same process is refused too. */
const heldHere = new Set<string>();

function errnoCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error';
}

/** `DATA_DIR /x is not writable (EACCES)` and the like: the path and the cause, nothing else. */
export function dataDirError(dataDir: string, what: string, error: unknown): DataDirError {
  const code = errnoCode(error);
  const reason = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'is not writable' : what;
  return new DataDirError(`DATA_DIR ${dataDir} ${reason} (${code}).`, { cause: error });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return errnoCode(error) === 'EPERM';
  }
}

function parseOwner(text: string): Owner | null {
  try {
    const value = JSON.parse(text) as Partial<Owner>;
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.token === 'string') {
      return { pid: value.pid, host: value.host, token: value.token, since: String(value.since ?? '') };
    }
  } catch {
    // not written by this module
  }
  return null;
}

/** Whether the owner recorded in the lock is gone. */
async function isStale(owner: Owner | null, lockPath: string): Promise<boolean> {
  if (owner === null) return true;
  if (owner.host === hostname()) {
    // Our own pid: the lock of an earlier process with this pid (this process's claim is in `heldHere`).
    if (owner.pid === process.pid) return true;
    return !isAlive(owner.pid);
  }
  const touched = (await stat(lockPath)).mtimeMs;
  return Date.now() - touched > STALE_MS;
}

/**
 * Takes the data directory (creating it if needed) for this process. Rejects with
 * `DataDirInUseError` when a live process holds it, and `DataDirError` when it cannot be used.
 */
export async function lockDataDir(dir: string): Promise<DataDirLock> {
  const dataDir = resolve(dir);
  try {
    await mkdir(dataDir, { recursive: true });
  } catch (error) {
    throw errnoCode(error) === 'EEXIST' || errnoCode(error) === 'ENOTDIR'
      ? new DataDirError(`DATA_DIR ${dataDir} is not a directory (${errnoCode(error)}).`, { cause: error })
      : dataDirError(dataDir, 'cannot be created', error);
  }
  const info = await stat(dataDir).catch((error: unknown) => {
    throw dataDirError(dataDir, 'cannot be read', error);
  });
  if (!info.isDirectory()) throw new DataDirError(`DATA_DIR ${dataDir} is not a directory (ENOTDIR).`);
  if (heldHere.has(dataDir)) throw new DataDirInUseError(dataDir, process.pid, hostname());
  // Claimed before the first await below, so a concurrent open in this process is refused above.
  heldHere.add(dataDir);
  try {
    return await acquire(dataDir);
  } catch (error) {
    heldHere.delete(dataDir);
    throw error;
  }
}

async function acquire(dataDir: string): Promise<DataDirLock> {
  const lockPath = join(dataDir, LOCK_FILE);
  const me: Owner = { pid: process.pid, host: hostname(), token: randomUUID(), since: new Date().toISOString() };
  const mine = JSON.stringify(me);
  const temporary = join(dataDir, `${LOCK_FILE}.${me.token}`);
  try {
    await writeFile(temporary, mine, { flag: 'wx' });
  } catch (error) {
    throw dataDirError(dataDir, 'cannot hold its lock file', error);
  }
  try {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await link(temporary, lockPath);
        break;
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw dataDirError(dataDir, 'cannot hold its lock file', error);
      }
      const text = await readFile(lockPath, 'utf8').catch(() => null);
      if (text === null) continue; // removed meanwhile: try again
      const owner = parseOwner(text);
      if (attempt >= 3 || !(await isStale(owner, lockPath))) {
        throw new DataDirInUseError(dataDir, owner?.pid ?? 0, owner?.host ?? 'unknown');
      }
      await takeOver(lockPath, text);
    }
  } finally {
    await unlink(temporary).catch(() => undefined);
  }

  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lockPath, now, now).catch(() => undefined);
  }, STALE_MS / 4);
  heartbeat.unref();
  const releaseSync = () => {
    try {
      if (readFileSync(lockPath, 'utf8') === mine) unlinkSync(lockPath);
    } catch {
      // already gone
    }
  };
  process.once('exit', releaseSync);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      process.removeListener('exit', releaseSync);
      releaseSync();
      heldHere.delete(dataDir);
    },
  };
}

/** Removes a stale lock whose text is `seen`, unless another process replaced it meanwhile. */
async function takeOver(lockPath: string, seen: string): Promise<void> {
  const mutex = `${lockPath}.takeover`;
  try {
    await mkdir(mutex);
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
    // Another process is taking over right now; a mutex left by a crash in this window goes after a while.
    const age = Date.now() - (await stat(mutex).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
    if (age > STALE_MS) await rmdir(mutex).catch(() => undefined);
    await new Promise((done) => setTimeout(done, 100));
    return;
  }
  try {
    const now = await readFile(lockPath, 'utf8').catch(() => null);
    if (now === seen) await unlink(lockPath);
  } finally {
    await rmdir(mutex).catch(() => undefined);
  }
}
