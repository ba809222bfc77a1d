/**
 * A disposable stack for cross-process tests: the real CXone simulator and the real gateway, each on
 * a free loopback port, with a fresh store (a temp PGlite directory or a new PostgreSQL database).
 * Shared by the gateway, reliability, benchmark and explorer suites.
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
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Logger } from 'pino';
import { loadConfig, type GatewayConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/common/logger.js';
import { startGateway, type GatewayDeps, type RunningGateway } from '../../src/main.js';
import { DEMO, startSimulator, type RunningSimulator, type StartSimulatorOptions } from '../../simulator/index.js';
import { createTestDatabase } from './database.js';

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
  /** Signals the simulator received for a contact. */
  signals(contactId: string): Promise<SimSignal[]>;
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

    const simFetch = async (path: string, init?: RequestInit): Promise<Response> => {
      const res = await fetch(`${simulator.url}${path}`, init);
      if (!res.ok) throw new Error(`simulator ${init?.method ?? 'GET'} ${path} answered ${res.status}: ${await res.text()}`);
      return res;
    };
    const postJson = (path: string, body: unknown) =>
      simFetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    const sim: SimControl = {
      url: simulator.url,
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
        const res = await simFetch(`/_sim/signals?contactId=${encodeURIComponent(contactId)}`);
        return (await res.json()) as SimSignal[];
      },
      async reset() {
        await simFetch('/_sim/reset', { method: 'POST' });
      },
    };

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
 * Spawns the compiled gateway (the global setup compiles `dist/`) with exactly `env` (plus PATH).
 * `ready` reads the `gateway listening` log line, so `LOG_LEVEL` must be info or lower (the default
 * here; `gatewayEnv()` sets silent, so override it).
 */
export function startGatewayProcess(env: Readonly<Record<string, string>>, args: readonly string[] = []): GatewayProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
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
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return await exited;
    },
  };
}
