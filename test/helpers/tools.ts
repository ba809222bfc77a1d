/**
 * System tools some suites need (a browser, sipp), found on this machine rather than assumed at a
 * fixed path. A suite whose tool is missing is skipped with a printed reason on a developer's
 * machine; CI (`.ci/run`) sets CXGW_REQUIRE_TOOLS=1, and then a missing tool fails the run instead,
 * so a broken CI image never turns into silently skipped suites.
 *
 * ```ts
 * const sipp = requireTool('sipp');
 * describe.skipIf(!sipp)('with sipp', () => { ... spawn(sipp!, ...) });
 * ```
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { findPostgresBin } from '../../scripts/temp-postgres.js';

export interface ToolSpec {
  /** Executable names looked up on PATH, in order, then absolute fallbacks. */
  readonly names: readonly string[];
  readonly fallbacks?: readonly string[];
  /** The Debian package that provides it, for the message. */
  readonly apt: string;
}

export const TOOLS = {
  chromium: { names: ['chromium', 'chromium-browser'], fallbacks: ['/usr/bin/chromium', '/usr/bin/chromium-browser'], apt: 'chromium' },
  sipp: { names: ['sipp'], apt: 'sip-tester' },
} as const satisfies Record<string, ToolSpec>;

export type ToolName = keyof typeof TOOLS;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The absolute path of the tool, or null when neither PATH nor a fallback has it. */
export function findTool(name: ToolName): string | null {
  const spec: ToolSpec = TOOLS[name];
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  for (const candidate of spec.names) {
    for (const dir of dirs) {
      const path = join(dir, candidate);
      if (executable(path)) return path;
    }
  }
  return spec.fallbacks?.find(executable) ?? null;
}

/** Whether a missing tool must fail the run (CI) instead of skipping the suite that needs it. */
export function toolsRequired(): boolean {
  return process.env.CXGW_REQUIRE_TOOLS === '1';
}

/**
 * The tool's path, or null after printing why its suite is skipped. With CXGW_REQUIRE_TOOLS=1 a
 * missing tool throws while the test file loads, which fails the run naming the tool.
 */
export function requireTool(name: ToolName): string | null {
  const path = findTool(name);
  if (path) return path;
  const reason = `${name} is not installed (apt-get install ${TOOLS[name].apt})`;
  if (toolsRequired()) throw new Error(`${reason}; CXGW_REQUIRE_TOOLS=1 makes a missing tool a failure.`);
  console.warn(`Skipping the suites that need ${name}: ${reason}.`);
  return null;
}

/** PostgreSQL's bin directory (initdb, pg_ctl); the integration project cannot run without it, so this always throws when missing. */
export function requirePostgresBin(): string {
  const bin = findPostgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql): the integration suites run a throw-away cluster.');
  return bin;
}
