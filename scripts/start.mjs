/**
 * `npm start`: builds what changed, then runs the dev launcher (dist/scripts/dev.js). Plain
 * JavaScript, because it runs before anything is compiled.
 *
 * The build is `tsc -b` (build mode): it compares the inputs with `dist/.tsbuildinfo` and returns
 * at once when nothing changed, where `tsc -p` would load and bind the whole program again (≈ 10–16 s
 * on two cores). It prints a line before each step and a "still …" line every few seconds while a
 * step runs, so the first start (a full build, then PGlite's initdb) never goes quiet.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUILD_INFO = join(root, 'dist', '.tsbuildinfo');
const TICK_MS = 5_000;

/** The modification time of a file in ms, or null when it does not exist. */
function mtimeOf(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

function say(line) {
  console.log(`[start] ${line}`);
}

/** Runs `tsc -b tsconfig.build.json`; resolves with its exit code. Its own output goes through. */
function build() {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const before = mtimeOf(BUILD_INFO);
const started = Date.now();
say(before === null ? 'building dist/ (tsc -b; a first build takes 15–45 s)…' : 'checking dist/ (tsc -b: only what changed is compiled)…');
const ticker = setInterval(() => say(`still building… ${Math.round((Date.now() - started) / 1000)} s`), TICK_MS);
let code;
try {
  code = await build();
} finally {
  clearInterval(ticker);
}
const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (code !== 0) {
  console.error(`[start] the build failed (tsc exit ${code}); fix the errors above.`);
  process.exit(code);
}
say(mtimeOf(BUILD_INFO) === before ? `dist/ is up to date, nothing compiled (${seconds} s)` : `built dist/ in ${seconds} s`);

say('loading the simulator and the gateway…');
await import(pathToFileURL(join(root, 'dist', 'scripts', 'dev.js')).href);
