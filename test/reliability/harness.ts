/**
 * The reliability suites' stack: the real simulator (in this process, logging through pino into a
 * capture buffer, with a tap stage that records every token it issues) and gateways as child
 * processes (`startGatewayProcess`, logging at debug), so a test can SIGKILL them, run two replicas,
 * and at the end scan every log line either side wrote for a secret or a token.
 *
 * Two tenants with random secrets: `A` (the one under test) and `B` (for other-tenant checks).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import {
  createFaultStage,
  createSimulatorApp,
  createSimulatorState,
  parseSeed,
  SipAgent,
  type Reply,
  type Stage,
} from '../../simulator/index.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/stack.js';

const rand = (): string => randomBytes(12).toString('base64url');

/** A tenant as both sides know it: CXone credentials at the simulator, API keys at the gateway. */
export interface ReliabilityTenant {
  readonly id: string;
  readonly cxoneTenantId: string;
  readonly businessUnit: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly pseudoNumber: string;
  readonly keys: { readonly signal: string; readonly read: string };
  /** The tenant's Handoff API path: `/v1/{accountId}/{projectId}/handoff_state`. */
  readonly polyai: { readonly accountId: string; readonly projectId: string };
}

function makeTenant(id: string, n: number): ReliabilityTenant {
  return {
    id,
    cxoneTenantId: `11e85da0-f32c-7e10-898c-0242ac11000${n}`,
    businessUnit: `460000${n}`,
    clientId: `${id}-client`,
    clientSecret: `${id}-client-secret-${rand()}`,
    accessKeyId: `${id}-access-key`,
    accessKeySecret: `${id}-access-secret-${rand()}`,
    pseudoNumber: `+1555010000${n}`,
    keys: { signal: `${id}-signal-key-${rand()}`, read: `${id}-read-key-${rand()}` },
    polyai: { accountId: `ws-${id}`, projectId: `PROJECT-${id}` },
  };
}

export const TENANT_A = makeTenant('alpha', 1);
export const TENANT_B = makeTenant('beta', 2);
/** A well-formed key whose hash no tenant has (revoked, or never issued). */
export const REVOKED_KEY = `alpha-signal-key-${rand()}`;

/** What a test may search the logs for: nothing here may appear in any log line. */
export function configuredSecrets(): string[] {
  return [TENANT_A, TENANT_B].flatMap((t) => [t.clientSecret, t.accessKeySecret, t.keys.signal, t.keys.read]).concat(REVOKED_KEY);
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

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

export interface SimSignal {
  readonly id: number;
  readonly contactId: string;
  readonly params: readonly string[];
}

export interface HarnessOptions {
  /** `{ DATABASE_URL }` for PostgreSQL; default a PGlite directory inside the harness's temp dir. */
  readonly storeEnv?: Readonly<Record<string, string>>;
  /** Gateway env for every process (SIGNAL_BUDGET_MS...). */
  readonly env?: Readonly<Record<string, string>>;
  readonly tokenTtlSeconds?: number;
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
  const seed = parseSeed({
    businessUnits: [TENANT_A, TENANT_B].map((t) => ({ tenantId: t.cxoneTenantId, businessUnit: t.businessUnit, pseudoNumbers: [t.pseudoNumber] })),
    apiClients: [TENANT_A, TENANT_B].map((t) => ({ clientId: t.clientId, clientSecret: t.clientSecret, businessUnit: t.businessUnit })),
    accessKeys: [TENANT_A, TENANT_B].map((t) => ({
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

  const secretEnv: Record<string, string> = {};
  const tenantsFile = {
    tenants: [TENANT_A, TENANT_B].map((t, i) => {
      secretEnv[`REL_T${i}_CLIENT_SECRET`] = t.clientSecret;
      secretEnv[`REL_T${i}_ACCESS_SECRET`] = t.accessKeySecret;
      return {
        id: t.id,
        cxone: {
          issuer: simulatorUrl,
          clientId: t.clientId,
          clientSecret: `env:REL_T${i}_CLIENT_SECRET`,
          accessKeyId: t.accessKeyId,
          accessKeySecret: `env:REL_T${i}_ACCESS_SECRET`,
        },
        pseudoNumbers: [t.pseudoNumber],
        keys: [
          { name: `${t.id}-signal`, sha256: sha256(t.keys.signal), scope: 'signal' },
          { name: `${t.id}-read`, sha256: sha256(t.keys.read), scope: 'read' },
        ],
        polyai: t.polyai,
      };
    }),
  };
  const tenantsPath = join(dir, 'tenants.json');
  await writeFile(tenantsPath, JSON.stringify(tenantsFile));

  const processes: GatewayProcess[] = [];
  const simFetch = async (path: string, init?: RequestInit): Promise<Response> => {
    const res = await fetch(`${simulatorUrl}${path}`, init);
    if (!res.ok) throw new Error(`simulator ${init?.method ?? 'GET'} ${path} answered ${res.status}`);
    return res;
  };
  const postJson = (path: string, body: unknown) =>
    simFetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  const env = (extra: Readonly<Record<string, string>> = {}): Record<string, string> => ({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
    TENANTS_FILE: tenantsPath,
    ...(options.storeEnv ?? { DATA_DIR: join(dir, 'pglite') }),
    ...secretEnv,
    ...options.env,
    ...extra,
  });

  const harness: Harness = {
    simulatorUrl,
    dir,
    env,
    async spawn(extra = {}) {
      const proc = startGatewayProcess(env(extra));
      processes.push(proc);
      return { proc, url: await proc.ready };
    },
    async createCall(tenant = TENANT_A) {
      const res = await postJson('/_sim/calls', { pseudoNumber: tenant.pseudoNumber });
      return ((await res.json()) as { contactId: string }).contactId;
    },
    async createCalls(n, concurrency = 16) {
      const ids: string[] = new Array<string>(n);
      await pool(n, concurrency, async (i) => {
        ids[i] = await harness.createCall();
      });
      return ids;
    },
    async endContact(contactId) {
      await simFetch(`/_sim/contacts/${contactId}/end`, { method: 'POST' });
    },
    async addFault(spec) {
      await postJson('/_sim/faults', spec);
    },
    async clearFaults() {
      await simFetch('/_sim/faults', { method: 'DELETE' });
    },
    async signals() {
      return (await (await simFetch('/_sim/signals')).json()) as SimSignal[];
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

/** Polls `handoffStatus` until the handoff leaves PENDING. */
export async function settle(url: string, contactId: string, timeoutMs = 20_000): Promise<HandoffView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await gql<{ handoffStatus: HandoffView | null }>(url, TENANT_A.keys.read, STATUS, { contactId });
    const h = res.body?.data?.handoffStatus;
    if (h && h.state !== 'PENDING') return h;
    if (Date.now() > deadline) throw new Error(`handoff of ${contactId} still ${h?.state ?? 'missing'} after ${timeoutMs} ms`);
    await sleep(25);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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
