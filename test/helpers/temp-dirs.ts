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
import { expect, onTestFinished } from 'vitest';

/**
 * Directories made, by test file: files share this module when a worker runs several of them
 * (the projects run without per-file isolation).
 */
const made = new Map<string, string[]>();
const currentFile = (): string => expect.getState().testPath ?? '';

/** A new directory `${tmpdir()}/${prefix}XXXXXX`, removed when the current test finishes; call it inside a test. */
export function testTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = currentFile();
  made.set(file, [...(made.get(file) ?? []), dir]);
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every directory `testTempDir` made in the current test file, in order. */
export function madeTempDirs(): readonly string[] {
  return [...(made.get(currentFile()) ?? [])];
}
