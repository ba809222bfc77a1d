/**
 * The layer rule of eslint.config.js (docs/architecture.md, "Layers"): a backward import fails
 * `npm run lint`. Each row lints one import as if it stood in a file of that folder.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function layerErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport const used = x;\n`, { filePath: file });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer rule', () => {
  it.each([
    { file: 'src/handoff/bad.ts', source: "import { x } from '../store/pglite.store.js';" },
    { file: 'src/handoff/bad.ts', source: "import { x } from '../graphql/errors.js';" },
    { file: 'src/store/bad.ts', source: "import { x } from '../nice/types.js';" },
    { file: 'src/store/bad.ts', source: "import { x } from '../graphql/handoff-feed.js';" },
    { file: 'src/graphql/bad.ts', source: "import { x } from '../store/handoff-notifications.js';" },
    { file: 'src/graphql/bad.ts', source: "import { x } from '../http/server.js';" },
    { file: 'src/config/bad.ts', source: "import { x } from '../nice/types.js';" },
    { file: 'src/nice/bad.ts', source: "import { x } from '../handoff/model.js';" },
    { file: 'src/common/bad.ts', source: "import { x } from '../config/config.js';" },
    { file: 'src/http/bad.ts', source: "import { x } from '../nice/types.js';" },
    { file: 'src/http/bad.ts', source: "import { x } from '../composition/metrics-policy.js';" },
    { file: 'src/http/nested/bad.ts', source: "import { x } from '../../store/pglite.store.js';" },
    { file: 'src/handoff/bad.ts', source: "import { x } from '../main.js';" },
    { file: 'src/nice/bad.ts', source: "import { x } from '../../simulator/index.js';" },
    { file: 'src/main.ts', source: "import { x } from '../simulator/index.js';" },
    { file: 'src/client/bad.ts', source: "import { x } from '../handoff/model.js';" },
  ])('refuses $source in $file', async ({ file, source }) => {
    expect(await layerErrors(file, source)).toHaveLength(1);
  });

  it.each([
    { file: 'src/store/ok.ts', source: "import { x } from '../handoff/ports.js';" },
    { file: 'src/handoff/ok.ts', source: "import { x } from '../nice/types.js';" },
    { file: 'src/graphql/ok.ts', source: "import { x } from '../handoff/model.js';" },
    { file: 'src/http/ok.ts', source: "import { x } from '../graphql/errors.js';" },
    { file: 'src/config/ok.ts', source: "import { x } from '../common/vocabulary.js';" },
    { file: 'src/composition/ok.ts', source: "import { x } from '../store/handoff-notifications.js';" },
    { file: 'src/main.ts', source: "import { x } from './store/create-store.js';" },
    { file: 'src/handoff/ok.ts', source: "import { x } from './model.js';" },
  ])('allows $source in $file', async ({ file, source }) => {
    expect(await layerErrors(file, source)).toEqual([]);
  });

  it('names the folders a layer may import in its message', async () => {
    const [message] = await layerErrors('src/store/bad.ts', "import { x } from '../graphql/errors.js';");
    expect(message).toContain('src/store/ may import only src/handoff/, src/config/, src/common/');
  });
});
