/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): the functions with the most self time,
 * and the share of each package (`node_modules/<name>`), so a profile reads in a dozen lines.
 *
 *   node dist/bench/profile-top.js bench/results/profile/CPU.*.cpuprofile [count]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface CostLine {
  readonly name: string;
  readonly selfMs: number;
  readonly share: number;
}

/** Where a frame's code lives: `pkg:<name>`, `node:<module>`, the project file, or a V8 marker. */
function origin(url: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg !== undefined) return `pkg:${pkg}`;
  if (url.startsWith('node:')) return url;
  const project = /\/dist\/(.+)$/.exec(url)?.[1];
  if (project !== undefined) return project;
  return url === '' ? '(native)' : url;
}

/**
 * Self time per function and per origin, largest first. For origins, time in native code (writes,
 * hashing, WASM) is charged to the nearest caller in JavaScript, so `writev` under pino counts as
 * pino and a write under PGlite as PGlite.
 */
export function summarise(profile: CpuProfile, count: number): { functions: CostLine[]; origins: CostLine[]; totalMs: number } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const chargedOrigin = (id: number): string => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const url = byId.get(at)?.callFrame.url ?? '';
      if (url !== '' && !url.startsWith('wasm://')) return origin(url);
      if (url.startsWith('wasm://')) return 'pkg:@electric-sql/pglite (WASM)';
    }
    return '(native, no JS caller: GC, idle, program)';
  };
  const selfByFunction = new Map<string, number>();
  const selfByOrigin = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    if (node === undefined) return;
    total += delta;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = origin(url);
    const key = `${functionName || '(anonymous)'}  ${where}${url === '' ? '' : `:${lineNumber + 1}`}`;
    selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + delta);
    const charged = chargedOrigin(id);
    selfByOrigin.set(charged, (selfByOrigin.get(charged) ?? 0) + delta);
  });
  const top = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, us]) => ({ name, selfMs: us / 1000, share: total === 0 ? 0 : us / total }));
  return { functions: top(selfByFunction), origins: top(selfByOrigin), totalMs: total / 1000 };
}

/** The summary as text. */
export function formatSummary(file: string, count: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const { functions, origins, totalMs } = summarise(profile, count);
  const line = (c: CostLine) => `${(c.share * 100).toFixed(1).padStart(5)} %  ${c.selfMs.toFixed(0).padStart(7)} ms  ${c.name}`;
  return [
    `${file}: ${totalMs.toFixed(0)} ms sampled`,
    '',
    'Self time by function:',
    ...functions.map(line),
    '',
    'Self time by package / file (native time charged to its JavaScript caller):',
    ...origins.map(line),
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, count] = process.argv.slice(2);
  if (file === undefined) {
    console.error('usage: node dist/bench/profile-top.js <file.cpuprofile> [count]');
    process.exit(2);
  }
  process.stdout.write(formatSummary(file, Number(count ?? 25)));
}
