/**
 * Temporary directories for tests: made under the OS temp dir and removed when the test that made
 * them finishes (passed, failed or timed out), as `spawnChild` does for processes. A test that wrote
 * a seed or profile file with `mkdtempSync` and never removed it left one directory in /tmp per run.
 * `madeTempDirs()` lists every directory made in this test file so far, so a suite can assert that
 * none is left.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

const made: string[] = [];

/** A new directory `${tmpdir()}/${prefix}XXXXXX`, removed when the current test finishes; call it inside a test. */
export function testTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every directory `testTempDir` made in this file, in order. */
export function madeTempDirs(): readonly string[] {
  return [...made];
}
