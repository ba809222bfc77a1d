/**
 * The conformance kit (conformance/): every wire fact matches the simulator; a simulator with a
 * mutated wire profile is caught fact by fact; no secret or token reaches the table; the CLI's
 * exit codes. The kit against a real tenant is the same code with `mode: 'real'`, exercised here
 * against the simulator (where the real-only Accept fact differs, as it should).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FACTS, SIGNAL_P1, runConformance, startSimulatorTarget, type ConformanceReport, type Fact, type SimulatorTarget } from '../../conformance/index.js';
import { CXONE_PROFILE, DEMO, startSimulator, type WireProfile } from '../../simulator/index.js';
import { madeTempDirs, testTempDir } from '../helpers/temp-dirs.js';

const CLI = join(process.cwd(), 'dist/scripts/conformance.js');
const MUTATED: Partial<WireProfile> = {
  invalidGrantStatus: 400,
  tokenEndpointAuthMethods: ['client_secret_basic'],
  tokenType: 'bearer',
  contactNotFoundStatus: 400,
};

const started: SimulatorTarget[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map(({ simulator }) => simulator.close()));
});

async function target(profile: Partial<WireProfile> = {}): Promise<SimulatorTarget> {
  const running = await startSimulatorTarget(profile);
  started.push(running);
  return running;
}

const byId = (report: ConformanceReport): Record<string, ConformanceReport['results'][number]['outcome']> =>
  Object.fromEntries(report.results.map(({ fact, outcome }) => [fact.id, outcome]));
const withStatus = (report: ConformanceReport, status: string): string[] =>
  report.results.filter(({ outcome }) => outcome.status === status).map(({ fact }) => fact.id);

describe('conformance kit against the simulator', () => {
  it('lists each fact once, with a source, a basis and an expected value', () => {
    const ids = FACTS.map((fact) => fact.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(15);
    for (const fact of FACTS) {
      expect(fact.sources, fact.id).not.toBe('');
      expect(['sourced', 'inferred'], fact.id).toContain(fact.basis);
      expect(fact.expected, fact.id).not.toBe('');
    }
  });

  it('docs/simulator.md lists every fact, each with its basis (sourced or inferred)', () => {
    const doc = readFileSync(new URL('../../docs/simulator.md', import.meta.url), 'utf8');
    for (const fact of FACTS) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${fact.id}\` |`));
      expect(row, fact.id).toBeDefined();
      expect(row?.split(' | ')[2], fact.id).toBe(fact.basis);
    }
  });

  it('every fact matches, except the Accept fact the simulator does not model, which says why', async () => {
    const { target: t } = await target();
    const report = await runConformance(t);
    expect(withStatus(report, 'differs')).toEqual([]);
    expect(withStatus(report, 'not-checkable')).toEqual(['signal.accept-required']);
    expect(byId(report)['signal.accept-required']).toEqual({ status: 'not-checkable', why: expect.stringContaining('does not model') });
    expect(report.ok).toBe(true);
    expect(byId(report)['signal.json-body']).toEqual({ status: 'matches', info: 'answered 202' });
    for (const fact of FACTS) expect(report.table).toContain(fact.id);
    expect(report.table).toContain(`${FACTS.length - 1} match, 0 differ, 1 not checkable (of ${FACTS.length})`);
  });

  it('sends exactly one signal, with p1 "cxone-conformance-kit", to the contact it was given', async () => {
    const { simulator, target: t } = await target();
    await runConformance(t);
    const signals = (await (await fetch(`${simulator.url}/_sim/signals`)).json()) as { contactId: string; params: string[] }[];
    expect(signals).toEqual([expect.objectContaining({ contactId: t.contactId, params: [SIGNAL_P1] })]);
  });

  it('uses the API version and the missing contact id it is given', async () => {
    const { simulator, target: t } = await target();
    const report = await runConformance({ ...t, apiVersion: 23, missingContactId: t.contactId });
    const signals = (await (await fetch(`${simulator.url}/_sim/signals?contactId=${t.contactId}`)).json()) as { apiVersion: string }[];
    expect(signals.length).toBeGreaterThan(0);
    expect(signals.every((signal) => signal.apiVersion === 'v23.0')).toBe(true);
    // The "missing" contact exists here, so the fact that expects 404 sees the 202 of a delivered signal.
    expect(byId(report)['signal.unknown-contact']).toEqual({ status: 'differs', expected: '404', actual: '202' });
  });

  it('catches a simulator with a mutated wire profile: exactly the mutated facts differ, with both values', async () => {
    const { target: t } = await target(MUTATED);
    const report = await runConformance(t);
    expect(report.ok).toBe(false);
    expect(withStatus(report, 'differs').sort()).toEqual(
      ['discovery.client-auth-methods', 'signal.unknown-contact', 'token.type', 'token.wrong-access-key-secret'].sort(),
    );
    const outcomes = byId(report);
    expect(outcomes['discovery.client-auth-methods']).toEqual({ status: 'differs', expected: '[client_secret_basic, client_secret_post]', actual: '["client_secret_basic"]' });
    expect(outcomes['token.type']).toEqual({ status: 'differs', expected: 'token_type "Bearer"', actual: 'token_type "bearer"' });
    expect(outcomes['token.wrong-access-key-secret']).toEqual({ status: 'differs', expected: '401 invalid_grant', actual: '400 invalid_grant' });
    expect(outcomes['signal.unknown-contact']).toEqual({ status: 'differs', expected: '404', actual: '400 contact_not_found' });
    expect(report.table).toMatch(/signal\.unknown-contact .*DIFFERS +expected 404; actual 400 contact_not_found/);
  });

  it('never prints a credential or a token: they are redacted even where a fact would show them', async () => {
    const { target: t } = await target();
    const seen: string[] = [];
    const leaky: Fact = {
      id: 'test.leak',
      sources: 'test',
      basis: 'inferred',
      checks: 'echoes secrets',
      expected: 'nothing',
      async check(ctx) {
        const token = await ctx.accessToken();
        const refresh = (await ctx.passwordGrant())?.body.refresh_token;
        seen.push(String(token), String(refresh));
        return { status: 'differs', expected: 'nothing', actual: `${token} ${refresh} ${t.clientSecret} ${t.accessKeySecret}` };
      },
    };
    const report = await runConformance(t, [...FACTS, leaky]);
    expect(seen.every((value) => value.length > 8)).toBe(true);
    for (const secret of [...seen, DEMO.clientSecret, DEMO.accessKeySecret]) expect(report.table).not.toContain(secret);
    expect(report.table).toContain('‹redacted› ‹redacted› ‹redacted› ‹redacted›');
  });
});

/**
 * A stand-in that gets every checkable fact wrong: a proxy in front of a simulator that rewrites
 * discovery and token answers and answers every signal 500. The proof that no check always passes.
 */
async function startWrongStandIn(upstream: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const path = req.url ?? '/';
      const send = (status: number, json: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(json));
      };
      if (/\/signal(\?|$)/.test(path)) return send(500, { error: 'internal_error' });
      if (path.startsWith('/auth/jwks')) return send(200, { keys: [] });
      if (path.startsWith('/authentication/v1/token/access-key')) return send(404, { error: 'not_found' });
      if (body.includes('grant_type=refresh_token')) return send(400, { error: 'invalid_grant' });
      const headers = Object.fromEntries(Object.entries(req.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[0] !== 'content-length'));
      request(`${upstream}${path}`, { method: req.method as 'GET' | 'POST', headers, body: body.length > 0 ? body : undefined })
        .then(async (answer) => {
          const json = (await answer.body.json()) as Record<string, unknown>;
          if (path.startsWith('/.well-known/openid-configuration')) {
            send(200, { ...json, token_endpoint: `${String(json.issuer)}/auth/token/`, token_endpoint_auth_methods_supported: ['client_secret_basic'] });
          } else if (path.startsWith('/.well-known/cxone-configuration')) {
            send(answer.statusCode, { ...json, cluster: undefined });
          } else if (path.startsWith('/auth/token') && answer.statusCode === 200) {
            send(200, { ...json, id_token: undefined, token_type: 'bearer' });
          } else {
            send(answer.statusCode === 401 ? 400 : answer.statusCode, json);
          }
        })
        .catch(() => send(502, { error: 'bad_gateway' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('conformance kit against a stand-in that gets every fact wrong', () => {
  it('every checkable fact differs: no check passes whatever it is shown', async () => {
    const { simulator, target: t } = await target();
    const standIn = await startWrongStandIn(simulator.url);
    try {
      const report = await runConformance({ ...t, issuer: standIn.url });
      expect(withStatus(report, 'matches')).toEqual([]);
      expect(withStatus(report, 'not-checkable')).toEqual(['signal.accept-required']);
      expect(withStatus(report, 'differs')).toHaveLength(FACTS.length - 1);
      const outcomes = byId(report);
      expect(outcomes['token.no-store']).toEqual({ status: 'differs', expected: 'Cache-Control: no-store', actual: 'Cache-Control: (absent)' });
      expect(outcomes['signal.json-body']).toEqual({ status: 'differs', expected: 'any 2xx', actual: '500 internal_error' });
      expect(outcomes['discovery.tenant']).toEqual({ status: 'differs', expected: 'api_endpoint, area, cluster, domain', actual: 'missing or empty: cluster' });
    } finally {
      await standIn.close();
    }
  });
});

describe('simulator wire profile', () => {
  it('defaults to CXone as docs/architecture.md describes it, and refuses a non-error status', async () => {
    expect(CXONE_PROFILE).toEqual({ invalidGrantStatus: 401, tokenEndpointAuthMethods: ['client_secret_basic', 'client_secret_post'], tokenType: 'Bearer', contactNotFoundStatus: 404 });
    await expect(startSimulator({ profile: { invalidGrantStatus: 200 } })).rejects.toThrow(/invalidGrantStatus must be an HTTP error status/);
  });
});

describe('conformance kit in real mode (here against the simulator)', () => {
  it('sends no wrong credentials unless told to, and then checks them', async () => {
    const { target: t } = await target(MUTATED);
    const cautious = byId(await runConformance({ ...t, mode: 'real' }));
    for (const id of ['token.wrong-client-secret', 'token.wrong-access-key-secret']) {
      expect(cautious[id]).toEqual({ status: 'not-checkable', why: expect.stringContaining('--include-negative-auth') });
    }
    const bold = byId(await runConformance({ ...t, mode: 'real', includeNegativeAuth: true }));
    expect(bold['token.wrong-client-secret']).toEqual({ status: 'matches' });
    expect(bold['token.wrong-access-key-secret']).toEqual({ status: 'differs', expected: '401 invalid_grant', actual: '400 invalid_grant' });
  });

  it('checks the Accept fact against a real tenant: the simulator, answering JSON anyway, differs', async () => {
    const { target: t } = await target();
    const outcome = byId(await runConformance({ ...t, mode: 'real' }))['signal.accept-required'];
    expect(outcome).toEqual({ status: 'differs', expected: '"No known way to render data"', actual: expect.stringMatching(/^404 /) });
  });

  it('with only an access key: the client facts are not checkable and the signal uses the access-key token', async () => {
    const { target: t } = await target();
    const outcomes = byId(await runConformance({ ...t, clientId: undefined, clientSecret: undefined }));
    for (const id of ['token.password.fields', 'token.refresh', 'token.wrong-client-secret', 'token.wrong-access-key-secret']) {
      expect(outcomes[id]?.status, id).toBe('not-checkable');
    }
    expect(outcomes['token.access-key']).toEqual({ status: 'matches' });
    expect(outcomes['token.type']).toEqual({ status: 'matches' });
    expect(outcomes['signal.json-body']).toEqual({ status: 'matches', info: 'answered 202' });
  });

  it('an unreachable issuer differs (nothing shown to match), it does not pass', async () => {
    const { simulator, target: t } = await target();
    await simulator.close();
    const report = await runConformance({ ...t, timeoutMs: 2000 });
    expect(report.ok).toBe(false);
    expect(byId(report)['discovery.token-endpoint']).toEqual({ status: 'differs', expected: 'token_endpoint = {issuer}/auth/token', actual: expect.stringContaining('request failed') });
  });
});

describe('conformance CLI (dist/scripts/conformance.js)', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  }

  it('--simulator: starts its own simulator, prints the table and exits 0', async () => {
    const { code, stdout } = await cli(['--simulator']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/CXone conformance: simulator at http:\/\/127\.0\.0\.1:\d+/);
    expect(stdout).toContain(`${FACTS.length - 1} match, 0 differ, 1 not checkable`);
  });

  it('--simulator with a mutated profile: exits 1 and names the differing facts', async () => {
    const file = join(testTempDir('conformance-'), 'profile.json');
    writeFileSync(file, JSON.stringify(MUTATED));
    const { code, stdout } = await cli(['--simulator', '--simulator-profile', file]);
    expect(code).toBe(1);
    const differing = stdout.split('\n').filter((line) => line.includes('DIFFERS')).map((line) => line.split(' ')[0]);
    expect(differing.sort()).toEqual(['discovery.client-auth-methods', 'signal.unknown-contact', 'token.type', 'token.wrong-access-key-secret'].sort());
    expect(stdout).toContain('expected token_type "Bearer"; actual token_type "bearer"');
  });

  it('real mode reads secrets from env vars, never prints them, and exits 1 when a fact differs', async () => {
    const { target: t } = await target();
    const { code, stdout, stderr } = await cli(
      [
        '--issuer', t.issuer, '--tenant-id', t.tenantId, '--client-id', DEMO.clientId, '--client-secret-env', 'CONF_CLIENT_SECRET',
        '--access-key-id', DEMO.accessKeyId, '--access-key-secret-env', 'CONF_KEY_SECRET', '--contact-id', String(t.contactId), '--include-negative-auth',
      ],
      { CONF_CLIENT_SECRET: DEMO.clientSecret, CONF_KEY_SECRET: DEMO.accessKeySecret },
    );
    expect(stderr).toBe('');
    expect(code).toBe(1); // the simulator does not model the Accept fact, which real mode checks
    expect(stdout).toMatch(/real tenant at/);
    expect(stdout).toContain(`${FACTS.length - 1} match, 1 differ, 0 not checkable`);
    for (const secret of [DEMO.clientSecret, DEMO.accessKeySecret]) expect(stdout).not.toContain(secret);
  });

  it('--help prints every option and exits 0; a missing issuer or an unset secret variable is a usage error (exit 2)', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const option of ['--issuer', '--tenant-id', '--client-secret-env', '--access-key-secret-file', '--contact-id', '--include-negative-auth', '--simulator-profile']) {
      expect(help.stdout).toContain(option);
    }
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--issuer URL is required');
    const unset = await cli(['--issuer', 'https://cxone.example', '--tenant-id', 't', '--client-secret-env', 'CONFORMANCE_TEST_UNSET_VARIABLE']);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('--client-secret-env: the environment variable it names is not set');
  });

  it('refuses a secret on the command line (exit 2) without echoing it', async () => {
    const { code, stderr } = await cli(['--issuer', 'https://cxone.example', '--tenant-id', 't', '--client-secret', 'hunter2-in-argv']);
    expect(code).toBe(2);
    expect(stderr).toContain('environment variable');
    expect(stderr).not.toContain('hunter2-in-argv');
  });

  // Last, so it sees the directory of the mutated-profile test above (tests of a file run in order).
  it('leaves no temporary directory (the mutated profile) behind', () => {
    expect(madeTempDirs()).toHaveLength(1);
    expect(madeTempDirs().filter((dir) => existsSync(dir))).toEqual([]);
  });
});
