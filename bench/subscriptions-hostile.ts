/**
 * Issue 13's measurement, once, on loopback: a gateway child process (production defaults, PGlite)
 * and the simulator; another tenant's `signalContact` latency and the gateway's RSS with no
 * subscriber, then with 2,000 hostile subscription attempts open: 20 API keys x 10 connections x 10
 * subscriptions, each selecting a 16 KB `context` 11 times and `call` 5 times (within the alias
 * limit), on sockets that stop reading, while the attacker's own tenant signals
 * with a 16 KB context (every event fans out to its subscribers). Bounded: 100 signals per phase,
 * ≈1 minute in all.
 *
 * `npm run build && node dist/bench/subscriptions-hostile.js` prints a Markdown table.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import WebSocket from 'ws';
import { DEMO } from '../simulator/index.js';
import { forkServer, type GatewayChild, sampleRss, spawnGateway } from './processes.js';

const ATTACK_KEYS = 20;
const CONNECTIONS_PER_KEY = 10;
const SUBSCRIPTIONS_PER_CONNECTION = 10;
const VICTIM_SIGNALS = 100;
const ATTACKER_SIGNALS = 5;
const MB = 1024 * 1024;
const CONTEXT = { blob: 'x'.repeat(16_000) };
const aliases = (n: number, field: string, prefix: string): string => Array.from({ length: n }, (_, i) => `${prefix}${i}: ${field}`).join(' ');
/** 14 aliases (the limit is 15): the 16 KB context 11 times, `call` 5 times. */
const HEAVY = `subscription { handoffChanged { id context ${aliases(10, 'context', 'x')} call { contactId } ${aliases(4, 'call { contactId }', 'c')} } }`;
const SIGNAL = /* GraphQL */ `mutation Signal($input: SignalContactInput!) { signalContact(input: $input) { handoff { id state } } }`;

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const log = (message: string): boolean => process.stderr.write(`bench: ${message}\n`);

async function createContacts(simulatorUrl: string, count: number): Promise<string[]> {
  const contacts: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const res = await request(`${simulatorUrl}/_sim/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pseudoNumber: DEMO.pseudoNumber }) });
    contacts.push(((await res.body.json()) as { contactId: string }).contactId);
  }
  return contacts;
}

async function signal(gateway: GatewayChild, key: string, contactId: string, context: unknown): Promise<number> {
  const started = performance.now();
  const res = await request(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: SIGNAL, variables: { input: { contactId, params: ['bench'], context } } }),
  });
  const body = await res.body.text();
  if (!body.includes('"state"')) throw new Error(`signalContact failed: ${body.slice(0, 200)}`);
  return performance.now() - started;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function metrics(gateway: GatewayChild): Promise<string> {
  const res = await request(`${gateway.url}/metrics`);
  return await res.body.text();
}

function metric(text: string, name: string): number {
  const match = new RegExp(`^${name.replace(/[{}"]/g, (c) => `\\${c}`)} (\\d+(?:\\.\\d+)?(?:e\\+\\d+)?)$`, 'm').exec(text);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

/** Opens a connection, sends its subscriptions, then stops reading. Resolves with how it ended later (`close()`). */
async function hostileConnection(wsUrl: string, key: string): Promise<{ closeCode(): number | null; stop(): void }> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  let code: number | null = null;
  socket.on('close', (c) => {
    code = c;
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${key}` } }));
  await new Promise<void>((resolve) => {
    socket.once('message', () => resolve());
    socket.once('close', () => resolve());
  });
  for (let id = 0; id < SUBSCRIPTIONS_PER_CONNECTION; id += 1) {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ id: String(id), type: 'subscribe', payload: { query: HEAVY } }));
  }
  // Give the server the subscribe messages, then stop reading.
  await new Promise((resolve) => setTimeout(resolve, 50));
  (socket as unknown as { _socket: { pause(): void } })._socket.pause();
  return {
    closeCode: () => code,
    stop: () => socket.terminate(),
  };
}

interface Phase {
  readonly name: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly rssMb: number;
  readonly note: string;
}

async function victimLoad(gateway: GatewayChild, key: string, contacts: readonly string[]): Promise<{ p50: number; p99: number }> {
  const latencies: number[] = [];
  for (let i = 0; i < VICTIM_SIGNALS; i += 1) latencies.push(await signal(gateway, key, contacts[i % contacts.length] ?? '', { intent: 'billing' }));
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cxgw-bench-subs-'));
  const simulator = await forkServer('simulator-server.js');
  const victimKey = 'victim-signal-key';
  const attackerSignalKey = 'attacker-signal-key';
  const attackerKeys = Array.from({ length: ATTACK_KEYS }, (_, i) => `attacker-read-key-${i}`);
  const cxone = {
    issuer: simulator.url,
    apiVersion: 'v30.0',
    clientId: DEMO.clientId,
    clientSecret: 'env:BENCH_CLIENT_SECRET',
    accessKeyId: DEMO.accessKeyId,
    accessKeySecret: 'env:BENCH_ACCESS_KEY_SECRET',
  };
  const tenants = {
    tenants: [
      { id: 'victim', cxone, pseudoNumbers: [DEMO.pseudoNumber], keys: [{ name: 'victim-signal', sha256: sha256(victimKey), scope: 'signal' }] },
      {
        id: 'attacker',
        cxone,
        pseudoNumbers: ['+15550999999'],
        keys: [
          { name: 'attacker-signal', sha256: sha256(attackerSignalKey), scope: 'signal' },
          ...attackerKeys.map((k, i) => ({ name: `attacker-read-${i}`, sha256: sha256(k), scope: 'read' })),
        ],
      },
    ],
  };
  const tenantsFile = join(dir, 'tenants.json');
  await writeFile(tenantsFile, JSON.stringify(tenants));
  const contacts = await createContacts(simulator.url, 40);
  const profileDir = process.env.BENCH_PROFILE_DIR;
  const gateway = await spawnGateway(
    {
      TENANTS_FILE: tenantsFile,
      BENCH_CLIENT_SECRET: DEMO.clientSecret,
      BENCH_ACCESS_KEY_SECRET: DEMO.accessKeySecret,
      NODE_ENV: 'production',
      DATA_DIR: join(dir, 'data'),
    },
    profileDir ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {},
  );
  const pid = gateway.child.pid ?? 0;
  const phases: Phase[] = [];
  const victimContacts = contacts.slice(0, 20);
  const attackerContacts = contacts.slice(20);
  try {
    // Warm-up (token, JIT), then the quiet baseline.
    await victimLoad(gateway, victimKey, victimContacts);
    let rss = sampleRss(pid, 100);
    const quiet = await victimLoad(gateway, victimKey, victimContacts);
    phases.push({ name: 'no subscriber', p50Ms: quiet.p50, p99Ms: quiet.p99, rssMb: rss.stop() / MB, note: '' });

    log(`opening ${ATTACK_KEYS * CONNECTIONS_PER_KEY} connections with ${ATTACK_KEYS * CONNECTIONS_PER_KEY * SUBSCRIPTIONS_PER_CONNECTION} subscription attempts`);
    rss = sampleRss(pid, 100);
    const wsUrl = `${gateway.url.replace(/^http/, 'ws')}/graphql`;
    const hostile = [];
    for (const key of attackerKeys) {
      hostile.push(...(await Promise.all(Array.from({ length: CONNECTIONS_PER_KEY }, async () => await hostileConnection(wsUrl, key)))));
    }
    const opened = await metrics(gateway);
    const admitted = metric(opened, 'cxgw_subscriptions_active');
    const refusedBy = ['subscriptions_per_tenant', 'subscriptions', 'subscriptions_per_key', 'connections_per_tenant']
      .map((reason) => [reason, metric(opened, `cxgw_websocket_refusals_total{reason="${reason}"}`)] as const)
      .filter(([, count]) => count > 0);
    const refused = refusedBy.map(([reason, count]) => `${count} ${reason}`).join(', ');
    log(`admitted ${admitted}; refused: ${refused}`);
    // The victim tenant can still subscribe (its signal key; it keeps reading).
    const victimSocket = new WebSocket(wsUrl, 'graphql-transport-ws');
    await new Promise((resolve) => victimSocket.once('open', resolve));
    victimSocket.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${victimKey}` } }));
    await new Promise((resolve) => victimSocket.once('message', resolve));
    victimSocket.send(JSON.stringify({ id: 'v', type: 'subscribe', payload: { query: 'subscription { handoffChanged { id state } }' } }));
    let victimAdmitted = false;
    for (let i = 0; i < 100 && !victimAdmitted; i += 1) {
      victimAdmitted = metric(await metrics(gateway), 'cxgw_subscriptions_active') === admitted + 1;
      if (!victimAdmitted) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    log(`the victim tenant could subscribe: ${victimAdmitted}`);

    // The attacker's own tenant changes while the victim signals: each change fans out to its subscribers.
    const attacker = (async () => {
      for (let i = 0; i < ATTACKER_SIGNALS; i += 1) {
        await signal(gateway, attackerSignalKey, attackerContacts[i % attackerContacts.length] ?? '', CONTEXT);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const underAttack = await victimLoad(gateway, victimKey, victimContacts);
    await attacker;
    // Let the fan-out finish (every paused subscriber connection closed 4008), at most 30 s.
    const subscriberConnections = Math.ceil(admitted / SUBSCRIPTIONS_PER_CONNECTION);
    for (let i = 0; i < 300; i += 1) {
      if (metric(await metrics(gateway), 'cxgw_websocket_refusals_total{reason="slow_consumer"}') >= subscriberConnections) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const after = await metrics(gateway);
    const slowClosed = metric(after, 'cxgw_websocket_refusals_total{reason="slow_consumer"}');
    const peakBuffered = metric(after, 'cxgw_websocket_buffered_bytes');
    // Closed connections keep their queued bytes until their client reads or the 5 s grace cuts them.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const laterBuffered = metric(await metrics(gateway), 'cxgw_websocket_buffered_bytes');
    const rssPeak = rss.stop() / MB;
    phases.push({
      name: `${hostile.length} paused connections, ${hostile.length * SUBSCRIPTIONS_PER_CONNECTION} subscription attempts`,
      p50Ms: underAttack.p50,
      p99Ms: underAttack.p99,
      rssMb: rssPeak,
      note: `${admitted} admitted; the other tenant's own subscription ${victimAdmitted ? 'admitted' : 'REFUSED'}; refused (TOO_MANY_SUBSCRIPTIONS / 1013 by reason): ${refused}; ${ATTACKER_SIGNALS} attacker signals with a 16 KB context; ${slowClosed} connections closed 4008 (slow consumer); ${Math.round(peakBuffered / MB)} MB queued once all were closed (≤ connections × MAX_SUBSCRIBER_BUFFER_BYTES), ${Math.round(laterBuffered / MB)} MB after the 5 s grace`,
    });
    for (const h of hostile) h.stop();
    victimSocket.terminate();
  } finally {
    await gateway.stop();
    await simulator.stop();
    await rm(dir, { recursive: true, force: true });
  }
  process.stdout.write('| phase | victim signalContact p50 ms | p99 ms | gateway peak RSS MB | notes |\n|---|---:|---:|---:|---|\n');
  for (const p of phases) process.stdout.write(`| ${p.name} | ${p.p50Ms.toFixed(1)} | ${p.p99Ms.toFixed(1)} | ${p.rssMb.toFixed(0)} | ${p.note} |\n`);
}

await main();
