/**
 * The one gateway-stack helper of the test suite: the real CXone simulator and the real gateway on
 * free loopback ports, with a fresh store (a copy of the PGlite template or a new PostgreSQL
 * database). Two shapes share the tenants file, the simulator control calls and the GraphQL POST:
 *
 * - `startStack`: the gateway in this process (`startGateway`), for most integration suites;
 * - `startHarness`: gateways as child processes (`startGatewayProcess`, logging at debug), so the
 *   reliability and hostile suites can SIGKILL them, run two replicas, and at the end scan every
 *   log line either side wrote for a secret or a token (the simulator logs into a capture buffer
 *   and records every token it issues).
 *
 * ```ts
 * const stack = await startStack({ store: 'pglite' });
 * afterAll(() => stack.close());
 * const { contactId } = await stack.sim.createCall();
 * const res = await stack.gql(SIGNAL, { input: { contactId, params: ['a'] } });
 * expect(await stack.sim.signals(contactId)).toHaveLength(1);
 * ```
 *
 * The gateway is configured through the same path production uses: a tenants file written to a temp
 * directory (secrets as `env:` references) and `loadConfig` over an env record.
 */
import { type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { vi } from 'vitest';
import { loadConfig, type GatewayConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/common/logger.js';
import { startGateway, type GatewayDeps, type RunningGateway } from '../../src/main.js';
import {
  createFaultStage,
  createSimulatorApp,
  createSimulatorState,
  DEMO,
  parseSeed,
  SipAgent,
  startSimulator,
  type Reply,
  type RunningSimulator,
  type Stage,
  type StartSimulatorOptions,
} from '../../simulator/index.js';
import { createTestDatabase } from './database.js';
import { copyPgliteTemplate } from './pglite.js';
import { exitOf, signalGroup, spawnChild } from './processes.js';

/** The API keys (plaintext) of the default tenant `demo`; the tenants file holds their SHA-256. */
export const STACK_KEYS = { signal: 'stack-signal-key', read: 'stack-read-key' } as const;

/** A tenant of the stack, with plaintext keys (hashed into the tenants file) and CXone credentials. */
export interface StackTenant {
  readonly id: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly pseudoNumbers: readonly string[];
  readonly contactIdHeader?: string;
  readonly apiVersion?: string;
  /** Plaintext keys by scope. */
  readonly keys: { readonly signal?: string; readonly read?: string };
  /** The tenant's Handoff API path (`polyai` in the tenants file), if any. */
  readonly polyai?: { readonly accountId: string; readonly projectId: string };
}

/** The default tenant: the simulator's built-in demo business unit. */
export const DEMO_TENANT: StackTenant = {
  id: 'demo',
  clientId: DEMO.clientId,
  clientSecret: DEMO.clientSecret,
  accessKeyId: DEMO.accessKeyId,
  accessKeySecret: DEMO.accessKeySecret,
  pseudoNumbers: [DEMO.pseudoNumber],
  keys: STACK_KEYS,
};

export interface StackOptions {
  /** `postgres` needs `postgresUrl` (the suite's `inject('postgresUrl')`); a database is made and dropped. */
  readonly store?: 'pglite' | 'postgres';
  readonly postgresUrl?: string;
  /** Tenants of the gateway (default: `DEMO_TENANT`). Give a simulator seed that knows their credentials. */
  readonly tenants?: readonly StackTenant[];
  /** Options of the simulator (seed, token TTL...). */
  readonly simulator?: Omit<StartSimulatorOptions, 'port' | 'host'>;
  /** Extra gateway environment (e.g. `{ SIGNAL_WAIT_MS: '200' }`); `PORT` defaults to 0, `LOG_LEVEL` to silent. */
  readonly env?: Readonly<Record<string, string>>;
  /** Parts passed to `startGateway` (a failing store, a recording logger...). */
  readonly deps?: GatewayDeps;
}

export interface GqlResult<TData = Record<string, unknown>> {
  readonly status: number;
  readonly body: {
    readonly data?: TData | null;
    readonly errors?: readonly { readonly message: string; readonly path?: readonly (string | number)[]; readonly extensions?: Record<string, unknown> }[];
  };
  readonly headers: Headers;
}

/** What `POST /_sim/calls` answers. */
export interface SimCall {
  readonly contactId: string;
  readonly callId: string;
  readonly businessUnit: string;
  readonly invite: string;
}

/** A signal the simulator received (`GET /_sim/signals`). */
export interface SimSignal {
  readonly id: number;
  readonly contactId: string;
  readonly params: readonly string[];
  readonly [key: string]: unknown;
}

export interface SimControl {
  readonly url: string;
  /** Creates an active contact and its INVITE (`POST /_sim/calls`); default the demo pseudo number. */
  createCall(options?: { readonly pseudoNumber?: string; readonly from?: string }): Promise<SimCall>;
  /** Ends a contact (later signals get 404). */
  endContact(contactId: string): Promise<void>;
  /** Adds a fault (`POST /_sim/faults`), e.g. `{ route: 'signal', kind: 'status', status: 503 }`. */
  addFault(spec: Record<string, unknown>): Promise<void>;
  clearFaults(): Promise<void>;
  /** Signals the simulator received for a contact (every signal without one). */
  signals(contactId?: string): Promise<SimSignal[]>;
  reset(): Promise<void>;
}

export interface Stack {
  readonly simulatorUrl: string;
  /** Base URL of the gateway (changes after `restartGateway`). */
  readonly gatewayUrl: string;
  /** `${gatewayUrl}/graphql` */
  readonly graphqlUrl: string;
  readonly config: GatewayConfig;
  readonly gateway: RunningGateway;
  readonly simulator: RunningSimulator;
  readonly sim: SimControl;
  /** POSTs a GraphQL request; `key` defaults to the demo signal key, `null` sends none. */
  gql<TData = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, key?: string | null): Promise<GqlResult<TData>>;
  /** Closes the gateway and starts a new one on the same store (same data dir / database). */
  restartGateway(env?: Readonly<Record<string, string>>): Promise<void>;
  /** Closes only the gateway (e.g. to look at the store afterwards); `close()` is still safe. */
  stopGateway(): Promise<void>;
  /** Environment a child-process gateway needs to use this stack's tenants and store. */
  gatewayEnv(): Record<string, string>;
  close(): Promise<void>;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The tenants file and the env that resolves its `env:` references. */
function tenantsFile(tenants: readonly StackTenant[], issuer: string): { json: string; env: Record<string, string> } {
  const env: Record<string, string> = {};
  const ref = (tenantIndex: number, name: string, value: string): string => {
    const variable = `STACK_T${tenantIndex}_${name}`;
    env[variable] = value;
    return `env:${variable}`;
  };
  const file = {
    tenants: tenants.map((t, i) => ({
      id: t.id,
      cxone: {
        issuer,
        ...(t.apiVersion ? { apiVersion: t.apiVersion } : {}),
        clientId: t.clientId,
        clientSecret: ref(i, 'CLIENT_SECRET', t.clientSecret),
        accessKeyId: t.accessKeyId,
        accessKeySecret: ref(i, 'ACCESS_KEY_SECRET', t.accessKeySecret),
      },
      pseudoNumbers: t.pseudoNumbers,
      ...(t.contactIdHeader ? { contactIdHeader: t.contactIdHeader } : {}),
      keys: Object.entries(t.keys).map(([scope, key]) => ({ name: `${t.id}-${scope}`, sha256: sha256(key), scope })),
      ...(t.polyai ? { polyai: t.polyai } : {}),
    })),
  };
  return { json: JSON.stringify(file, null, 2), env };
}

/** The control API of the simulator at `url` (`/_sim/...`), as tests call it. */
export function simControl(url: string): SimControl {
  const simFetch = async (path: string, init?: RequestInit): Promise<Response> => {
    const res = await fetch(`${url}${path}`, init);
    if (!res.ok) throw new Error(`simulator ${init?.method ?? 'GET'} ${path} answered ${res.status}: ${await res.text()}`);
    return res;
  };
  const postJson = (path: string, body: unknown) =>
    simFetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return {
    url,
    async createCall(call = {}) {
      const res = await postJson('/_sim/calls', { pseudoNumber: call.pseudoNumber ?? DEMO.pseudoNumber, ...(call.from ? { from: call.from } : {}) });
      return (await res.json()) as SimCall;
    },
    async endContact(contactId) {
      await simFetch(`/_sim/contacts/${encodeURIComponent(contactId)}/end`, { method: 'POST' });
    },
    async addFault(spec) {
      await postJson('/_sim/faults', spec);
    },
    async clearFaults() {
      await simFetch('/_sim/faults', { method: 'DELETE' });
    },
    async signals(contactId) {
      const res = await simFetch(contactId === undefined ? '/_sim/signals' : `/_sim/signals?contactId=${encodeURIComponent(contactId)}`);
      return (await res.json()) as SimSignal[];
    },
    async reset() {
      await simFetch('/_sim/reset', { method: 'POST' });
    },
  };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    const simulator = await startSimulator({ ...options.simulator });
    cleanups.push(() => simulator.close());

    const dir = await mkdtemp(join(tmpdir(), 'cxgw-stack-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));

    const tenants = tenantsFile(options.tenants ?? [DEMO_TENANT], simulator.url);
    const tenantsPath = join(dir, 'tenants.json');
    await writeFile(tenantsPath, tenants.json);

    let storeEnv: Record<string, string>;
    if (options.store === 'postgres') {
      if (!options.postgresUrl) throw new Error("startStack({ store: 'postgres' }) needs postgresUrl (inject('postgresUrl'))");
      const database = await createTestDatabase(options.postgresUrl);
      cleanups.push(() => database.drop());
      storeEnv = { DATABASE_URL: database.url };
    } else {
      // A copy of the template: the gateway opens it without running initdb.
      await copyPgliteTemplate(join(dir, 'pglite'));
      storeEnv = { DATA_DIR: join(dir, 'pglite') };
    }

    const baseEnv: Record<string, string> = {
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      TENANTS_FILE: tenantsPath,
      ...storeEnv,
      ...tenants.env,
      ...options.env,
    };
    const configFor = (extra: Readonly<Record<string, string>> = {}) =>
      loadConfig({ ...baseEnv, ...extra }, { readFile: (path) => readFileSync(path, 'utf8') });

    let config = configFor();
    let log: Logger = options.deps?.log ?? createLogger({ level: config.logLevel });
    let gateway: RunningGateway | null = await startGateway(config, { ...options.deps, log });
    cleanups.push(async () => {
      await gateway?.close();
    });

    const sim = simControl(simulator.url);

    const current = (): RunningGateway => {
      if (!gateway) throw new Error('the gateway is stopped');
      return gateway;
    };

    const stack: Stack = {
      simulatorUrl: simulator.url,
      get gatewayUrl() {
        return current().url;
      },
      get graphqlUrl() {
        return `${current().url}/graphql`;
      },
      get config() {
        return config;
      },
      get gateway() {
        return current();
      },
      simulator,
      sim,
      async gql<TData>(query: string, variables: Record<string, unknown> = {}, key: string | null = STACK_KEYS.signal) {
        const res = await fetch(`${current().url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
          body: JSON.stringify({ query, variables }),
        });
        const text = await res.text();
        let body: GqlResult<TData>['body'];
        try {
          body = JSON.parse(text) as GqlResult<TData>['body'];
        } catch {
          throw new Error(`gateway answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
        }
        return { status: res.status, body, headers: res.headers };
      },
      async restartGateway(env = {}) {
        await gateway?.close();
        gateway = null;
        config = configFor(env);
        log = options.deps?.log ?? createLogger({ level: config.logLevel });
        // A supplied store was closed with the first gateway; the restarted one opens its own.
        const { store: _closed, ...deps } = options.deps ?? {};
        gateway = await startGateway(config, { ...deps, log });
      },
      async stopGateway() {
        await gateway?.close();
        gateway = null;
      },
      gatewayEnv: () => ({ ...baseEnv }),
      close: cleanup,
    };
    return stack;
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** A gateway started as a child process (`node dist/src/bin.js`), for signal and exit-code tests. */
export interface GatewayProcess {
  readonly child: ChildProcess;
  /** Resolves to the base URL once the gateway logs `gateway listening`. */
  readonly ready: Promise<string>;
  /** Everything the process wrote, so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves with the exit code (or the signal) when the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends SIGTERM (default) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const BIN = fileURLToPath(new URL('../../dist/src/bin.js', import.meta.url));

/**
 * Spawns the compiled gateway (the global setup compiles `dist/`) with exactly `env` (plus PATH),
 * killed when the test that started it ends (`lifetime` `file`: when its file ends).
 * `ready` reads the `gateway listening` log line, so `LOG_LEVEL` must be info or lower (the default
 * here; `gatewayEnv()` sets silent, so override it).
 */
export function startGatewayProcess(
  env: Readonly<Record<string, string>>,
  args: readonly string[] = [],
  lifetime: 'test' | 'file' = 'test',
  /** The entry to run (default this checkout's `dist/src/bin.js`; another install's in the production test). */
  bin: string = BIN,
): GatewayProcess {
  // Its own process group, killed with it when the test (or file) ends: see helpers/processes.ts.
  const child = spawnChild(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    lifetime,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  const exited = exitOf(child);
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: string) => {
      stdout += chunk;
      for (const line of stdout.split('\n')) {
        if (!line.includes('"gateway listening"')) continue;
        try {
          resolve((JSON.parse(line) as { url: string }).url);
        } catch {
          // a partial line; the next chunk completes it
        }
      }
    });
    child.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
    });
    void exited.then(({ code, signal }) => reject(new Error(`gateway exited (${code ?? signal}) before it was ready:\n${stderr}${stdout}`)));
  });
  // Callers that only look at `exited` (bad config) must not see an unhandled rejection.
  ready.catch(() => undefined);
  return {
    child,
    ready,
    exited,
    output: () => ({ stdout, stderr }),
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      signalGroup(child, signal);
      return await exited;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// startHarness: the simulator in this process, gateways as child processes.

const rand = (): string => randomBytes(12).toString('base64url');

/** A tenant as both sides know it: CXone credentials and business unit at the simulator, API keys at the gateway. */
export interface ReliabilityTenant extends StackTenant {
  readonly cxoneTenantId: string;
  readonly businessUnit: string;
  readonly pseudoNumber: string;
  readonly keys: { readonly signal: string; readonly read: string };
  /** The tenant's Handoff API path: `/v1/{accountId}/{projectId}/handoff_state`. */
  readonly polyai: { readonly accountId: string; readonly projectId: string };
}

/** A tenant for `startHarness({ tenants })`; `n` (1–9) makes its numbers unique, 1 and 2 are taken by TENANT_A and TENANT_B. */
export function makeTenant(id: string, n: number): ReliabilityTenant {
  const pseudoNumber = `+1555010000${n}`;
  return {
    id,
    cxoneTenantId: `11e85da0-f32c-7e10-898c-0242ac11000${n}`,
    businessUnit: `460000${n}`,
    clientId: `${id}-client`,
    clientSecret: `${id}-client-secret-${rand()}`,
    accessKeyId: `${id}-access-key`,
    accessKeySecret: `${id}-access-secret-${rand()}`,
    pseudoNumber,
    pseudoNumbers: [pseudoNumber],
    keys: { signal: `${id}-signal-key-${rand()}`, read: `${id}-read-key-${rand()}` },
    polyai: { accountId: `ws-${id}`, projectId: `PROJECT-${id}` },
  };
}

/** Random secrets per run, so a leak found in a log is certainly this run's. */
export const TENANT_A = makeTenant('alpha', 1);
export const TENANT_B = makeTenant('beta', 2);
/** A well-formed key whose hash no tenant has (revoked, or never issued). */
export const REVOKED_KEY = `alpha-signal-key-${rand()}`;

/** What a test may search the logs for: nothing here may appear in any log line. */
export function configuredSecrets(extraTenants: readonly ReliabilityTenant[] = []): string[] {
  return [TENANT_A, TENANT_B, ...extraTenants].flatMap((t) => [t.clientSecret, t.accessKeySecret, t.keys.signal, t.keys.read]).concat(REVOKED_KEY);
}

/** A pino logger writing JSON lines into memory. */
function captureLogger(): { log: Logger; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), text: () => chunks.join('') };
}

/** Records the tokens the simulator hands out (`access_token`, `refresh_token`, `id_token`). */
function tokenTap(into: Set<string>): Stage {
  return async (ctx, next) => {
    const reply: Reply = await next();
    if (ctx.route.fault === 'token' && reply.kind === 'json' && typeof reply.body === 'object' && reply.body !== null) {
      for (const field of ['access_token', 'refresh_token', 'id_token']) {
        const value = (reply.body as Record<string, unknown>)[field];
        if (typeof value === 'string') into.add(value);
      }
    }
    return reply;
  };
}

export interface HarnessOptions {
  /** `{ DATABASE_URL }` for PostgreSQL; default a PGlite directory (a template copy) inside the harness's temp dir. */
  readonly storeEnv?: Readonly<Record<string, string>>;
  /** Gateway env for every process (SIGNAL_BUDGET_MS...). */
  readonly env?: Readonly<Record<string, string>>;
  readonly tokenTtlSeconds?: number;
  /** Tenants besides TENANT_A and TENANT_B, known to the simulator and in the tenants file (see `makeTenant`). */
  readonly tenants?: readonly ReliabilityTenant[];
}

export interface Harness {
  readonly simulatorUrl: string;
  readonly dir: string;
  /** Env of a gateway process for this harness (tenants, store, `extra` last). */
  env(extra?: Readonly<Record<string, string>>): Record<string, string>;
  /** Spawns a gateway (LOG_LEVEL debug unless `extra` says otherwise) and waits until it listens. */
  spawn(extra?: Readonly<Record<string, string>>): Promise<{ proc: GatewayProcess; url: string }>;
  createCall(tenant?: ReliabilityTenant): Promise<string>;
  /** Creates `n` contacts, `concurrency` at a time. */
  createCalls(n: number, concurrency?: number): Promise<string[]>;
  endContact(contactId: string): Promise<void>;
  addFault(spec: Record<string, unknown>): Promise<void>;
  clearFaults(): Promise<void>;
  /** Every signal the simulator received. */
  signals(): Promise<SimSignal[]>;
  /** How many signals the simulator received per contact id. */
  signalsPerContact(): Promise<Map<string, number>>;
  /** Every log line written so far by the simulator and every gateway process of this harness. */
  logText(): string;
  /** Tokens the simulator issued, as it sent them. */
  issuedTokens(): string[];
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'cxgw-rel-'));
  const simLog = captureLogger();
  const tokens = new Set<string>();
  const all = [TENANT_A, TENANT_B, ...(options.tenants ?? [])];
  const seed = parseSeed({
    businessUnits: all.map((t) => ({ tenantId: t.cxoneTenantId, businessUnit: t.businessUnit, pseudoNumbers: [t.pseudoNumber] })),
    apiClients: all.map((t) => ({ clientId: t.clientId, clientSecret: t.clientSecret, businessUnit: t.businessUnit })),
    accessKeys: all.map((t) => ({
      accessKeyId: t.accessKeyId,
      accessKeySecret: t.accessKeySecret,
      businessUnit: t.businessUnit,
      permissions: ['signal'],
    })),
  });
  const state = createSimulatorState(seed);
  const sip = new SipAgent({ address: '127.0.0.1', log: simLog.log });
  const closing = new AbortController();
  // The default pipeline (fault injection) plus a tap behind it: faults still answer first.
  const app = createSimulatorApp(state, {
    log: simLog.log,
    sip,
    closing: closing.signal,
    ...(options.tokenTtlSeconds === undefined ? {} : { tokenTtlSeconds: options.tokenTtlSeconds }),
    stages: [createFaultStage(state.faults), tokenTap(tokens)],
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const simulatorUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sim = simControl(simulatorUrl);

  const tenants = tenantsFile(all, simulatorUrl);
  const tenantsPath = join(dir, 'tenants.json');
  await writeFile(tenantsPath, tenants.json);
  if (!options.storeEnv) await copyPgliteTemplate(join(dir, 'pglite'));

  const processes: GatewayProcess[] = [];
  const env = (extra: Readonly<Record<string, string>> = {}): Record<string, string> => ({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
    TENANTS_FILE: tenantsPath,
    ...(options.storeEnv ?? { DATA_DIR: join(dir, 'pglite') }),
    ...tenants.env,
    ...options.env,
    ...extra,
  });

  const harness: Harness = {
    simulatorUrl,
    dir,
    env,
    async spawn(extra = {}) {
      // Tests of a file share a harness's gateways (one test restarts it, the next uses it): they
      // live until close(), or the file's end if a close was missed.
      const proc = startGatewayProcess(env(extra), [], 'file');
      processes.push(proc);
      return { proc, url: await proc.ready };
    },
    async createCall(tenant = TENANT_A) {
      return (await sim.createCall({ pseudoNumber: tenant.pseudoNumber })).contactId;
    },
    async createCalls(n, concurrency = 16) {
      const ids: string[] = new Array<string>(n);
      await pool(n, concurrency, async (i) => {
        ids[i] = await harness.createCall();
      });
      return ids;
    },
    endContact: (contactId) => sim.endContact(contactId),
    addFault: (spec) => sim.addFault(spec),
    clearFaults: () => sim.clearFaults(),
    signals: () => sim.signals(),
    signalsPerContact: async () => {
      const counts = new Map<string, number>();
      for (const s of await sim.signals()) counts.set(s.contactId, (counts.get(s.contactId) ?? 0) + 1);
      return counts;
    },
    logText() {
      const gateways = processes.map((p) => {
        const { stdout, stderr } = p.output();
        return `${stdout}\n${stderr}`;
      });
      return [simLog.text(), ...gateways].join('\n');
    },
    issuedTokens: () => [...tokens],
    async close() {
      await Promise.all(processes.map((p) => p.stop('SIGKILL')));
      closing.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await sip.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Runs `task(0..n-1)` with at most `concurrency` at a time. */
export async function pool(n: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const index = next++;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, worker));
}

/** What a GraphQL POST answered (the body parsed, or `null` when it was not JSON). */
export interface GqlAnswer<TData> {
  readonly status: number;
  readonly body: { data?: TData | null; errors?: { message: string; extensions?: Record<string, unknown> }[] } | null;
  readonly text: string;
}

/** POSTs a GraphQL request to `url` (a gateway base URL) with an API key; times out after `timeoutMs`. */
export async function gql<TData>(url: string, key: string | null, query: string, variables: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<GqlAnswer<TData>> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let body: GqlAnswer<TData>['body'] = null;
  try {
    body = JSON.parse(text) as GqlAnswer<TData>['body'];
  } catch {
    // left null: the caller asserts on status and text
  }
  return { status: res.status, body, text };
}

export const HANDOFF = /* GraphQL */ `id contactId state attempts lastError { code message upstreamStatus }`;
export const SIGNAL = /* GraphQL */ `mutation Signal($input: SignalContactInput!) { signalContact(input: $input) { handoff { ${HANDOFF} } } }`;
export const STATUS = /* GraphQL */ `query Status($contactId: String!) { handoffStatus(contactId: $contactId) { ${HANDOFF} } }`;

export interface HandoffView {
  readonly id: string;
  readonly contactId: string;
  readonly state: 'PENDING' | 'SIGNALED' | 'FAILED';
  readonly attempts: number;
  readonly lastError: { readonly code: string; readonly message: string; readonly upstreamStatus: number | null } | null;
}

/**
 * Polls `handoffStatus` until the handoff leaves PENDING. The timeout is generous on purpose: it only
 * bounds a hang on a loaded machine; what the handoff ended as is the test's assertion.
 */
export async function settle(url: string, contactId: string, timeoutMs = 30_000, tenant: ReliabilityTenant = TENANT_A): Promise<HandoffView> {
  return await vi.waitFor(
    async () => {
      const res = await gql<{ handoffStatus: HandoffView | null }>(url, tenant.keys.read, STATUS, { contactId });
      const h = res.body?.data?.handoffStatus;
      if (!h || h.state === 'PENDING') throw new Error(`handoff of ${contactId} still ${h?.state ?? 'missing'}`);
      return h;
    },
    { timeout: timeoutMs, interval: 25 },
  );
}

/** Every secret (of 6+ characters) found in `text`, as `secret…` prefixes so the report itself leaks nothing. */
export function secretHits(text: string, secrets: readonly string[]): string[] {
  return secrets.filter((s) => s.length >= 6 && text.includes(s)).map((s) => `${s.slice(0, 6)}…`);
}

const LIST = /* GraphQL */ `
  query List($first: Int, $after: String, $state: HandoffState) {
    handoffs(first: $first, after: $after, state: $state) {
      edges { node { id contactId state attempts lastError { code message } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

interface ListPage {
  handoffs: { edges: { node: Pick<HandoffView, 'id' | 'contactId' | 'state' | 'attempts' | 'lastError'> }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
}

/** Every handoff of tenant A (in `state`, or all), read page by page with the read key. */
export async function listHandoffs(url: string, state: HandoffView['state'] | null): Promise<Pick<HandoffView, 'id' | 'contactId' | 'state' | 'attempts' | 'lastError'>[]> {
  const out: Pick<HandoffView, 'id' | 'contactId' | 'state' | 'attempts' | 'lastError'>[] = [];
  let after: string | null = null;
  for (;;) {
    const res: GqlAnswer<ListPage> = await gql<ListPage>(url, TENANT_A.keys.read, LIST, { first: 100, after, state });
    const page = res.body?.data?.handoffs;
    if (!page) throw new Error(`handoffs query failed: HTTP ${res.status} ${res.text.slice(0, 300)}`);
    out.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage) return out;
    after = page.pageInfo.endCursor;
  }
}

/** Polls `listHandoffs` until no handoff of tenant A is PENDING; resolves with all of them. */
export async function allSettled(url: string, timeoutMs = 60_000): Promise<Pick<HandoffView, 'id' | 'contactId' | 'state' | 'attempts' | 'lastError'>[]> {
  return await vi.waitFor(
    async () => {
      const all = await listHandoffs(url, null);
      const pending = all.filter((h) => h.state === 'PENDING').length;
      if (pending > 0) throw new Error(`${pending} of ${all.length} handoffs still PENDING`);
      return all;
    },
    { timeout: timeoutMs, interval: 200 },
  );
}
