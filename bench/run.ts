/**
 * `npm run bench`: the gateway measured side by side with its baselines in one run (docs/architecture.md, "Known-good choices on this machine").
 * Every server runs in a child process; this process only generates load (autocannon) and reads
 * the answers. Machines are noisy, so every figure that is compared is a ratio or a count measured
 * in this same run. Prints one table and writes it to `bench/results/latest.json`.
 *
 *   npm run bench                      the whole table (about two minutes)
 *   npm run bench -- --profile         only the signalContact load, with the gateway under
 *                                      `node --cpu-prof`; prints the top self-time functions
 *   npm run bench -- --profile=status  the same for the handoffStatus load (row 2)
 *   npm run bench -- --profile=postgres  the signalContact load in PostgreSQL mode (row 7)
 *   npm run bench -- --profile=cold    one start per store mode under `node --cpu-prof`, stopped
 *                                      once /readyz answers: where a cold start's CPU goes
 *   npm run bench -- --latency         signalContact @ 200/s at LOG_LEVEL=debug, split into stages
 *                                      from the log lines' times (ms): before the PENDING commit,
 *                                      CXone call and outcome commit, answer
 *   npm run bench -- --quick           rows 1–4 and the hand-written peer (no express, cold start or PostgreSQL rows)
 *   npm run bench -- --rows=peer,pglite  only the named groups: baseline (1, 1x), pglite (2–4),
 *                                      peer (H2, H3), cold (5, 6a–6c), postgres (7, 7b, 7c, 7s); the
 *                                      issue-14 target rows (T…) print for whatever they can divide
 *   npm run bench -- --cold-starts[=N] N starts (default 7) on an existing PGlite data dir, and on
 *                                      PostgreSQL when installed: wall and CPU time to /readyz and
 *                                      RSS 2 s later, median and range (CPU moves less than wall time on a busy machine)
 *   npm run bench -- --tracing         row 2 (handoffStatus) with tracing off and on (OTLP to a
 *                                      local sink), alternated; BENCH_BEFORE_DIST=<other dist/> adds
 *                                      the same row on another build (the commit before tracing)
 *
 * Rows run at the priority this process has: on a shared machine, `nice -n 5 npm run bench`.
 *
 * BENCH_SECONDS (default 6) and BENCH_CONNECTIONS (default 10) tune the throughput rows.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { DEMO } from '../simulator/index.js';
import { isGraphqlData, type LoadResult, runLoad } from './load.js';
import { findPostgresBin, startTempPostgres } from '../scripts/temp-postgres.js';
import { cpuMs, forkServer, rssBytes, sampleRss, type ServerChild, spawnGateway } from './processes.js';
import { formatSummary } from './profile-top.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'results');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const WARMUP_SECONDS = 1.5;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const FIXED_RATE = 200;
const BURST = 1000;
/** Length of the signalContact load row 6c samples RSS over. */
const LOAD_RSS_SECONDS = 5;
/** Active contacts the signal rows rotate through (CXone accepts several signals per contact). */
const CONTACTS = 200;
const KEYS = { signal: 'bench-signal-key', read: 'bench-read-key' } as const;
const MB = 1024 * 1024;
/** V8's young generation capped at 2 MB per semi-space (README, "Running in production"). */
const SMALL_YOUNG_GENERATION = '--max-semi-space-size=2';

/** Row groups `--rows=` selects. */
const GROUPS = ['baseline', 'express', 'pglite', 'peer', 'cold', 'postgres'] as const;
type Group = (typeof GROUPS)[number];

function selectedGroups(argv: readonly string[]): ReadonlySet<Group> {
  const rowsArg = argv.find((a) => a.startsWith('--rows='));
  if (rowsArg !== undefined) {
    const names = rowsArg.slice('--rows='.length).split(',').filter((n) => n !== '');
    const unknown = names.filter((n) => !(GROUPS as readonly string[]).includes(n));
    if (unknown.length > 0) throw new Error(`--rows: unknown group(s) ${unknown.join(', ')} (known: ${GROUPS.join(', ')})`);
    return new Set(names as Group[]);
  }
  if (argv.includes('--quick')) return new Set<Group>(['baseline', 'pglite', 'peer']);
  return new Set(GROUPS);
}

const TYPENAME = JSON.stringify({ query: '{ __typename }' });
const HANDOFF_STATUS = /* GraphQL */ `query Status($contactId: String!) {
  handoffStatus(contactId: $contactId) { id state params attempts createdAt }
}`;
const SIGNAL = /* GraphQL */ `mutation Signal($input: SignalContactInput!) {
  signalContact(input: $input) { handoff { id state attempts } }
}`;

/** One line of the table. Figures absent from a row are left empty. */
interface Row {
  readonly id: string;
  readonly name: string;
  readonly rps?: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  /** CPU time of the server under test per request (user + system), µs. */
  readonly cpuUs?: number;
  /** What `ratio` divides by (a row id). */
  readonly vs?: string;
  readonly ratio?: number;
  /** A count, duration or size, with its unit in `unit`. */
  readonly value?: number;
  readonly unit?: string;
  readonly target?: string;
  readonly met?: boolean;
  readonly note?: string;
}

const rows: Row[] = [];
const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

function loadRow(id: string, name: string, result: LoadResult, extra: Partial<Row> = {}): Row {
  const row: Row = {
    id,
    name,
    rps: result.requestsPerSecond,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    ...(result.cpuMsPerRequest === undefined ? {} : { cpuUs: result.cpuMsPerRequest * 1000 }),
    ...extra,
    ...(result.bad > 0 ? { met: false, note: `${result.bad} of ${result.requests} answers were wrong or missing${extra.note ? `; ${extra.note}` : ''}` } : {}),
  };
  rows.push(row);
  return row;
}

/** `rps` as a ratio of a row measured earlier in this run. */
function ratio(rps: number, base: Row, target?: number): Partial<Row> {
  const r = rps / (base.rps ?? Number.NaN);
  return { vs: base.id, ratio: r, ...(target === undefined ? {} : { target: `≥ ${target}×`, met: r >= target }) };
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

// ---- the stack under test ------------------------------------------------------------------

interface Bench {
  readonly dir: string;
  readonly simulator: ServerChild;
  readonly contacts: readonly string[];
  /** Environment of a gateway child; `store` picks the data dir or a PostgreSQL URL. */
  gatewayEnv(store: { readonly dataDir: string } | { readonly databaseUrl: string }): Record<string, string>;
  close(): Promise<void>;
}

async function startBench(): Promise<Bench> {
  const dir = await mkdtemp(join(tmpdir(), 'cxgw-bench-'));
  const simulator = await forkServer('simulator-server.js');
  const tenants = {
    tenants: [
      {
        id: 'demo',
        cxone: {
          issuer: simulator.url,
          apiVersion: 'v30.0',
          clientId: DEMO.clientId,
          clientSecret: 'env:BENCH_CLIENT_SECRET',
          accessKeyId: DEMO.accessKeyId,
          accessKeySecret: 'env:BENCH_ACCESS_KEY_SECRET',
        },
        pseudoNumbers: [DEMO.pseudoNumber],
        keys: [
          { name: 'bench-signal', sha256: sha256(KEYS.signal), scope: 'signal' },
          { name: 'bench-read', sha256: sha256(KEYS.read), scope: 'read' },
        ],
      },
    ],
  };
  const tenantsFile = join(dir, 'tenants.json');
  await writeFile(tenantsFile, JSON.stringify(tenants));

  const contacts: string[] = [];
  for (let i = 0; i < CONTACTS; i += 1) {
    const res = await request(`${simulator.url}/_sim/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pseudoNumber: DEMO.pseudoNumber }),
    });
    contacts.push(((await res.body.json()) as { contactId: string }).contactId);
  }
  return {
    dir,
    simulator,
    contacts,
    gatewayEnv: (store) => ({
      TENANTS_FILE: tenantsFile,
      BENCH_CLIENT_SECRET: DEMO.clientSecret,
      BENCH_ACCESS_KEY_SECRET: DEMO.accessKeySecret,
      // As an operator deploys it: production defaults, default log level (info).
      NODE_ENV: 'production',
      ...('dataDir' in store ? { DATA_DIR: store.dataDir } : { DATABASE_URL: store.databaseUrl }),
    }),
    async close() {
      await simulator.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The gateway's `/metrics` (prom-client's text format), as a lookup of unlabelled samples (NaN when absent). */
async function gatewayGauges(gateway: ServerChild): Promise<(name: string) => number> {
  const text = await (await request(`${gateway.url}/metrics`)).body.text();
  return (name) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN);
}

/** A body per request, cycling through the active contacts. */
function signalBodies(contacts: readonly string[]): () => string {
  let next = 0;
  return () => {
    const contactId = contacts[next++ % contacts.length] ?? '';
    return JSON.stringify({ query: SIGNAL, variables: { input: { contactId, params: ['bench', 'gold'], context: { intent: 'billing' } } } });
  };
}

const signaled = (status: number, body: string) => isGraphqlData(status, body) && body.includes('"state":"SIGNALED"');

function signalLoad(gateway: ServerChild, contacts: readonly string[], overallRate?: number) {
  return runLoad({
    url: `${gateway.url}/graphql`,
    pid: gateway.child.pid,
    headers: { authorization: `Bearer ${KEYS.signal}` },
    body: signalBodies(contacts),
    connections: CONNECTIONS,
    seconds: SECONDS,
    warmupSeconds: WARMUP_SECONDS,
    ...(overallRate === undefined ? {} : { overallRate }),
    accept: signaled,
  });
}

async function gql(gateway: ServerChild, key: string, query: string, variables: Record<string, unknown>): Promise<string> {
  const res = await request(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return await res.body.text();
}

async function simTokenCount(simulatorUrl: string): Promise<number> {
  const res = await request(`${simulatorUrl}/_sim/tokens`);
  return ((await res.body.json()) as unknown[]).length;
}

/** A bearer token straight from the simulator, as the gateway gets one (password grant). */
async function simToken(simulatorUrl: string): Promise<string> {
  const discovery = await request(`${simulatorUrl}/.well-known/openid-configuration`);
  const { token_endpoint: tokenEndpoint } = (await discovery.body.json()) as { token_endpoint: string };
  const res = await request(tokenEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${DEMO.clientId}:${DEMO.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'password', username: DEMO.accessKeyId, password: DEMO.accessKeySecret }).toString(),
  });
  return ((await res.body.json()) as { access_token: string }).access_token;
}

// ---- rows ------------------------------------------------------------------------------------

async function baselineRow(id: string, integration: 'fastify' | 'express5', name: string): Promise<Row> {
  const server = await forkServer('baseline-server.js', [integration]);
  try {
    const result = await runLoad({
      url: `${server.url}/graphql`,
      pid: server.child.pid,
      body: TYPENAME,
      connections: CONNECTIONS,
      seconds: SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      accept: isGraphqlData,
    });
    return loadRow(id, name, result);
  } finally {
    await server.stop();
  }
}

async function pgliteRows(bench: Bench, baseline: Row | undefined): Promise<{ signal: Row; status: Row; dataDir: string }> {
  const dataDir = join(bench.dir, 'pglite');
  log('starting the gateway (PGlite, new data directory)');
  const gateway = await spawnGateway(bench.gatewayEnv({ dataDir }));
  try {
    // handoffStatus reads a contact that has a handoff.
    const contactId = bench.contacts[0] ?? '';
    const first = await gql(gateway, KEYS.signal, SIGNAL, { input: { contactId, params: ['bench'] } });
    if (!signaled(200, first)) throw new Error(`the first signalContact did not succeed: ${first}`);

    log('row 2: handoffStatus');
    const statusRss = sampleRss(gateway.child.pid ?? 0);
    const status = await statusLoad(gateway, contactId);
    const statusRow = loadRow('2', 'handoffStatus (PGlite)', status, baseline === undefined ? {} : ratio(status.requestsPerSecond, baseline));

    log('row 3: signalContact');
    const signal = await signalLoad(gateway, bench.contacts);
    const loadRss = statusRss.stop();
    const signalRow = loadRow('3', 'signalContact, full path (PGlite)', signal, baseline === undefined ? {} : ratio(signal.requestsPerSecond, baseline));

    log('row 4: added latency at a fixed rate');
    const token = await simToken(bench.simulator.url);
    let next = 0;
    const direct = await runLoad({
      url: `${bench.simulator.url}/incontactapi/services/v30.0/interactions/0/signal`,
      pid: bench.simulator.child.pid,
      headers: { authorization: `Bearer ${token}` },
      // The request the gateway's CXone client sends: POST, p1..p9 as a JSON body (src/nice/nice.client.ts).
      path: () => `/incontactapi/services/v30.0/interactions/${bench.contacts[next++ % bench.contacts.length] ?? ''}/signal`,
      body: JSON.stringify({ p1: 'bench', p2: 'gold' }),
      connections: CONNECTIONS,
      seconds: SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      overallRate: FIXED_RATE,
      accept: (s) => s === 202,
    });
    const direct4 = loadRow('4a', `direct POST to the simulator's Signal API @ ${FIXED_RATE}/s`, direct);
    // A scrape resets prom-client's event-loop delay histogram, so the next one covers row 4b only.
    await gatewayGauges(gateway);
    const via = await signalLoad(gateway, bench.contacts, FIXED_RATE);
    const lag = await gatewayGauges(gateway);
    const lagMs = (q: string) => (lag(`nodejs_eventloop_lag_${q}_seconds`) * 1000).toFixed(1);
    const via4 = loadRow('4b', `signalContact @ ${FIXED_RATE}/s (the gateway's event-loop delay meanwhile: p50 ${lagMs('p50')} ms, p99 ${lagMs('p99')} ms, max ${lagMs('max')} ms)`, via);
    const addedP50 = (via4.p50Ms ?? 0) - (direct4.p50Ms ?? 0);
    const addedP99 = (via4.p99Ms ?? 0) - (direct4.p99Ms ?? 0);
    rows.push({
      id: '4',
      name: 'latency the gateway adds (4b − 4a)',
      p50Ms: addedP50,
      p99Ms: addedP99,
      target: 'p50 ≤ 2 ms, p99 ≤ 8 ms',
      met: addedP50 <= 2 && addedP99 <= 8,
    });
    const underLoad = Math.max(loadRss, rssBytes(gateway.child.pid ?? 0)) / MB;
    rows.push({
      id: '6d',
      name: 'RSS under load, first start on a new data dir (creates it: initdb in a worker thread; peak over rows 2–3)',
      value: underLoad,
      unit: 'MB',
      note: 'a first start only; 6c is the figure the target applies to',
    });
    return { signal: signalRow, status: statusRow, dataDir };
  } finally {
    await gateway.stop();
  }
}

async function coldStartRows(bench: Bench, dataDir: string): Promise<void> {
  log('rows 5, 6: cold start on the existing data directory, a burst on a cold token cache, then RSS under load');
  const gateway = await spawnGateway(bench.gatewayEnv({ dataDir }));
  try {
    rows.push({ id: '6a', name: 'cold start to /readyz (existing data dir)', value: gateway.readyMs, unit: 'ms', target: '≤ 1000 ms', met: gateway.readyMs <= 1000 });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idle = rssBytes(gateway.child.pid ?? 0) / MB;
    rows.push({ id: '6b', name: 'RSS idle', value: idle, unit: 'MB', target: '≤ 150 MB', met: idle <= 150 });

    const before = await simTokenCount(bench.simulator.url);
    const agent = new Agent({ connections: BURST });
    const bodies = signalBodies(bench.contacts);
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: BURST }, async () => {
        const res = await request(`${gateway.url}/graphql`, {
          dispatcher: agent,
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.signal}` },
          body: bodies(),
        });
        const body = await res.body.text();
        // What the answer said: a state, or the first error code (or the HTTP status).
        if (isGraphqlData(res.statusCode, body)) return /"state":"([A-Z]+)"/.exec(body)?.[1] ?? 'no state';
        return /"code":"([A-Z_]+)"/.exec(body)?.[1] ?? `HTTP ${res.statusCode}`;
      }),
    );
    const ms = performance.now() - started;
    await agent.close();
    const tokens = (await simTokenCount(bench.simulator.url)) - before;
    const misses = new Map<string, number>();
    for (const state of answers) if (state !== 'SIGNALED') misses.set(state, (misses.get(state) ?? 0) + 1);
    const failed = [...misses.values()].reduce((n, c) => n + c, 0);
    rows.push({
      id: '5',
      name: `${BURST} concurrent signalContact, cold token cache: token requests`,
      value: tokens,
      unit: 'requests',
      target: '1',
      met: tokens === 1 && failed === 0,
      note: `all ${BURST} answered in ${ms.toFixed(0)} ms${failed > 0 ? `; ${failed} not SIGNALED (${[...misses].map(([state, n]) => `${n} ${state}`).join(', ')})` : ', all SIGNALED'}`,
    });

    // Row 6c: RSS under load as production runs most of the time, on a process that opened an
    // existing data dir (no initdb in its life). Sampled from the end of the burst, so what the
    // burst left resident counts too.
    log(`row 6c: ${LOAD_RSS_SECONDS} s of signalContact on the gateway started on the existing data dir`);
    const loadRss = sampleRss(gateway.child.pid ?? 0);
    const load = await runLoad({
      url: `${gateway.url}/graphql`,
      headers: { authorization: `Bearer ${KEYS.signal}` },
      body: signalBodies(bench.contacts),
      connections: CONNECTIONS,
      seconds: LOAD_RSS_SECONDS,
      warmupSeconds: 0,
      accept: signaled,
    });
    const underLoad = Math.max(loadRss.stop(), rssBytes(gateway.child.pid ?? 0)) / MB;
    rows.push({
      id: '6c',
      name: `RSS under load (existing data dir, peak over ${LOAD_RSS_SECONDS} s of signalContact after row 5)`,
      value: underLoad,
      unit: 'MB',
      target: '≤ 200 MB',
      met: underLoad <= 200 && load.bad === 0,
      ...(load.bad > 0 ? { note: `${load.bad} of ${load.requests} answers were wrong or missing` } : {}),
    });
  } finally {
    await gateway.stop();
  }
}

async function postgresRow(bench: Bench, pglite: Row | undefined): Promise<Row | undefined> {
  const bin = findPostgresBin();
  if (bin === null) {
    log('row 7 skipped: PostgreSQL is not installed (Debian: apt-get install -y postgresql)');
    rows.push({ id: '7', name: 'signalContact, full path (PostgreSQL)', note: 'SKIPPED: PostgreSQL is not installed (apt-get install -y postgresql)' });
    return undefined;
  }
  log('row 7: signalContact on PostgreSQL (throw-away cluster)');
  const postgres = await startTempPostgres();
  try {
    let plain: Row | undefined;
    // The default, then the setting README "Running in production" suggests for PostgreSQL-mode
    // replicas: a 2 MB young generation, which V8 only takes from the command line.
    for (const variant of [
      { rss: '7b', load: '7', execArgv: [], label: '' },
      { rss: '7c', load: '7s', execArgv: [SMALL_YOUNG_GENERATION], label: `, NODE_OPTIONS=${SMALL_YOUNG_GENERATION}` },
    ]) {
      const gateway = await spawnGateway(bench.gatewayEnv({ databaseUrl: postgres.url }), { execArgv: variant.execArgv });
      try {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        const idle = rssBytes(gateway.child.pid ?? 0) / MB;
        rows.push({ id: variant.rss, name: `RSS idle (PostgreSQL mode${variant.label}; the gateway process, not the cluster)`, value: idle, unit: 'MB', target: '≤ 100 MB', met: idle <= 100 });
        const result = await signalLoad(gateway, bench.contacts);
        if (plain === undefined) {
          plain = loadRow('7', 'signalContact, full path (PostgreSQL; gateway CPU only, the cluster runs apart)', result, pglite === undefined ? {} : ratio(result.requestsPerSecond, pglite));
        } else {
          const cpuRatio = ((result.cpuMsPerRequest ?? Number.NaN) * 1000) / (plain.cpuUs ?? Number.NaN);
          loadRow(variant.load, `signalContact, full path (PostgreSQL${variant.label})`, result, { vs: '7', ratio: cpuRatio, note: 'ratio: server CPU µs/req' });
        }
      } finally {
        await gateway.stop();
      }
    }
    return plain;
  } finally {
    await postgres.destroy();
  }
}

/** Rows H2, H3: the hand-written peer (bench/handwritten-server.ts) under the same loads as rows 2 and 3. */
async function peerRows(bench: Bench): Promise<{ signal: Row; status: Row }> {
  log('rows H2, H3: the hand-written peer (Apollo Server + PGlite, INSERT, Signal, UPDATE)');
  const peer = await forkServer('handwritten-server.js', [
    bench.simulator.url,
    join(bench.dir, 'peer'),
    DEMO.clientId,
    DEMO.clientSecret,
    DEMO.accessKeyId,
    DEMO.accessKeySecret,
    KEYS.signal,
  ]);
  try {
    const contactId = bench.contacts[0] ?? '';
    const first = await gql(peer, KEYS.signal, SIGNAL, { input: { contactId, params: ['bench'] } });
    if (!signaled(200, first)) throw new Error(`the peer's first signalContact did not succeed: ${first}`);
    const status = loadRow('H2', 'hand-written peer: handoffStatus', await statusLoad(peer, contactId, KEYS.signal));
    const signal = loadRow('H3', 'hand-written peer: signalContact', await signalLoad(peer, bench.contacts));
    return { signal, status };
  } finally {
    await peer.stop();
  }
}

/** A target row of issue 14: CPU per request of `row` divided by that of `base`, both from this run. */
function cpuRatioRow(id: string, name: string, row: Row | undefined, base: Row | undefined, limit: number): void {
  if (row?.cpuUs === undefined || base?.cpuUs === undefined) return;
  const r = row.cpuUs / base.cpuUs;
  rows.push({ id, name: `${name} (${row.id} ÷ ${base.id}, server CPU µs/req)`, vs: base.id, ratio: r, target: `≤ ${limit}×`, met: r <= limit });
}

// ---- output ----------------------------------------------------------------------------------

function machine(): Record<string, string | number> {
  return {
    nproc: cpus().length,
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    seconds: SECONDS,
    connections: CONNECTIONS,
    'load average (1 min, at the end)': loadavg()[0]?.toFixed(2) ?? '',
  };
}

/** The machine facts as one line, above every table. */
const machineLine = (info: Record<string, string | number>): string => Object.entries(info).map(([k, v]) => `${k}: ${v}`).join('   ');

const fmt = (value: number | undefined, digits: number) => (value === undefined || Number.isNaN(value) ? '' : value.toFixed(digits));

/** The table as GitHub markdown (also what the terminal shows). */
export function renderTable(table: readonly Row[]): string {
  const header =
    '| # | measurement | req/s | p50 ms | p99 ms | server CPU µs/req | ratio | value | target | met |\n|---|---|---:|---:|---:|---:|---:|---:|---|---|';
  const lines = table.map((r) => {
    const ratioText = r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}× of ${r.vs ?? ''}`;
    const value = r.value === undefined ? '' : `${fmt(r.value, r.unit === 'requests' ? 0 : r.unit === 'ms' ? 0 : 1)} ${r.unit ?? ''}`;
    const met = r.met === undefined ? '' : r.met ? 'yes' : '**no**';
    const name = r.note ? `${r.name} (${r.note})` : r.name;
    return `| ${r.id} | ${name} | ${fmt(r.rps, 0)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${fmt(r.cpuUs, 0)} | ${ratioText} | ${value} | ${r.target ?? ''} | ${met} |`;
  });
  return [header, ...lines].join('\n');
}

async function writeResults(): Promise<void> {
  const order = ['1', '1x', '2', '3', 'H2', 'H3', '4a', '4b', '4', '5', '6a', '6b', '6c', '6d', '7b', '7c', '7', '7s', 'T1', 'T2', 'T3', 'T4'];
  rows.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const info = machine();
  const table = renderTable(rows);
  process.stdout.write(`\n${machineLine(info)}\n\n${table}\n`);
  await mkdir(RESULTS, { recursive: true });
  await writeFile(join(RESULTS, 'latest.json'), `${JSON.stringify({ at: new Date().toISOString(), machine: info, rows, table }, null, 2)}\n`);
}

function statusLoad(gateway: ServerChild, contactId: string, key: string = KEYS.read) {
  return runLoad({
    url: `${gateway.url}/graphql`,
    pid: gateway.child.pid,
    headers: { authorization: `Bearer ${key}` },
    body: JSON.stringify({ query: HANDOFF_STATUS, variables: { contactId } }),
    connections: CONNECTIONS,
    seconds: SECONDS,
    warmupSeconds: WARMUP_SECONDS,
    accept: (s, body) => isGraphqlData(s, body) && body.includes('"state":"SIGNALED"'),
  });
}

async function profile(target: 'signal' | 'status' | 'postgres'): Promise<void> {
  const dir = join(RESULTS, 'profile');
  await rm(dir, { recursive: true, force: true });
  const bench = await startBench();
  const postgres = target === 'postgres' ? await startTempPostgres() : undefined;
  try {
    const env = bench.gatewayEnv(postgres === undefined ? { dataDir: join(bench.dir, 'pglite') } : { databaseUrl: postgres.url });
    // The data directory is created (initdb, seconds of WASM) before the profiled run, and holds
    // the handoff the status load reads.
    const setup = await spawnGateway(env);
    const contactId = bench.contacts[0] ?? '';
    try {
      const first = await gql(setup, KEYS.signal, SIGNAL, { input: { contactId, params: ['bench'] } });
      if (!signaled(200, first)) throw new Error(`the first signalContact did not succeed: ${first}`);
    } finally {
      await setup.stop();
    }
    const gateway = await spawnGateway(env, { execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
    try {
      if (target === 'status') {
        loadRow('2', 'handoffStatus (PGlite), under --cpu-prof', await statusLoad(gateway, contactId));
      } else if (target === 'postgres') {
        loadRow('7', 'signalContact, full path (PostgreSQL), under --cpu-prof', await signalLoad(gateway, bench.contacts));
      } else {
        loadRow('3', 'signalContact, full path (PGlite), under --cpu-prof', await signalLoad(gateway, bench.contacts));
      }
    } finally {
      await gateway.stop();
    }
  } finally {
    await postgres?.destroy();
    await bench.close();
  }
  process.stdout.write(`${renderTable(rows)}\n\n`);
  for (const file of readdirSync(dir)) process.stdout.write(formatSummary(join(dir, file), 30));
}

/** Median and p99 of a list of ms figures. */
function spread(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
  return `p50 ${at(50).toFixed(0)} ms, p99 ${at(99).toFixed(0)} ms`;
}

/**
 * `--latency`: row 4b on a gateway logging at debug, then each signal's stages from its log lines
 * (pino's `time`, whole ms): the completion line's `responseTime` gives the start; `handoff accepted`
 * follows the PENDING commit; `handoff signaled` follows the outcome commit. Debug lines cost CPU
 * themselves, so the total is a little above row 4b's.
 */
async function latency(): Promise<void> {
  const bench = await startBench();
  try {
    const logFile = join(bench.dir, 'gateway.log');
    const gateway = await spawnGateway({ ...bench.gatewayEnv({ dataDir: join(bench.dir, 'pglite') }), LOG_LEVEL: 'debug' }, { logFile });
    try {
      loadRow('4b', `signalContact @ ${FIXED_RATE}/s, LOG_LEVEL=debug`, await signalLoad(gateway, bench.contacts, FIXED_RATE));
    } finally {
      await gateway.stop();
    }
    interface Line { time: number | string; msg: string; requestId?: string; handoffId?: string; responseTime?: number; path?: string; request?: { path?: string } }
    const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line)
      // The gateway writes ISO times in production (NODE_ENV=production), epoch ms otherwise.
      .map((l) => ({ ...l, time: typeof l.time === 'string' ? Date.parse(l.time) : l.time }));
    const handoffOf = new Map<string, string>();
    const accepted = new Map<string, number>();
    const signaledAt = new Map<string, number>();
    for (const l of lines) {
      if (l.msg === 'signalContact' && l.requestId && l.handoffId) handoffOf.set(l.requestId, l.handoffId);
      if (l.msg === 'handoff accepted' && l.handoffId) accepted.set(l.handoffId, l.time);
      if (l.msg === 'handoff signaled' && l.handoffId) signaledAt.set(l.handoffId, l.time);
    }
    const stages = { beforePending: [] as number[], cxoneAndOutcome: [] as number[], answer: [] as number[], total: [] as number[] };
    for (const l of lines) {
      if (l.msg !== 'request completed' || l.requestId === undefined || l.responseTime === undefined) continue;
      const id = handoffOf.get(l.requestId);
      const a = id === undefined ? undefined : accepted.get(id);
      const sg = id === undefined ? undefined : signaledAt.get(id);
      if (a === undefined || sg === undefined) continue;
      const start = l.time - l.responseTime;
      stages.beforePending.push(a - start);
      stages.cxoneAndOutcome.push(sg - a);
      stages.answer.push(l.time - sg);
      stages.total.push(l.responseTime);
    }
    process.stdout.write(`${renderTable(rows)}\n\n${stages.total.length} signals joined from the log:\n`);
    process.stdout.write(`  start → PENDING committed (parse, auth, validation, group-commit wait, commit): ${spread(stages.beforePending)}\n`);
    process.stdout.write(`  PENDING committed → SIGNALED committed (CXone call, outcome commit):         ${spread(stages.cxoneAndOutcome)}\n`);
    process.stdout.write(`  SIGNALED committed → answered (resolver, serialisation, write):               ${spread(stages.answer)}\n`);
    process.stdout.write(`  whole request (responseTime):                                                ${spread(stages.total)}\n`);
  } finally {
    await bench.close();
  }
}

/**
 * handoffStatus with tracing off and on, on one data dir, each gateway in turn for two rounds (the
 * machine drifts; alternating spreads it). "On" exports every operation (no traceparent: each is a
 * trace of its own, sampled) over OTLP/HTTP to a sink in this process, which answers 200 and
 * discards: the gateway pays for making, batching and sending spans, the sink's CPU is not counted.
 */
async function tracingRows(): Promise<void> {
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const bench = await startBench();
  try {
    const env = bench.gatewayEnv({ dataDir: join(bench.dir, 'pglite') });
    const contactId = bench.contacts[0] ?? '';
    const setup = await spawnGateway(env);
    try {
      const first = await gql(setup, KEYS.signal, SIGNAL, { input: { contactId, params: ['bench'] } });
      if (!signaled(200, first)) throw new Error(`the first signalContact did not succeed: ${first}`);
    } finally {
      await setup.stop();
    }
    const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
    const before = process.env.BENCH_BEFORE_DIST;
    const variants = [
      ...(before ? [{ id: '2b', name: 'handoffStatus, the build before tracing', env, dist: before }] : []),
      { id: '2t0', name: 'handoffStatus, tracing off (OTEL_* unset)', env, dist: undefined },
      { id: '2t1', name: 'handoffStatus, OTEL_TRACES_EXPORTER=otlp (to a local sink)', env: { ...env, OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl }, dist: undefined },
    ];
    for (let round = 1; round <= 2; round += 1) {
      for (const variant of variants) {
        log(`row ${variant.id}, round ${round}: ${variant.name}`);
        const gateway = await spawnGateway(variant.env, variant.dist === undefined ? {} : { dist: variant.dist });
        try {
          loadRow(`${variant.id}.${round}`, variant.name, await statusLoad(gateway, contactId));
        } finally {
          await gateway.stop();
        }
      }
    }
  } finally {
    await bench.close();
    sink.closeAllConnections();
    sink.close();
  }
  process.stdout.write(`\n${renderTable(rows)}\n`);
}

/**
 * `--cold-starts[=N]`: what a restart costs, measured N times per store mode. With `profile`, one
 * start per mode under `--cpu-prof` instead, and its summary.
 */
async function coldStarts(n: number, profile = false): Promise<void> {
  const profileDir = join(RESULTS, 'profile');
  if (profile) await rm(profileDir, { recursive: true, force: true });
  const bench = await startBench();
  const postgres = findPostgresBin() === null ? undefined : await startTempPostgres();
  try {
    const dataDir = join(bench.dir, 'pglite');
    log('creating the PGlite data directory (a first start)');
    await (await spawnGateway(bench.gatewayEnv({ dataDir }))).stop();
    const modes = [{ name: 'PGlite, existing data dir', env: bench.gatewayEnv({ dataDir }) }];
    if (postgres !== undefined) modes.push({ name: 'PostgreSQL', env: bench.gatewayEnv({ databaseUrl: postgres.url }) });
    else log('PostgreSQL is not installed: PGlite only');
    const lines = [
      '| store | starts | wall to /readyz ms | CPU to /readyz ms | RSS 2 s after ready MB | V8 heap used / total MB | external (PGlite WASM memory, buffers) MB |',
      '|---|---:|---:|---:|---:|---:|---:|',
    ];
    const cell = (values: number[]): string => {
      const sorted = [...values].sort((a, b) => a - b);
      return `${Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0)} (${Math.round(sorted[0] ?? 0)}–${Math.round(sorted.at(-1) ?? 0)})`;
    };
    for (const mode of modes) {
      if (profile) {
        await (await spawnGateway(mode.env, { execArgv: ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, mode.name.split(',')[0] ?? '')}`] })).stop();
        continue;
      }
      const ready: number[] = [];
      const cpu: number[] = [];
      const rss: number[] = [];
      const heapUsed: number[] = [];
      const heapTotal: number[] = [];
      const external: number[] = [];
      for (let i = 0; i < n; i += 1) {
        const gateway = await spawnGateway(mode.env);
        const pid = gateway.child.pid ?? 0;
        cpu.push(cpuMs(pid));
        ready.push(gateway.readyMs);
        await new Promise((resolve) => setTimeout(resolve, 2000));
        rss.push(rssBytes(pid) / MB);
        // prom-client's default metrics: what Node itself reports of its memory.
        const gauge = await gatewayGauges(gateway);
        heapUsed.push(gauge('nodejs_heap_size_used_bytes') / MB);
        heapTotal.push(gauge('nodejs_heap_size_total_bytes') / MB);
        external.push(gauge('nodejs_external_memory_bytes') / MB);
        await gateway.stop();
      }
      log(`${mode.name}: ${n} starts`);
      lines.push(`| ${mode.name} | ${n} | ${cell(ready)} | ${cell(cpu)} | ${cell(rss)} | ${cell(heapUsed)} / ${cell(heapTotal)} | ${cell(external)} |`);
    }
    if (profile) {
      for (const mode of readdirSync(profileDir)) for (const file of readdirSync(join(profileDir, mode))) process.stdout.write(formatSummary(join(profileDir, mode, file), 30));
    } else {
      process.stdout.write(`\n${machineLine(machine())}\n\n${lines.join('\n')}\n`);
    }
  } finally {
    await postgres?.destroy();
    await bench.close();
  }
}

async function main(): Promise<void> {
  const cold = process.argv.find((a) => a === '--cold-starts' || a.startsWith('--cold-starts='));
  if (cold !== undefined) {
    const starts = Number(cold.split('=')[1] ?? 7);
    if (!Number.isInteger(starts) || starts < 1) throw new Error(`--cold-starts=N needs a whole number of starts, 1 or more (got ${cold})`);
    return await coldStarts(starts);
  }
  if (process.argv.includes('--profile=cold')) return await coldStarts(1, true);
  if (process.argv.includes('--tracing')) return await tracingRows();
  if (process.argv.includes('--latency')) return await latency();
  if (process.argv.includes('--profile')) return await profile('signal');
  if (process.argv.includes('--profile=status')) return await profile('status');
  if (process.argv.includes('--profile=postgres')) return await profile('postgres');
  const started = performance.now();
  const groups = selectedGroups(process.argv);
  log(`row 1: Apollo Server baselines (fastify${groups.has('express') ? ', express 5' : ''})`);
  const baseline = groups.has('baseline') ? await baselineRow('1', 'fastify', 'baseline: Apollo Server + fastify, { __typename }') : undefined;
  if (groups.has('express')) {
    const express = await baselineRow('1x', 'express5', 'side row: Apollo Server + express 5, { __typename }');
    if (baseline !== undefined) Object.assign(express, { vs: '1', ratio: (express.rps ?? 0) / (baseline.rps ?? Number.NaN) });
  }

  const bench = await startBench();
  try {
    let pglite: { signal: Row; status: Row; dataDir: string } | undefined;
    if (groups.has('pglite') || groups.has('cold')) pglite = await pgliteRows(bench, baseline);
    const peer = groups.has('peer') ? await peerRows(bench) : undefined;
    if (groups.has('cold') && pglite !== undefined) await coldStartRows(bench, pglite.dataDir);
    const postgres = groups.has('postgres') ? await postgresRow(bench, pglite?.signal) : undefined;
    cpuRatioRow('T1', 'signalContact CPU per request vs the hand-written peer', pglite?.signal, peer?.signal, 0.4);
    cpuRatioRow('T2', 'handoffStatus CPU per request vs the hand-written peer', pglite?.status, peer?.status, 0.5);
    cpuRatioRow('T3', 'handoffStatus CPU per request vs stock Apollo { __typename }', pglite?.status, baseline, 3);
    cpuRatioRow('T4', 'signalContact CPU per request, PostgreSQL mode vs PGlite mode', postgres, pglite?.signal, 1);
  } finally {
    await bench.close();
  }
  await writeResults();
  log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s; table in bench/results/latest.json`);
}

main().catch((error: unknown) => {
  console.error('bench failed:', error);
  process.exit(1);
});
