import { type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO } from '../../simulator/index.js';
import { OTHER, TWO_UNIT_SEED, passwordGrant } from './simulator-harness.js';
import { exitOf, spawnChild } from '../helpers/processes.js';
import { madeTempDirs, testTempDir } from '../helpers/temp-dirs.js';

const BIN = join(process.cwd(), 'dist/simulator/bin.js');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** Spawns the CLI and resolves once it prints its listening line. */
function startCli(args: string[]): Promise<{ child: ChildProcess; line: string }> {
  // Killed with its process group when the test ends, even one that timed out (helpers/processes.ts).
  const child = spawnChild(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((candidate) => candidate.includes('listening on'));
      if (line !== undefined) resolve({ child, line });
    });
    child.once('exit', (code) => reject(new Error(`cxone-sim exited ${String(code)}: ${stderr}`)));
  });
}

/**
 * Runs the CLI to completion and returns its exit code and output. No timeout of its own (a 10 s one
 * killed the CLI mid-start beside a CPU hog): the test's timeout bounds a hang, and the process group
 * dies with the test (helpers/processes.ts).
 */
async function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnChild(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const { code } = await exitOf(child);
  return { code, stdout, stderr };
}

describe('simulator: CLI (cxone-sim)', () => {
  it('prints usage with every flag for --help and exits 0', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: cxone-sim \[options\]/);
    for (const flag of ['--port', '--host', '--seed', '--token-ttl', '--refresh-token-ttl', '--signal-status', '--param-max-length', '--log-level', '--help']) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toContain(DEMO.clientId);
    expect(stdout).toContain(DEMO.pseudoNumber);
  });

  it('starts on the given port and serves discovery, tokens and signals; exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const { child, line } = await startCli(['--port', String(port), '--log-level', 'silent', '--token-ttl', '120', '--signal-status', '204']);
    const url = `http://127.0.0.1:${port}`;
    expect(line).toContain(url);
    const discovery = (await (await fetch(`${url}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
    expect(discovery.token_endpoint).toBe(`${url}/auth/token`);
    const token = await passwordGrant(url);
    expect(token.expires_in).toBe(120);
    const call = (await (
      await fetch(`${url}/_sim/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pseudoNumber: DEMO.pseudoNumber }) })
    ).json()) as { contactId: string };
    const signal = await fetch(`${url}/incontactapi/services/v30.0/interactions/${call.contactId}/signal?p1=cli`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    expect(signal.status).toBe(204);

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('loads a --seed file', async () => {
    const dir = testTempDir('cxone-sim-');
    const seedFile = join(dir, 'seed.json');
    writeFileSync(seedFile, JSON.stringify(TWO_UNIT_SEED));
    const port = await freePort();
    const { child } = await startCli(['--port', String(port), '--seed', seedFile, '--log-level', 'silent']);
    const response = await fetch(`http://127.0.0.1:${port}/.well-known/cxone-configuration?tenantId=${OTHER.tenantId}`);
    expect(response.status).toBe(200);
    child.kill('SIGTERM');
  });

  it.each([
    { name: 'an unknown flag', args: ['--nope'], code: 2, message: /Unknown option '--nope'/ },
    { name: 'a bad port', args: ['--port', 'eighty'], code: 2, message: /--port must be an integer/ },
    { name: 'a bad log level', args: ['--log-level', 'loud'], code: 2, message: /--log-level must be one of/ },
    { name: 'a missing seed file', args: ['--seed', '/nonexistent/seed.json'], code: 1, message: /cannot read seed file/ },
  ])('exits $code on $name with a message', async ({ args, code, message }) => {
    const result = await runCli(args);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });

  it('exits 1 on an invalid seed, naming each bad field', async () => {
    const dir = testTempDir('cxone-sim-');
    const seedFile = join(dir, 'bad.json');
    writeFileSync(
      seedFile,
      JSON.stringify({
        businessUnits: [{ tenantId: 't', businessUnit: 'BU-1', pseudoNumbers: ['555'] }],
        apiClients: [{ clientId: 'c', clientSecret: '', businessUnit: '1' }],
      }),
    );
    const { code, stderr } = await runCli(['--seed', seedFile]);
    expect(code).toBe(1);
    expect(stderr).toContain('businessUnits[0].businessUnit');
    expect(stderr).toContain('businessUnits[0].pseudoNumbers[0]');
    expect(stderr).toContain('apiClients[0].clientSecret');
  });

  it('exits 1 when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const { code, stderr } = await runCli(['--port', String(port), '--log-level', 'silent']);
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot start: .*EADDRINUSE/);
  });

  // Last, so it sees the directories of every test above (tests of a file run in order).
  it('leaves none of its temporary directories (seed files) behind', () => {
    expect(madeTempDirs()).toHaveLength(2);
    expect(madeTempDirs().filter((dir) => existsSync(dir))).toEqual([]);
  });
});
