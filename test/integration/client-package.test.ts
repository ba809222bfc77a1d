/**
 * The typed client as a package another project depends on (issue 15 §1): built to JS with types,
 * packed with `npm pack`, installed from the tarball into a throw-away project, and used there: the
 * example script (the README's snippet) signals a contact and reads the handoff back against a gateway
 * this test starts, and a TypeScript consumer type-checks against the installed declarations.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_KEYS, startStack, type Stack } from '../helpers/stack.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');

describe('@cxone-gateway/client from its tarball', () => {
  let stack: Stack;
  let project: string;

  beforeAll(async () => {
    stack = await startStack();
    project = await mkdtemp(join(tmpdir(), 'cxgw-client-'));
    await run(process.execPath, [tsc, '-p', join(root, 'packages/client/tsconfig.json')], { cwd: root });
    const { stdout } = await run('npm', ['pack', join(root, 'packages/client'), '--pack-destination', project, '--json'], { cwd: project });
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'an-integrators-tool', private: true, type: 'module' }));
    await run('npm', ['install', join(project, packed?.filename ?? ''), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: project, timeout: 240_000 });
  }, 300_000);

  afterAll(async () => {
    await stack?.close();
    if (project) await rm(project, { recursive: true, force: true });
  });

  it('runs the example script against a live gateway: signal, screen-pop read, a typed error', async () => {
    const call = await stack.sim.createCall();
    const example = join(project, 'node_modules/@cxone-gateway/client/examples/try-client.mjs');
    const { stdout } = await run(process.execPath, [example], {
      cwd: project,
      env: { PATH: process.env.PATH ?? '', GATEWAY_URL: `${stack.gatewayUrl}/graphql`, SIGNAL_KEY: STACK_KEYS.signal, READ_KEY: STACK_KEYS.read, CONTACT_ID: call.contactId },
    });
    expect(stdout).toContain('signalled: SIGNALED');
    expect(stdout).toContain('screen-pop reads: SIGNALED billing,gold {"intent":"billing"}');
    expect(stdout).toContain('a wrong key: UNAUTHENTICATED 401');
    expect((await stack.sim.signals(call.contactId)).map((s) => s.params)).toEqual([['billing', 'gold']]);
  });

  it('type-checks a TypeScript consumer against the installed declarations', async () => {
    await writeFile(
      join(project, 'check.ts'),
      `import { createGatewayClient, SignalContactDocument } from '@cxone-gateway/client';
export async function handOff(contactId: string): Promise<'PENDING' | 'SIGNALED' | 'FAILED'> {
  const gateway = createGatewayClient({ url: 'http://127.0.0.1:4000/graphql', key: 'k' });
  const { signalContact } = await gateway.request(SignalContactDocument, { input: { contactId, params: ['a'] } });
  // @ts-expect-error -- contactId is required
  await gateway.request(SignalContactDocument, { input: { params: ['a'] } });
  return signalContact.handoff.state;
}
`,
    );
    await run(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', 'check.ts'], { cwd: project });
  });

  it("is the README's client snippet, verbatim", async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const example = await readFile(join(root, 'packages/client/examples/try-client.mjs'), 'utf8');
    expect(readme).toContain(example.trim());
  });
});
