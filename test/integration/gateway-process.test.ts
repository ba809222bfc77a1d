/**
 * `cxone-gateway` as a process (`node dist/src/bin.js`): `--help`, refusing bad config with messages
 * that name the field and print no secret, serving, and a graceful exit 0 on SIGTERM.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV_VARS } from '../../src/config/env-vars.js';
import { STACK_KEYS, startGatewayProcess, startStack, type Stack } from '../helpers/stack.js';

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
        const res = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${STACK_KEYS.signal}` },
          body: JSON.stringify({
            query: 'mutation($c: String!) { signalContact(input: { contactId: $c, params: ["from-a-process"] }) { handoff { state } } }',
            variables: { c: call.contactId },
          }),
        });
        expect(await res.json()).toEqual({ data: { signalContact: { handoff: { state: 'SIGNALED' } } } });
        expect(await proc.stop('SIGTERM')).toEqual({ code: 0, signal: null });
        const log = proc.output().stdout;
        expect(log).toContain('"shutting down"');
        expect(log).not.toContain(STACK_KEYS.signal);
      } finally {
        await proc.stop('SIGKILL');
      }
    });
  });
});
