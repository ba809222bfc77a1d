/**
 * PostgreSQL stopped and started again under load (issue 7): a gateway child process on a private
 * cluster keeps serving; while the database is down `signalContact` answers SERVICE_UNAVAILABLE
 * (HTTP 503) and `/readyz` 503, afterwards it recovers without a restart, and every request that was
 * answered with a handoff ends SIGNALED.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTempPostgres, type TempPostgres } from '../helpers/postgres.js';
import { allSettled, configuredSecrets, type GatewayProcess, gql, type Harness, type HandoffView, secretHits, SIGNAL, startHarness, TENANT_A } from '../helpers/stack.js';

// Every accepted handoff must end SIGNALED: the budget leaves a loaded machine's slow CXone
// exchanges room, so only the database outage is under test.
const ENV = { SIGNAL_WAIT_MS: '1000', SIGNAL_BUDGET_MS: '5000', CXONE_ATTEMPT_TIMEOUT_MS: '2000', WORKER_INTERVAL_MS: '200', LOG_LEVEL: 'info' };
const CONCURRENCY = 8;

type Phase = 'before' | 'down' | 'after';
interface Outcome {
  readonly phase: Phase;
  readonly status: number | 'error';
  readonly code: string | null;
  readonly handoff: HandoffView | null;
  /** `performance.now()` when the answer came. */
  readonly at: number;
}

describe('PostgreSQL stopped and restarted under load', () => {
  let pg: TempPostgres;
  let h: Harness;
  let gateway: { proc: GatewayProcess; url: string };

  beforeAll(async () => {
    pg = await startTempPostgres();
    h = await startHarness({ storeEnv: { DATABASE_URL: pg.url }, env: ENV });
    gateway = await h.spawn();
  });
  afterAll(async () => {
    await h?.close();
    await pg?.destroy();
  });

  it('503 SERVICE_UNAVAILABLE and /readyz 503 during the outage, recovery without a restart, nothing accepted lost', { timeout: 90_000 }, async () => {
    const contacts = await h.createCalls(400);
    // A contact whose request was refused goes back in the queue (same key, same input).
    const queue = contacts.map((_, i) => i);
    let phase: Phase = 'before';
    let running = true;
    const outcomes: Outcome[] = [];
    const ready: { phase: Phase; status: number | 'error'; at: number }[] = [];

    const load = async (): Promise<void> => {
      while (running) {
        const i = queue.shift();
        if (i === undefined) return;
        const at = phase;
        let accepted = false;
        try {
          const res = await gql<{ signalContact: { handoff: HandoffView } }>(gateway.url, TENANT_A.keys.signal, SIGNAL, {
            input: { contactId: contacts[i], params: ['outage'], idempotencyKey: `outage-${i}` },
          });
          const code = res.body?.errors?.[0]?.extensions?.['code'];
          const handoff = res.body?.data?.signalContact.handoff ?? null;
          accepted = handoff !== null;
          outcomes.push({ phase: at, status: res.status, code: typeof code === 'string' ? code : null, handoff, at: performance.now() });
        } catch {
          outcomes.push({ phase: at, status: 'error', code: null, handoff: null, at: performance.now() });
        }
        if (!accepted) queue.push(i);
        // Paced, so the run spans the outage without running out of contacts.
        await pause(accepted ? 20 : 50);
      }
    };
    const probe = async (): Promise<void> => {
      while (running) {
        const at = phase;
        const status = await fetch(`${gateway.url}/readyz`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.status, () => 'error' as const);
        ready.push({ phase: at, status, at: performance.now() });
        await pause(100);
      }
    };
    // The timeouts only bound a hang on a loaded machine; each phase ends on what the load saw.
    const until = async (what: string, check: () => boolean, timeoutMs: number): Promise<void> => {
      await vi.waitFor(
        () => {
          if (!check()) throw new Error(`timed out waiting for ${what}`);
        },
        { timeout: timeoutMs, interval: 50 },
      );
    };
    const inPhase = (p: Phase) => outcomes.filter((o) => o.phase === p);

    const workers = [...Array.from({ length: CONCURRENCY }, load), probe()];
    await until('answers with a handoff before the stop', () => inPhase('before').filter((o) => o.handoff !== null).length >= 20 && ready.some((r) => r.status === 200), 20_000);
    phase = 'down';
    const stoppedAt = performance.now();
    await pg.stop();
    await until('503s during the outage', () => inPhase('down').filter((o) => o.status === 503).length >= 20 && ready.some((r) => r.phase === 'down' && r.status === 503), 20_000);
    await pg.start();
    phase = 'after';
    const restartedAt = performance.now();
    await until('answers with a handoff after the restart', () => inPhase('after').filter((o) => o.handoff !== null).length >= 20, 30_000);
    const recoveredMs = performance.now() - restartedAt;
    await until('/readyz 200 after the restart', () => ready.some((r) => r.phase === 'after' && r.status === 200), 10_000);
    running = false;
    await Promise.all(workers);
    const downMs = restartedAt - stoppedAt;

    expect(gateway.proc.child.exitCode).toBeNull();
    // Every answer is a handoff or a 503 SERVICE_UNAVAILABLE: no 500, no hang, no dropped connection.
    const other = outcomes.filter((o) => o.handoff === null && !(o.status === 503 && o.code === 'SERVICE_UNAVAILABLE'));
    expect(other).toEqual([]);
    // Answers that came before the stop began are all handoffs (later ones may meet the shutdown).
    expect(outcomes.filter((o) => o.at < stoppedAt && o.handoff === null)).toEqual([]);
    expect(ready.filter((r) => r.at < stoppedAt && r.status !== 200)).toEqual([]);

    // Nothing accepted is lost: each answered handoff exists and ends SIGNALED (the worker finishes
    // the ones whose outcome could not be written during the outage).
    const accepted = outcomes.flatMap((o) => (o.handoff ? [o.handoff] : []));
    const stored = new Map((await allSettled(gateway.url, 40_000)).map((x) => [x.id, x]));
    expect(accepted.filter((x) => stored.get(x.id)?.state !== 'SIGNALED')).toEqual([]);
    const signalled = new Set((await h.signals()).map((s) => s.contactId));
    expect(accepted.filter((x) => !signalled.has(x.contactId))).toEqual([]);

    const refused = outcomes.filter((o) => o.status === 503).length;
    console.log(
      `\npostgres outage: down ${(downMs / 1000).toFixed(1)} s; ${outcomes.length} requests: ${accepted.length} accepted (all SIGNALED), ` +
        `${refused} answered 503 SERVICE_UNAVAILABLE; /readyz ${ready.filter((r) => r.status === 503).length}× 503 during, 200 again; ` +
        `first handoffs accepted ${(recoveredMs / 1000).toFixed(1)} s after PostgreSQL was back; gateway pid unchanged\n`,
    );
  });

  it('PostgreSQL frozen (SIGSTOP, refusing nothing): 503 from the query timeout, recovery after SIGCONT', { timeout: 60_000 }, async () => {
    const [frozenContact, laterContact] = await h.createCalls(2);
    const signalOne = (contactId: string | undefined) =>
      gql<{ signalContact: { handoff: HandoffView } }>(gateway.url, TENANT_A.keys.signal, SIGNAL, { input: { contactId, params: ['frozen'] } }, 30_000);
    const pids = await clusterPids(pg.dataDir);
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    let frozenMs: number;
    let answer: Awaited<ReturnType<typeof signalOne>>;
    let readyz: number;
    try {
      const started = performance.now();
      [answer, readyz] = await Promise.all([signalOne(frozenContact), fetch(`${gateway.url}/readyz`).then((r) => r.status)]);
      frozenMs = performance.now() - started;
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    expect({ status: answer.status, code: answer.body?.errors?.[0]?.extensions?.['code'] }).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(readyz).toBe(503);
    // An answer at all, before the 30 s client timeout, is the query timeout at work (a frozen server
    // refuses nothing, so only the pool's own timeouts end the wait); how long it took is printed below.

    const after = await vi.waitFor(
      async () => {
        const handoff = (await signalOne(laterContact)).body?.data?.signalContact.handoff;
        if (!handoff) throw new Error('signalContact still refused after SIGCONT');
        return handoff;
      },
      { timeout: 20_000, interval: 200 },
    );
    expect(after.state).toBe('SIGNALED');
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
    console.log(`\npostgres frozen: signalContact answered 503 SERVICE_UNAVAILABLE after ${(frozenMs / 1000).toFixed(1)} s; SIGNALED again after SIGCONT\n`);
  });

  it('no log line holds a secret, an API key or an issued token', () => {
    expect(h.logText()).toContain('"handoff signaled"');
    expect(secretHits(h.logText(), [...configuredSecrets(), ...h.issuedTokens()])).toEqual([]);
  });
});

/** The postmaster (first line of postmaster.pid) and its children: the processes of one cluster. */
async function clusterPids(dataDir: string): Promise<number[]> {
  const postmaster = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(join('/proc', entry, 'stat'), 'utf8').catch(() => '');
    // `pid (comm) state ppid …`; comm may hold spaces, so split after its closing parenthesis.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === postmaster) children.push(Number(entry));
  }
  return [postmaster, ...children];
}
