/**
 * The repository stands alone: no tracked file points outside it (the origin design lived in a
 * folder beside the project that no clone has), and every relative link in the Markdown docs
 * resolves to a file of the repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
const textFiles = tracked.filter((f) => /\.(ts|js|json|md|yml|yaml|graphql|sh)$/.test(f) && f !== 'package-lock.json' && !f.startsWith('src/client/generated/'));

describe('the repository stands alone', () => {
  it('has no reference to a path outside it or to the origin design', () => {
    const outside = textFiles.flatMap((file) =>
      readFileSync(join(root, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (/(^|[^.\w])\.\.\/shared\/|\/work\/|DESIGN(\.md| §)/.test(line) ? [`${file}:${i + 1}: ${line.trim().slice(0, 120)}`] : [])),
    );
    expect(outside).toEqual([]);
  });

  it('resolves every relative Markdown link to a tracked file', () => {
    const broken = textFiles
      .filter((f) => f.endsWith('.md'))
      .flatMap((file) =>
        [...readFileSync(join(root, file), 'utf8').matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)]
          .map((m) => m[1] ?? '')
          .filter((target) => !/^[a-z]+:/i.test(target))
          .filter((target) => !existsSync(resolve(dirname(join(root, file)), target)))
          .map((target) => `${file} -> ${target}`),
      );
    expect(broken).toEqual([]);
  });
});
