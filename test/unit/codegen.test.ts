/**
 * The committed `src/client/generated/` is exactly what `npm run codegen` makes from `schema.graphql`
 * and `src/client/operations/*.graphql` (the schema file itself is checked by graphql-schema.test.ts).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const codegen = fileURLToPath(new URL('../../node_modules/.bin/graphql-codegen', import.meta.url));

describe('typed client codegen', () => {
  it('src/client/generated is up to date (run `npm run codegen` after changing the schema or an operation)', async () => {
    // `--check` generates in memory and exits 1 naming each stale or missing file; it writes nothing.
    const result = await promisify(execFile)(codegen, ['--config', 'codegen.yml', '--check'], { cwd: root }).then(
      () => ({ code: 0, output: '' }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    expect(result).toEqual({ code: 0, output: '' });
  });
});
