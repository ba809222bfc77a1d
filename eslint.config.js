import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/ and what each may import (docs/architecture.md, "Layers"): dependencies point
 * one way, `http → graphql → handoff → nice → config → common`, with `store` an adapter that
 * implements the handoff domain's ports (it imports the domain, never the reverse). Only the
 * composition root (`src/main.ts`, `src/bin.ts`, `src/composition/`) sees every layer. `client/` is
 * the typed client for tools and imports nothing of the server.
 */
export const LAYERS = {
  common: [],
  config: ['common'],
  nice: ['config', 'common'],
  handoff: ['nice', 'config', 'common'],
  store: ['handoff', 'config', 'common'],
  graphql: ['handoff', 'config', 'common'],
  http: ['graphql', 'handoff', 'config', 'common'],
  client: [],
};
const SRC_FOLDERS = [...Object.keys(LAYERS), 'composition'];
/** Folders outside src/ that the gateway never imports. */
const OUTSIDE = ['simulator', 'conformance', 'scripts', 'test', 'bench'];

/** One `no-restricted-imports` block per layer: a relative import that climbs into a folder not allowed. */
function layerRules() {
  return Object.entries(LAYERS).map(([layer, allowed]) => {
    const forbidden = SRC_FOLDERS.filter((f) => f !== layer && !allowed.includes(f));
    return {
      files: [`src/${layer}/**/*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`,
                message: `src/${layer}/ may import only ${allowed.length === 0 ? 'its own folder' : allowed.map((a) => `src/${a}/`).join(', ')} (docs/architecture.md, "Layers").`,
              },
              {
                regex: `^(\\.\\./)+(main|bin)\\.js$`,
                message: 'Only the composition root imports main.ts or bin.ts.',
              },
              {
                regex: `^(\\.\\./)+(${OUTSIDE.join('|')})(/|$)`,
                message: 'The gateway (src/) never imports the simulator, the conformance kit, scripts, tests or benchmarks.',
              },
            ],
          },
        ],
      },
    };
  });
}

export default tseslint.config(
  { ignores: ['dist/', 'packages/*/dist/', 'node_modules/', 'coverage/', '.data/', 'src/client/generated/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  ...layerRules(),
  {
    files: ['src/composition/**/*.ts', 'src/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: `^(\\.\\./)*(\\./)?(${OUTSIDE.join('|')})(/|$)`, message: 'The gateway (src/) never imports the simulator, the conformance kit, scripts, tests or benchmarks.' }] },
      ],
    },
  },
  {
    files: ['scripts/**', 'bench/**', 'simulator/bin.ts', 'src/bin.ts', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // The `npm start` entry runs before anything is compiled: plain JavaScript with Node's globals.
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' } },
  },
  {
    // Examples a user runs with plain node: Node's globals, and printing is their point.
    files: ['packages/*/examples/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: { 'no-console': 'off' },
  },
);
