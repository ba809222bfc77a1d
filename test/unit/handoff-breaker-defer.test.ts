/**
 * A signal the CXone client did not send because the tenant's circuit breaker is open
 * (CXONE_CIRCUIT_OPEN) does not fail the handoff: the row stays PENDING with that lastError and is
 * released for the retry worker only from the end of the breaker's cool-down, so the worker backs
 * off instead of hammering CXone.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { HandoffService } from '../../src/handoff/handoff.service.js';
import { type HandoffStore } from '../../src/handoff/ports.js';
import { circuitOpen } from '../../src/nice/circuit-breaker.js';
import { openPgliteStore } from '../../src/store/pglite.store.js';
import { pgliteDataDir } from '../helpers/pglite.js';
import { FakeNiceClient, niceTenant, recordingLogger } from './handoff-fakes.js';

let store: HandoffStore;
let dir: { path: string; remove(): Promise<void> };
const running: HandoffService[] = [];

beforeAll(async () => {
  // A copy of the PGlite template: an empty directory would cost an initdb (seconds of WASM).
  dir = await pgliteDataDir();
  store = await openPgliteStore({ dataDir: dir.path }, { log: recordingLogger() });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});
afterAll(async () => {
  await store.close();
  await dir.remove();
});

describe('HandoffService with an open circuit breaker', () => {
  it('keeps the handoff PENDING until the cool-down ends, then the worker signals it', async () => {
    const tenantId = `t-${randomUUID().slice(0, 8)}`;
    const coolDownMs = 400;
    let calls = 0;
    const callTimes: number[] = [];
    const nice = new FakeNiceClient(async () => {
      calls += 1;
      callTimes.push(Date.now());
      if (calls === 1) throw circuitOpen(coolDownMs).withAttempts(1);
      return { status: 202, attempts: 1 };
    });
    const service = new HandoffService({
      store,
      nice,
      tenants: (id) => (id === tenantId ? niceTenant(id) : undefined),
      log: recordingLogger(),
      events: {},
      options: { waitMs: 1_000, budgetMs: 2_000, leaseMs: 5_000, workerIntervalMs: 20, stopTimeoutMs: 200 },
    });
    running.push(service);
    const before = Date.now();
    const answered = await service.signal(tenantId, { contactId: '42', params: ['x'], context: null, idempotencyKey: null });
    expect(answered).toMatchObject({ state: 'PENDING', attempts: 1, lastError: { code: 'CXONE_CIRCUIT_OPEN' } });
    const row = await store.get(tenantId, answered.id);
    expect(row).toMatchObject({ state: 'PENDING', leaseOwner: null, lastError: { code: 'CXONE_CIRCUIT_OPEN' } });
    expect(row?.nextAttemptAt?.getTime()).toBeGreaterThanOrEqual(before + coolDownMs);

    service.start();
    const done = await vi.waitFor(
      async () => {
        const r = await store.get(tenantId, answered.id);
        if (r?.state !== 'SIGNALED') throw new Error(`still ${r?.state ?? 'missing'}`);
        return r;
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(done.attempts).toBe(2);
    expect(calls).toBe(2);
    // The worker waited for the cool-down (the row was not due before it), whatever the machine's load.
    expect(callTimes[1]).toBeGreaterThanOrEqual(row?.nextAttemptAt?.getTime() ?? Infinity);
  });
});
