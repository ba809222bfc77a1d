/**
 * The fault matrix (issue 7): every CXone failure the simulator can play, against a gateway child
 * process with short budgets, ends in the state and `lastError.code` docs/architecture.md ("CXone wire contract", "Handoff lifecycle and the store", "Errors") prescribes,
 * after the expected number of attempts. The matrix is printed as a markdown table (copied into
 * docs/reliability.md) with how long the answer and the outcome took: those figures are for the
 * docs, not assertions, since on a loaded machine every timer fires late (the deadline arithmetic
 * itself is checked against an injected clock in test/unit/nice-client.test.ts).
 *
 * Token rows run with a cold token cache, which is what makes the token endpoint part of the signal
 * path: each signals for a tenant of its own that nothing has signalled for yet (the token cache is
 * per tenant), so the gateway need not restart between rows. CXone's rate limit has its own file,
 * throttling.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { configuredSecrets, type GatewayProcess, gql, type Harness, type HandoffView, makeTenant, type ReliabilityTenant, secretHits, settle, SIGNAL, startHarness, TENANT_A } from '../helpers/stack.js';

/**
 * Budget and attempt timeout are sized so that each row's outcome depends on the fault alone, not on
 * how busy the machine is: a freshly started gateway on a loaded 2-core machine needs well over a
 * second for its first exchange, which a 1.5 s budget turned into a CXONE_TIMEOUT.
 */
const BUDGET_MS = 3000;
const ATTEMPT_TIMEOUT_MS = 1000;
/** Longer than the attempt timeout and than the budget. */
const SLOW_MS = 4000;

type Fault = Record<string, unknown>;

interface Row {
  readonly name: string;
  readonly faults: readonly Fault[];
  /** `cold`: a tenant of its own, whose token cache is empty; `ended`: end the contact first. */
  readonly setup?: 'cold' | 'ended';
  readonly state: 'SIGNALED' | 'FAILED';
  readonly code: string | null;
  /** Exact attempts, or the lowest accepted (`{ min }`) where backoff jitter decides how many fit. */
  readonly attempts: number | { readonly min: number };
  /** Signals CXone recorded for the contact; `attempts` when each attempt reached it. */
  readonly signals: number | 'attempts';
}

const token = (spec: Fault): Fault => ({ route: 'token', ...spec });
const signal = (spec: Fault): Fault => ({ route: 'signal', ...spec });

const ROWS: readonly Row[] = [
  { name: 'token endpoint 500, once', setup: 'cold', faults: [token({ kind: 'status', status: 500, count: 1 })], state: 'SIGNALED', code: null, attempts: 2, signals: 1 },
  { name: 'token endpoint 500, persistent', setup: 'cold', faults: [token({ kind: 'status', status: 500 })], state: 'FAILED', code: 'RETRIES_EXHAUSTED', attempts: { min: 2 }, signals: 0 },
  { name: `token endpoint slower than the attempt timeout (${SLOW_MS} ms), once`, setup: 'cold', faults: [token({ kind: 'delay', delayMs: SLOW_MS, count: 1 })], state: 'SIGNALED', code: null, attempts: 2, signals: 1 },
  { name: `token endpoint slower than the attempt timeout (${SLOW_MS} ms), persistent`, setup: 'cold', faults: [token({ kind: 'delay', delayMs: SLOW_MS })], state: 'FAILED', code: 'CXONE_TIMEOUT', attempts: { min: 2 }, signals: 0 },
  { name: 'token endpoint 401 invalid_client', setup: 'cold', faults: [token({ kind: 'status', status: 401 })], state: 'FAILED', code: 'CXONE_AUTH_FAILED', attempts: 1, signals: 0 },
  { name: 'token endpoint malformed JSON, once', setup: 'cold', faults: [token({ kind: 'malformed', count: 1 })], state: 'SIGNALED', code: null, attempts: 2, signals: 1 },
  { name: 'signal 500, twice', faults: [signal({ kind: 'status', status: 500, count: 2 })], state: 'SIGNALED', code: null, attempts: 3, signals: 1 },
  { name: 'signal 500, persistent', faults: [signal({ kind: 'status', status: 500 })], state: 'FAILED', code: 'RETRIES_EXHAUSTED', attempts: { min: 3 }, signals: 0 },
  { name: 'signal 502 (HTML from a proxy), once', faults: [signal({ kind: 'status', status: 502, body: '<html><title>502 Bad Gateway</title></html>', count: 1 })], state: 'SIGNALED', code: null, attempts: 2, signals: 1 },
  { name: 'signal 503, twice', faults: [signal({ kind: 'status', status: 503, count: 2 })], state: 'SIGNALED', code: null, attempts: 3, signals: 1 },
  { name: 'signal 503, persistent', faults: [signal({ kind: 'status', status: 503 })], state: 'FAILED', code: 'RETRIES_EXHAUSTED', attempts: { min: 3 }, signals: 0 },
  { name: 'signal 429 Retry-After: 1, once', faults: [signal({ kind: 'status', status: 429, headers: { 'Retry-After': '1' }, count: 1 })], state: 'SIGNALED', code: null, attempts: 2, signals: 1 },
  // How many 1 s waits fit in the budget depends on how long each attempt took, hence a lower bound.
  { name: 'signal 429 Retry-After: 1, persistent', faults: [signal({ kind: 'status', status: 429, headers: { 'Retry-After': '1' } })], state: 'FAILED', code: 'RETRIES_EXHAUSTED', attempts: { min: 2 }, signals: 0 },
  { name: 'signal connection reset, once', faults: [signal({ kind: 'drop', count: 1 })], state: 'SIGNALED', code: null, attempts: 2, signals: 1 },
  { name: 'signal recorded by CXone, then the response lost (reset), once', faults: [signal({ kind: 'lost_response', count: 1 })], state: 'SIGNALED', code: null, attempts: 2, signals: 2 },
  { name: 'signal connection reset, persistent', faults: [signal({ kind: 'drop' })], state: 'FAILED', code: 'RETRIES_EXHAUSTED', attempts: { min: 3 }, signals: 0 },
  { name: `signal slower than the attempt timeout (${SLOW_MS} ms), once`, faults: [signal({ kind: 'delay', delayMs: SLOW_MS, count: 1 })], state: 'SIGNALED', code: null, attempts: 2, signals: 2 },
  { name: `signal slower than the deadline (${SLOW_MS} ms), persistent`, faults: [signal({ kind: 'delay', delayMs: SLOW_MS })], state: 'FAILED', code: 'CXONE_TIMEOUT', attempts: { min: 2 }, signals: 'attempts' },
  { name: 'signal 404 (the contact ended)', setup: 'ended', faults: [], state: 'FAILED', code: 'CXONE_CONTACT_NOT_FOUND', attempts: 1, signals: 0 },
  { name: 'signal 400', faults: [signal({ kind: 'status', status: 400 })], state: 'FAILED', code: 'CXONE_BAD_REQUEST', attempts: 1, signals: 0 },
  { name: 'signal 401 (expired token), once', faults: [signal({ kind: 'status', status: 401, count: 1 })], state: 'SIGNALED', code: null, attempts: 2, signals: 1 },
  { name: 'signal 401, also with a fresh token', faults: [signal({ kind: 'status', status: 401 })], state: 'FAILED', code: 'CXONE_AUTH_FAILED', attempts: 2, signals: 0 },
  { name: 'signal 403 (no permission)', faults: [signal({ kind: 'status', status: 403 })], state: 'FAILED', code: 'CXONE_AUTH_FAILED', attempts: 2, signals: 0 },
  { name: 'signal 202 with a malformed body', faults: [signal({ kind: 'malformed', count: 1 })], state: 'SIGNALED', code: null, attempts: 1, signals: 1 },
];

/** A tenant of its own for each `cold` row (numbers 3–9: 1 and 2 are TENANT_A and TENANT_B). */
const COLD_TENANT: ReadonlyMap<Row, ReliabilityTenant> = new Map(ROWS.filter((row) => row.setup === 'cold').map((row, i) => [row, makeTenant(`cold${i + 1}`, i + 3)]));
const COLD_TENANTS = [...COLD_TENANT.values()];

interface Measured {
  readonly row: Row;
  readonly contactId: string;
  readonly final: HandoffView;
  readonly signalMs: number;
  readonly finalMs: number;
}

describe('fault matrix: CXone faults → handoff outcome', () => {
  let h: Harness;
  let gateway: { proc: GatewayProcess; url: string };
  const measured: Measured[] = [];
  let signalCounts = new Map<string, number>();
  const spawn = () => h.spawn({ SIGNAL_WAIT_MS: '3000', SIGNAL_BUDGET_MS: String(BUDGET_MS), CXONE_ATTEMPT_TIMEOUT_MS: String(ATTEMPT_TIMEOUT_MS), WORKER_INTERVAL_MS: '100' });

  beforeAll(async () => {
    h = await startHarness({ tenants: COLD_TENANTS });
    gateway = await spawn();
  });
  afterAll(async () => {
    if (measured.length > 0) console.log(`\nFault matrix (budget ${BUDGET_MS} ms, attempt timeout ${ATTEMPT_TIMEOUT_MS} ms):\n\n${matrixTable(measured, signalCounts)}\n`);
    await h?.close();
  });

  it.each(ROWS)('$name → $state $code', async (row) => {
    const tenant = COLD_TENANT.get(row) ?? TENANT_A;
    const contactId = await h.createCall(tenant);
    if (row.setup === 'ended') await h.endContact(contactId);
    await h.clearFaults();
    for (const fault of row.faults) await h.addFault(fault);

    const started = performance.now();
    const res = await gql<{ signalContact: { handoff: HandoffView } }>(gateway.url, tenant.keys.signal, SIGNAL, { input: { contactId, params: ['matrix'] } });
    const signalMs = performance.now() - started;
    const answered = res.body?.data?.signalContact.handoff;
    expect(answered, res.text).toBeDefined();
    const final = answered?.state === 'PENDING' ? await settle(gateway.url, contactId, 30_000, tenant) : (answered as HandoffView);
    const finalMs = performance.now() - started;
    await h.clearFaults();
    measured.push({ row, contactId, final, signalMs, finalMs });

    expect(final.state).toBe(row.state);
    expect(final.lastError?.code ?? null).toBe(row.code);
    if (typeof row.attempts === 'number') expect(final.attempts).toBe(row.attempts);
    else expect(final.attempts).toBeGreaterThanOrEqual(row.attempts.min);
  });

  it('CXone recorded the expected number of signals per row (late answers to slow requests included)', async () => {
    // A request the gateway gave up on still reaches CXone once the delay ends, so the counts are
    // compared until they match (or the generous timeout shows the mismatch); none may exceed its row.
    const expected = measured.map((m) => ({ row: m.row.name, signals: m.row.signals === 'attempts' ? m.final.attempts : m.row.signals }));
    signalCounts = await vi.waitFor(
      async () => {
        const counts = await h.signalsPerContact();
        expect(measured.map((m) => ({ row: m.row.name, signals: counts.get(m.contactId) ?? 0 }))).toEqual(expected);
        return counts;
      },
      { timeout: 15_000, interval: 100 },
    );
  });

  it('duplicates at CXone only where the first signal reached it; the timeline says what Studio did with them', async () => {
    const dup = (await (await fetch(`${h.simulatorUrl}/_sim/duplicates`)).json()) as { contacts: Record<string, number> };
    const reached = new Set(['signal recorded by CXone, then the response lost (reset), once', `signal slower than the attempt timeout (${SLOW_MS} ms), once`, `signal slower than the deadline (${SLOW_MS} ms), persistent`]);
    for (const m of measured) {
      const duplicates = dup.contacts[m.contactId] ?? 0;
      if (!reached.has(m.row.name)) expect({ row: m.row.name, duplicates }).toEqual({ row: m.row.name, duplicates: 0 });
    }
    const lost = measured.find((m) => m.row.name.startsWith('signal recorded by CXone, then the response lost'));
    expect(lost).toBeDefined();
    const timeline = (await (await fetch(`${h.simulatorUrl}/_sim/contacts/${lost?.contactId ?? ''}/timeline`)).json()) as {
      signals: { signalId: number; onSignal: string; interruptedBy: number | null; duplicate: boolean }[];
      duplicates: number;
    };
    // The retry followed the lost answer within the backoff (well under 2 s): it interrupted the
    // first signal's Onsignal and ran in its place with the same params.
    expect(timeline.duplicates).toBe(1);
    expect(timeline.signals.map((s) => [s.onSignal, s.duplicate])).toEqual([
      ['interrupted', false],
      ['ran', true],
    ]);
  });

  it('no log line of the gateway or the simulator holds a secret, an API key or an issued token', () => {
    const logs = h.logText();
    expect(logs).toContain('"handoff failed"');
    const tokens = h.issuedTokens();
    expect(tokens.length).toBeGreaterThan(3);
    expect(secretHits(logs, [...configuredSecrets(COLD_TENANTS), ...tokens])).toEqual([]);
  });
});

function matrixTable(rows: readonly Measured[], signalCounts: ReadonlyMap<string, number>): string {
  const lines = [
    '| fault (simulator) | final state | `lastError.code` | attempts | signals at CXone | signalContact ms | final state ms |',
    '|---|---|---|---:|---:|---:|---:|',
  ];
  for (const m of rows) {
    const signals = signalCounts.size === 0 ? '?' : (signalCounts.get(m.contactId) ?? 0);
    lines.push(
      `| ${m.row.name} | ${m.final.state} | ${m.final.lastError?.code ?? '—'} | ${m.final.attempts} | ${signals} | ${Math.round(m.signalMs)} | ${Math.round(m.finalMs)} |`,
    );
  }
  return lines.join('\n');
}
