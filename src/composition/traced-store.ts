/**
 * A `HandoffStore` that makes one client span per method call (database semantic conventions),
 * wrapped around the real store at composition time, so neither the SQL nor the domain knows of
 * tracing. Spans carry the operation only: never an argument (contact ids aside, handoffs hold the
 * caller's params and context).
 *
 * A call outside a traced operation makes no span: the retry worker polls `claimDue` every
 * `WORKER_INTERVAL_MS`, and a root span per poll would bury the traces that matter.
 */
import { inSpan, inTrace, SpanKind, type Tracing } from '../common/tracing.js';
import { type HandoffStore } from '../handoff/ports.js';

/** Every store method but `close` (a lifecycle step, not a database operation). */
export const TRACED_STORE_METHODS = [
  'insertOrGet',
  'get',
  'latestForContact',
  'findForScreenPop',
  'list',
  'recordProgress',
  'complete',
  'release',
  'claimDue',
  'reopen',
  'upsertCall',
  'getCall',
  'purgeExpiredHandoffs',
  'purgeExpiredCalls',
  'ping',
] as const satisfies readonly Exclude<keyof HandoffStore, 'close'>[];

// A method added to HandoffStore and not to the list above fails to compile here.
type Untraced = Exclude<keyof HandoffStore, (typeof TRACED_STORE_METHODS)[number] | 'close'>;
const everyMethodTraced: [Untraced] extends [never] ? true : Untraced = true;
void everyMethodTraced;

/** `store` with a span around each call made inside a trace. */
export function traceStore(store: HandoffStore, tracing: Tracing): HandoffStore {
  const traced: Record<string, unknown> = { close: () => store.close() };
  for (const method of TRACED_STORE_METHODS) {
    const call = (store[method] as (...args: unknown[]) => Promise<unknown>).bind(store);
    const attributes = {
      // Both generations of the database conventions: backends still key on the older names.
      'db.system': 'postgresql',
      'db.system.name': 'postgresql',
      'db.operation': method,
      'db.operation.name': method,
    };
    traced[method] = (...args: unknown[]) => (inTrace() ? inSpan(tracing, `store.${method}`, { kind: SpanKind.CLIENT, attributes }, () => call(...args)) : call(...args));
  }
  return traced as unknown as HandoffStore;
}
