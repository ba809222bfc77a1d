/**
 * `engines` in package.json is true: the lowest Node version of each range it declares satisfies
 * every installed package's own `engines.node` (as package-lock.json records them), so `npm ci` on a
 * supported Node prints no EBADENGINE, and a dependency bump that needs a newer Node fails here.
 */
import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
  packages: Record<string, { engines?: { node?: unknown } | unknown[] }>;
};

/** The lowest version of each `||` branch of a range: the versions a user may run us on that are most likely to break. */
function lowestOfEachBranch(range: string): string[] {
  return new semver.Range(range).set.map((comparators) => semver.minVersion(new semver.Range(comparators.map((c) => c.value).join(' ')))?.version ?? '');
}

describe('engines', () => {
  const branches = lowestOfEachBranch(manifest.engines.node);

  it('declares ranges this Node runs on', () => {
    expect(semver.satisfies(process.version, manifest.engines.node)).toBe(true);
    expect(branches.length).toBeGreaterThan(0);
  });

  it.each(branches)('Node %s satisfies every installed package', (version) => {
    const refusing = Object.entries(lock.packages)
      .map(([path, entry]) => ({ path, range: !Array.isArray(entry.engines) ? entry.engines?.node : undefined }))
      .filter((p): p is { path: string; range: string } => typeof p.range === 'string' && !semver.satisfies(version, p.range))
      .map((p) => `${p.path} needs node ${p.range}`);
    expect(refusing).toEqual([]);
  });
});
