/**
 * CXone's rate limit (issue 12 §4, docs/reliability.md "Throttling and the circuit breaker"): the
 * simulator limits the business unit to 20 signals/s (burst 20, no Retry-After) and 200 signals are
 * offered to a gateway child process within about 2 s. Counts only, never durations: how many
 * Signal API requests reached CXone, how many it throttled, how every handoff ended. The gateway
 * paces the tenant at what CXone admitted after its first 429 (src/nice/pacer.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, type Harness, type HandoffView, listHandoffs, SIGNAL, startHarness, TENANT_A } from '../helpers/stack.js';

const RATE = { perSecond: 20, offered: 200, offerMs: 2_000 } as const;

interface ThrottleFigures {
  readonly duplicates?: number;
  readonly failedButAtCxone?: number;
  readonly received: number;
  readonly throttled: number;
  readonly accepted: number;
  readonly signaled: number;
  readonly failed: number;
  readonly codes: Record<string, number>;
  readonly attempts: number;
}

describe('throttling: CXone answers 429 past its rate limit', () => {
  let h: Harness;
  let throttleFigures: ThrottleFigures | undefined;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    if (throttleFigures !== undefined) console.log(`\nThrottling (${RATE.perSecond}/s, ${RATE.offered} signals over ~${RATE.offerMs} ms): ${JSON.stringify(throttleFigures)}\n`);
    await h?.close();
  });

  it(`rate limit ${RATE.perSecond}/s, ${RATE.offered} signals offered over ~${RATE.offerMs} ms: CXone sees about its limit, every handoff ends SIGNALED or throttled, none lost`, async () => {
    const gateway = await h.spawn({
      SIGNAL_WAIT_MS: '0',
      // Far longer than the fault matrix's: 200 signals at once beside a CPU hog must not time out for load
      // alone (a timed-out request is retried, and CXone may then count it twice). A signal may wait
      // in its call for a slot up to budget − attempt timeout (4 s), then waits its turn in the store.
      SIGNAL_BUDGET_MS: '8000',
      CXONE_ATTEMPT_TIMEOUT_MS: '4000',
      WORKER_INTERVAL_MS: '100',
      CXONE_BREAKER_COOLDOWN_MS: '1000',
      CXONE_BREAKER_MIN_RPS: '1',
    });
    const contactIds: string[] = [];
    for (let i = 0; i < RATE.offered; i += 1) contactIds.push(await h.createCall());
    const limit = await fetch(`${h.simulatorUrl}/_sim/rate-limits/${TENANT_A.businessUnit}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ perSecond: RATE.perSecond, burst: RATE.perSecond }),
    });
    expect(limit.status).toBe(200);
    const before = await rateLimitView(h);

    const answers = await Promise.all(
      contactIds.map(async (contactId, i) => {
        await sleep((i * RATE.offerMs) / RATE.offered);
        return gql<{ signalContact: { handoff: HandoffView } }>(gateway.url, TENANT_A.keys.signal, SIGNAL, { input: { contactId, params: ['throttle'] } });
      }),
    );
    expect(answers.filter((a) => a.body?.data?.signalContact.handoff === undefined).map((a) => a.text)).toEqual([]);

    const mine = new Set(contactIds);
    let finals: Pick<HandoffView, 'contactId' | 'state' | 'attempts' | 'lastError'>[] = [];
    for (let polls = 0; ; polls += 1) {
      finals = (await listHandoffs(gateway.url, null)).filter((x) => mine.has(x.contactId));
      if (finals.length === RATE.offered && finals.every((x) => x.state !== 'PENDING')) break;
      if (polls > 1200) throw new Error(`handoffs still PENDING: ${finals.filter((x) => x.state === 'PENDING').length}`);
      await sleep(100);
    }
    await fetch(`${h.simulatorUrl}/_sim/rate-limits/${TENANT_A.businessUnit}`, { method: 'DELETE' });
    const after = await rateLimitView(h);
    const received = after.received - before.received;
    const throttled = after.throttled - before.throttled;
    const perContact = await h.signalsPerContact();
    const signaled = finals.filter((x) => x.state === 'SIGNALED');
    const failed = finals.filter((x) => x.state === 'FAILED');
    const codes = countBy(failed.map((x) => `${x.lastError?.code ?? '—'} (${/last cause (CXONE_[A-Z_]+)/.exec(x.lastError?.message ?? '')?.[1] ?? '—'})`));
    throttleFigures = { received, throttled, accepted: received - throttled, signaled: signaled.length, failed: failed.length, codes, attempts: finals.reduce((n, x) => n + x.attempts, 0) };

    const counts = contactIds.map((id) => perContact.get(id) ?? 0);
    const duplicates = counts.reduce((n, c) => n + Math.max(0, c - 1), 0);
    throttleFigures = { ...throttleFigures, duplicates, failedButAtCxone: failed.filter((x) => (perContact.get(x.contactId) ?? 0) > 0).length };

    // None lost: all 200 ended, and every SIGNALED one is at CXone.
    expect(finals).toHaveLength(RATE.offered);
    for (const x of signaled) expect(perContact.get(x.contactId) ?? 0).toBeGreaterThanOrEqual(1);
    // Every failure is named: CXone's 429s until the budget ran out, the breaker holding it until
    // its max age, or (a loaded machine) a simulator slower than the attempt timeout.
    for (const x of failed) {
      expect([x.lastError?.code, x.lastError?.code === 'RETRIES_EXHAUSTED' && /last cause (CXONE_THROTTLED|CXONE_CIRCUIT_OPEN)/.test(x.lastError.message)]).toSatisfy(
        ([code, throttledCause]: [string | undefined, boolean]) => code === 'CXONE_TIMEOUT' || throttledCause,
      );
    }
    // Every recorded signal of these contacts got past the limit (a request past the limit may
    // still be refused for another reason, so this is a bound, not an equality).
    expect(counts.reduce((n, c) => n + c, 0)).toBeLessThanOrEqual(received - throttled);
    // Near the limit, not a multiple of it: after CXone's first 429 the gateway paces the tenant at
    // what CXone admitted (src/nice/pacer.ts), so CXone refuses some requests while the pace is
    // found and followed (2–44 in seventeen runs, quiet or beside `stress-ng --cpu 2`, since the pace is
    // kept while it holds requests back; beside a harsher hog the unpaced wave before the first 429
    // is read can pass this bound: docs/reliability.md, "Throttling and the circuit breaker"),
    // not one per retry of each handoff (each alone may try up to 10 times within its budget,
    // ~2 000 requests for 200; without pacing 338–577 reached CXone).
    // A request past its deadline's slot is never sent: the gateway made more tries than CXone got.
    const tries = finals.reduce((n, x) => n + x.attempts, 0);
    expect(tries).toBeGreaterThan(received);
    expect(throttled).toBeLessThan(RATE.offered / 2);
    expect(received).toBeLessThan(1.5 * RATE.offered);
  }, 240_000);
});

async function rateLimitView(h: Harness): Promise<{ received: number; throttled: number }> {
  const all = (await (await fetch(`${h.simulatorUrl}/_sim/rate-limits`)).json()) as { businessUnit: string; received: number; throttled: number }[];
  return all.find((x) => x.businessUnit === TENANT_A.businessUnit) ?? { received: 0, throttled: 0 };
}

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
