/** Runs the facts against a target, one after another, and renders the fact-by-fact table. */
import { ConformanceContext, type ConformanceTarget } from './context.js';
import { FACTS, type Fact, type Outcome } from './facts.js';

export interface FactResult {
  readonly fact: Fact;
  readonly outcome: Outcome;
}

export interface ConformanceReport {
  readonly target: ConformanceTarget;
  readonly results: readonly FactResult[];
  /** Every checkable fact matches. */
  readonly ok: boolean;
  /** The table, with every credential and token the run saw replaced by ‹redacted›. */
  readonly table: string;
}

/**
 * Checks every fact in order (facts share discovery and the token, and a real tenant should not see
 * a burst). A fact that throws (connection refused, timeout) differs: nothing was shown to match.
 */
export async function runConformance(target: ConformanceTarget, facts: readonly Fact[] = FACTS): Promise<ConformanceReport> {
  const ctx = new ConformanceContext(target);
  const results: FactResult[] = [];
  for (const fact of facts) {
    let outcome: Outcome;
    try {
      outcome = await fact.check(ctx);
    } catch (error) {
      outcome = { status: 'differs', expected: fact.expected, actual: `request failed: ${error instanceof Error ? error.message : String(error)}` };
    }
    results.push({ fact, outcome });
  }
  const ok = results.every(({ outcome }) => outcome.status !== 'differs');
  return { target: ctx.target, results, ok, table: ctx.redact(formatTable(ctx.target, results)) };
}

const RESULT_LABEL = { matches: 'matches', differs: 'DIFFERS', 'not-checkable': 'not checkable' } as const;

/** Plain-text table: fact, source, basis, result, then expected/actual, info or why. */
export function formatTable(target: ConformanceTarget, results: readonly FactResult[]): string {
  const rows = results.map(({ fact, outcome }) => [
    fact.id,
    fact.sources,
    fact.basis,
    RESULT_LABEL[outcome.status],
    outcome.status === 'differs'
      ? `expected ${outcome.expected}; actual ${outcome.actual}`
      : outcome.status === 'not-checkable'
        ? outcome.why
        : `${fact.expected}${outcome.info === undefined ? '' : ` (${outcome.info})`}`,
  ]);
  const header = ['fact', 'source', 'basis', 'result', 'detail'];
  const widths = header.slice(0, 4).map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => (column < 4 ? cell.padEnd(widths[column] ?? 0) : cell)).join('  ').trimEnd();
  const count = (status: Outcome['status']): number => results.filter(({ outcome }) => outcome.status === status).length;
  return [
    `CXone conformance: ${target.mode === 'simulator' ? 'simulator' : 'real tenant'} at ${target.issuer} (tenant ${target.tenantId})`,
    '',
    line(header),
    line(widths.map((width) => '-'.repeat(width)).concat('------')),
    ...rows.map(line),
    '',
    `${count('matches')} match, ${count('differs')} differ, ${count('not-checkable')} not checkable (of ${results.length})`,
    '',
  ].join('\n');
}
