/**
 * The dev stack behind `npm start`: the CXone simulator and the gateway on loopback, wired to the demo
 * tenant of `config/tenants.dev.json` (its CXone credentials come from the simulator's demo seed
 * through the `env:` references set here), with the embedded PGlite store in `dataDir`.
 *
 * At start it places one call on the simulator, so the explorer's examples name a contact that is
 * really active: "run" in the signalContact tab signals it (SIGNALED) with nothing to paste. The
 * browser test (test/e2e/explorer.test.ts) starts this same stack on free ports.
 */
import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger } from 'pino';
import { type GatewayConfig, loadConfig, readTenantsFile } from '../src/config/config.js';
import { type ExplorerTab } from '../src/http/explorer.js';
import { createLogger } from '../src/common/logger.js';
import { startGateway } from '../src/main.js';
import { DEMO, startSimulator } from '../simulator/index.js';
import { type Progress } from './progress.js';

/** Plaintext API keys of the demo tenant (`config/tenants.dev.json` holds their SHA-256). */
export const DEV_KEYS = Object.freeze({ signal: 'dev-signal-key', read: 'dev-read-key' });

/** Options of {@link startDevStack}. */
export interface DevStackOptions {
  /** Gateway port (0 picks a free one). */
  readonly port: number;
  /** Simulator port (0 picks a free one). */
  readonly simPort: number;
  /** PGlite data directory. */
  readonly dataDir: string;
  /** The committed dev tenants file; it names the simulator at :4010, other ports get a copy. */
  readonly tenantsFile: string;
  /** Further gateway environment (`process.env` in `npm start`); `TENANTS_FILE` here wins over `tenantsFile`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Logger of both servers (default: the gateway's, at `LOG_LEVEL` from `env` or info). */
  readonly log?: Logger;
  /** Human-readable lines (pino-pretty) from the default logger. */
  readonly prettyLogs?: boolean;
  /** Told each step as it starts (`npm start` prints them, scripts/progress.ts). */
  readonly progress?: Pick<Progress, 'step'>;
}

/** A running dev stack. */
export interface DevStack {
  readonly simulatorUrl: string;
  /** Base URL of the gateway; the explorer is at `/`, GraphQL at `/graphql`. */
  readonly gatewayUrl: string;
  readonly graphqlUrl: string;
  /** The simulator's agent desktop page (live calls, timelines, screen-pops from the gateway). */
  readonly desktopUrl: string;
  /** The active contact created at start; the explorer's examples use it. */
  readonly exampleContactId: string;
  /** Stops the gateway, then the simulator. */
  close(): Promise<void>;
}

/** The explorer's opening tabs: signal the example contact, read what was handed off, watch handoffs change live. */
export function devExplorerTabs(contactId: string): ExplorerTab[] {
  return [
    {
      query: /* GraphQL */ `# Contact ${contactId} is active on the simulator.
# Run it (Ctrl-Enter): the handoff comes back SIGNALED.
mutation SignalContact($input: SignalContactInput!) {
  signalContact(input: $input) {
    handoff {
      id contactId state params context
      attempts lastError { code message }
    }
  }
}
`,
      variables: JSON.stringify({ input: { contactId, params: ['billing', 'gold'], context: { intent: 'billing' } } }, null, 2),
      headers: JSON.stringify({ Authorization: `Bearer ${DEV_KEYS.signal}` }, null, 2),
    },
    {
      query: /* GraphQL */ `# What a screen-pop tool reads, with the read key.
query HandoffStatus($contactId: String!) {
  handoffStatus(contactId: $contactId) {
    id state params context signaledAt
    call { from sipCallId }
  }
}
`,
      variables: JSON.stringify({ contactId }, null, 2),
      headers: JSON.stringify({ Authorization: `Bearer ${DEV_KEYS.read}` }, null, 2),
    },
    {
      query: /* GraphQL */ `# Live changes of the demo tenant's handoffs, over graphql-ws on this same origin
# (the headers pane is the connection_init payload: the key goes there). Run it, then run
# the SignalContact tab or signal any call: a PENDING event, then SIGNALED.
subscription HandoffChanged {
  handoffChanged {
    id contactId state params attempts
    lastError { code message }
    updatedAt
  }
}
`,
      headers: JSON.stringify({ Authorization: `Bearer ${DEV_KEYS.read}` }, null, 2),
    },
  ];
}

/**
 * What starting the gateway is about to do: creating a new PGlite data directory (initdb) is the one
 * slow step of a first start, so it is named with its cost.
 */
export function gatewayStep(store: GatewayConfig['store']): string {
  if (store.kind !== 'pglite') return 'starting the gateway (PostgreSQL at DATABASE_URL)';
  return existsSync(join(store.dataDir, 'PG_VERSION'))
    ? `starting the gateway (data directory ${store.dataDir})`
    : `creating the data directory ${store.dataDir} (PGlite initdb, about 15 s, first start only) and starting the gateway`;
}

/** Starts the simulator, places the example call, and starts the gateway against both. */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const env = options.env ?? {};
  const log = options.log ?? createLogger({ level: (env.LOG_LEVEL as 'info' | undefined) ?? 'info', pretty: options.prettyLogs ?? false });
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) await step().catch(() => undefined);
  };
  const step = (message: string): void => options.progress?.step(message);
  try {
    step('starting the CXone simulator');
    const simulator = await startSimulator({ port: options.simPort, host: '127.0.0.1', log: options.log?.child({ component: 'simulator' }) ?? createLogger({ level: (env.LOG_LEVEL as 'info' | undefined) ?? 'info', pretty: options.prettyLogs ?? false, service: 'cxone-sim' }) });
    cleanups.push(() => simulator.close());

    let tenantsFile = env.TENANTS_FILE ?? options.tenantsFile;
    if (env.TENANTS_FILE === undefined && simulator.url !== 'http://127.0.0.1:4010') {
      const file = JSON.parse(await readFile(options.tenantsFile, 'utf8')) as { tenants: { cxone: { issuer: string } }[] };
      for (const tenant of file.tenants) tenant.cxone.issuer = simulator.url;
      const dir = await mkdtemp(join(tmpdir(), 'cxgw-dev-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      tenantsFile = join(dir, 'tenants.json');
      await writeFile(tenantsFile, JSON.stringify(file, null, 2));
    }

    const created = await fetch(`${simulator.url}/_sim/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pseudoNumber: DEMO.pseudoNumber }),
    });
    if (!created.ok) throw new Error(`the simulator refused the example call: ${created.status} ${await created.text()}`);
    const { contactId } = (await created.json()) as { contactId: string };

    const gatewayEnv = {
      ...env,
      DATA_DIR: options.dataDir,
      PORT: String(options.port),
      TENANTS_FILE: tenantsFile,
      DEMO_CXONE_CLIENT_ID: DEMO.clientId,
      DEMO_CXONE_CLIENT_SECRET: DEMO.clientSecret,
      DEMO_CXONE_ACCESS_KEY_ID: DEMO.accessKeyId,
      DEMO_CXONE_ACCESS_KEY_SECRET: DEMO.accessKeySecret,
    };
    const io = { readFile: (path: string) => readFileSync(path, 'utf8') };
    const config = loadConfig(gatewayEnv, io);
    step(gatewayStep(config.store));
    // Editing the tenants file while `npm start` runs puts it in force (or logs why it was refused).
    const polyai = config.tenants.find((tenant) => tenant.polyai !== undefined)?.polyai;
    const gateway = await startGateway(config, {
      log,
      explorerTabs: devExplorerTabs(contactId),
      ...(polyai ? { explorerHandoffApi: { accountId: polyai.accountId, projectId: polyai.projectId, apiKey: DEV_KEYS.read, sharedId: contactId } } : {}),
      loadTenants: () => readTenantsFile(tenantsFile, gatewayEnv, io),
    });
    cleanups.push(() => gateway.close());
    // The agent desktop's screen-pop: the gateway's Handoff API, asked by the simulator with the read key.
    if (polyai) simulator.connectDesktop({ gatewayUrl: gateway.url, accountId: polyai.accountId, projectId: polyai.projectId, apiKey: DEV_KEYS.read });

    return {
      simulatorUrl: simulator.url,
      gatewayUrl: gateway.url,
      graphqlUrl: `${gateway.url}/graphql`,
      desktopUrl: `${simulator.url}/_sim/desktop`,
      exampleContactId: contactId,
      close: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
