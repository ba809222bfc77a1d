/**
 * `cxone-gateway` as a process (`node dist/src/bin.js`): `--help`, refusing bad config with messages
 * that name the field and print no secret, serving, and a graceful exit 0 on SIGTERM: new requests
 * refused, the request in flight answered, the store closed with the PENDING handoff left for the
 * next start on the same data directory, which finishes it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ENV_VARS } from '../../src/config/env-vars.js';
import { gql, STACK_KEYS, startGatewayProcess, startStack, type Stack } from '../helpers/stack.js';

const SIGNAL_STATE = /* GraphQL */ `
  mutation ($c: String!) { signalContact(input: { contactId: $c, params: ["across-sigterm"] }) { handoff { id state } } }
`;

describe('cxone-gateway process', () => {
  it('--help lists every environment variable with its default and exits 0', async () => {
    const proc = startGatewayProcess({}, ['--help']);
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    const { stdout } = proc.output();
    for (const v of ENV_VARS) {
      expect(stdout).toContain(v.name);
      if (v.default !== undefined) expect(stdout).toContain(`(default: ${v.default})`);
    }
  });

  it('refuses to start on bad config, naming every bad field and printing no secret', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cxgw-badconf-'));
    try {
      const secret = 'literal-secret-do-not-print';
      const tenants = join(dir, 'tenants.json');
      await writeFile(
        tenants,
        JSON.stringify({
          tenants: [
            {
              id: 'demo',
              cxone: { issuer: 'http://127.0.0.1:1', clientId: 'c', clientSecret: secret, accessKeyId: 'k', accessKeySecret: 'env:UNSET_SECRET' },
              pseudoNumbers: ['+15550100001'],
              keys: [{ name: 'k', sha256: 'abc', scope: 'signal' }],
            },
          ],
        }),
      );
      const proc = startGatewayProcess({ TENANTS_FILE: tenants, PORT: 'eighty', DATABASE_URL: `http://user:${secret}@db/x` });
      expect((await proc.exited).code).toBe(1);
      const { stderr, stdout } = proc.output();
      expect(stderr).toContain('PORT: must be a whole number');
      expect(stderr).toContain('DATABASE_URL: must be a postgres:// or postgresql:// URL');
      expect(stderr).toContain('tenants[0].cxone.clientSecret: must be a reference');
      expect(stderr).toContain('tenants[0].cxone.accessKeySecret: environment variable UNSET_SECRET is not set');
      expect(stderr).toContain('tenants[0].keys[0].sha256: must be the SHA-256 of the key');
      expect(stderr + stdout).not.toContain(secret);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe('serving', () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack();
      // The in-process gateway steps aside: PGlite is single-process, and the child uses its data dir.
      await stack.stopGateway();
    });
    afterAll(async () => await stack?.close());

    it('serves GraphQL and exits 0 on SIGTERM', async () => {
      const proc = startGatewayProcess({ ...stack.gatewayEnv(), LOG_LEVEL: 'info' });
      try {
        const url = await proc.ready;
        const call = await stack.sim.createCall();
        const answer = await gql(url, STACK_KEYS.signal, 'mutation($c: String!) { signalContact(input: { contactId: $c, params: ["from-a-process"] }) { handoff { state } } }', { c: call.contactId });
        expect(answer.body).toEqual({ data: { signalContact: { handoff: { state: 'SIGNALED' } } } });
        expect(await proc.stop('SIGTERM')).toEqual({ code: 0, signal: null });
        const log = proc.output().stdout;
        expect(log).toContain('"shutting down"');
        expect(log).not.toContain(STACK_KEYS.signal);
      } finally {
        await proc.stop('SIGKILL');
      }
    });

    it('prints pino-pretty lines instead of JSON with LOG_PRETTY=true', async () => {
      const proc = startGatewayProcess({ ...stack.gatewayEnv(), LOG_LEVEL: 'info', LOG_PRETTY: 'true' });
      try {
        await vi.waitFor(() => expect(proc.output().stdout).toContain('gateway listening'), { timeout: 20_000, interval: 50 });
        const line = proc.output().stdout.split('\n').find((l) => l.includes('gateway listening')) ?? '';
        expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO.*: gateway listening$/);
        expect(await proc.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      } finally {
        await proc.stop('SIGKILL');
      }
    });

    // Its waits are the behaviour under test and add up to ≈ 15 s on an idle machine (1 s answer, the
    // 5 s stop grace, a second start, a retry-worker pass), hence more than the default 30 s.
    it('on SIGTERM stops accepting, answers the request in flight, exits 0, and leaves its PENDING handoff to the next start', { timeout: 90_000 }, async () => {
      // signalContact answers after 1 s; CXone answers the first signal after 8 s, longer than the
      // 5 s the retry worker lets an attempt finish on stop, so that attempt is cut and its row released.
      const env = {
        ...stack.gatewayEnv(),
        LOG_LEVEL: 'info',
        SIGNAL_WAIT_MS: '1000',
        SIGNAL_BUDGET_MS: '15000',
        CXONE_ATTEMPT_TIMEOUT_MS: '10000',
        WORKER_INTERVAL_MS: '1000',
      };
      await stack.sim.addFault({ route: 'signal', kind: 'delay', delayMs: 8000, count: 1 });
      const call = await stack.sim.createCall();
      const first = startGatewayProcess(env);
      let second: ReturnType<typeof startGatewayProcess> | undefined;
      try {
        const url = await first.ready;
        const inFlight = fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${STACK_KEYS.signal}` },
          body: JSON.stringify({ query: SIGNAL_STATE, variables: { c: call.contactId } }),
        });
        // In flight: the PENDING row is committed and the CXone call (held 8 s by the fault) has begun.
        await vi.waitFor(() => expect(first.output().stdout).toContain('"handoff accepted"'), { timeout: 20_000, interval: 20 });
        first.child.kill('SIGTERM');
        // Stopped accepting: the process says so before it closes its listener.
        await vi.waitFor(() => expect(first.output().stdout).toContain('"shutting down"'), { timeout: 20_000, interval: 20 });

        // Not accepting: a new connection is refused (a reused keep-alive one would get 503).
        const late = await fetch(`${url}/healthz`).then((res) => res.status, () => 'refused');
        expect([503, 'refused']).toContain(late);
        const answered = await inFlight;
        expect(answered.status).toBe(200);
        const body = (await answered.json()) as { data: { signalContact: { handoff: { id: string; state: string } } } };
        expect(body.data.signalContact.handoff.state).toBe('PENDING');
        expect(await first.exited).toEqual({ code: 0, signal: null });
        expect(first.output().stdout).toContain('"attempt aborted; handoff left PENDING for the next worker"');
        expect(first.output().stdout).toContain('"stopped"');

        // The next start on the same data directory finds the handoff and finishes it.
        second = startGatewayProcess(env);
        const url2 = await second.ready;
        const handoffId = body.data.signalContact.handoff.id;
        await vi.waitFor(
          async () => {
            const res = await fetch(`${url2}/graphql`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${STACK_KEYS.read}` },
              body: JSON.stringify({ query: 'query($id: ID!) { handoff(id: $id) { state } }', variables: { id: handoffId } }),
            });
            expect(((await res.json()) as { data: { handoff: { state: string } } }).data.handoff.state).toBe('SIGNALED');
          },
          { timeout: 30_000, interval: 50 },
        );
        // The second process's retry worker is what finished it (sampling /metrics for the moment its
        // backlog gauge reads 1 missed it on a loaded machine; the gauge has its own unit test).
        expect(second.output().stdout).toContain('"retry worker resumes an abandoned handoff"');
        expect(second.output().stdout).toContain(handoffId);
        const signals = await stack.sim.signals(call.contactId);
        expect(signals.length).toBeGreaterThanOrEqual(1);
        expect(signals.every((s) => s.params[0] === 'across-sigterm')).toBe(true);
        expect(await second.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      } finally {
        await first.stop('SIGKILL');
        await second?.stop('SIGKILL');
        await stack.sim.clearFaults();
      }
    });
  });
});
