#!/usr/bin/env node
/**
 * `cxone-gateway`: reads the environment, starts the gateway, stops it gracefully on SIGTERM/SIGINT.
 * The only gateway module that reads `process.env`, prints to the terminal or exits.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig, readTenantsFile, type StoreConfig } from './config/config.js';
import { ENV_VARS } from './config/env-vars.js';
import { createLogger } from './common/logger.js';
import { createStore } from './store/create-store.js';

function help(): string {
  const width = Math.max(...ENV_VARS.map((v) => v.name.length));
  const lines = ENV_VARS.map((v) => `  ${v.name.padEnd(width)}  ${v.description}${v.default === undefined ? '' : ` (default: ${v.default})`}`);
  return [
    'Usage: cxone-gateway [--help | --migrate]',
    '',
    'GraphQL gateway that signals NICE CXone contacts for voice-AI handoffs.',
    'Configured by environment variables:',
    '',
    ...lines,
    '',
    '--migrate applies pending store migrations (DATABASE_URL, else DATA_DIR) and exits.',
    'Tenants file secrets are references: "env:NAME" or "file:/path".',
    'SIGTERM/SIGINT: stop accepting, finish in-flight requests, leave PENDING handoffs for the next start, exit 0.',
    'SIGHUP (or a change of TENANTS_FILE): reload the tenants file; an invalid file is refused and the tenants in force stay.',
    '',
  ].join('\n');
}

/**
 * `--migrate`: applies pending store migrations and exits, so a deploy can run them ahead of the new
 * replicas (with a role that may create tables, while the gateway runs with one that need not).
 * Reads only DATABASE_URL (or DATA_DIR); starting the gateway runs the same migrations anyway,
 * serialised across replicas by an advisory lock.
 */
async function migrate(): Promise<void> {
  const log = createLogger({ level: 'info', pretty: false });
  const store: StoreConfig = process.env.DATABASE_URL
    ? { kind: 'postgres', url: process.env.DATABASE_URL, poolSize: 1 }
    : { kind: 'pglite', dataDir: process.env.DATA_DIR || './.data' };
  const opened = await createStore(store, { log });
  await opened.close();
  log.info({ store: store.kind }, 'store migrations are up to date');
}

async function run(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(help());
    return;
  }
  if (argv.includes('--migrate')) {
    await migrate();
    return;
  }
  const unknown = argv.filter((a) => a !== '--');
  if (unknown.length > 0) {
    console.error(`cxone-gateway: unknown argument ${unknown[0] ?? ''}; the gateway is configured by environment variables (--help lists them).`);
    process.exitCode = 2;
    return;
  }

  let config;
  try {
    config = loadConfig(process.env, { readFile: (path) => readFileSync(path, 'utf8') });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`cxone-gateway: refusing to start.\n${error.message}`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }

  // JSON for machines; a developer at a terminal reads pino-pretty's lines (LOG_PRETTY decides when set).
  const log = createLogger({ level: config.logLevel, pretty: config.logPretty ?? (!config.production && process.stdout.isTTY === true) });
  const io = { readFile: (path: string) => readFileSync(path, 'utf8') };
  // The store opens while the rest of the gateway's modules load: PGlite compiles its WASM off the
  // main thread and reads its data directory meanwhile (issue 14, cold start).
  const opening = createStore(config.store, { log: log.child({ component: 'store' }) });
  const [{ startGateway }, store] = await Promise.all([import('./main.js'), opening]);
  const starting = startGateway(config, { log, store, loadTenants: () => readTenantsFile(config.tenantsFile, process.env, io) });

  // Installed before the gateway logs `gateway listening`: whoever waits for that line (a
  // supervisor, a test) may signal at once, and a SIGTERM with no handler yet would kill the
  // process with its store open instead of stopping it.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    // Past the shutdown timeout (plus a margin for the store and client) the process exits anyway.
    setTimeout(() => {
      log.error({ signal }, 'shutdown took too long; exiting');
      process.exit(1);
    }, config.http.shutdownTimeoutMs + 5000).unref();
    starting
      .then((gateway) => gateway.close())
      .then(
        () => {
          log.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          log.error({ err: error }, 'error while shutting down');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  const gateway = await starting;
  // SIGHUP: read the tenants file again (it is also watched); a refused file changes nothing.
  process.on('SIGHUP', () => {
    gateway.reloadTenants();
  });
}

run(process.argv.slice(2)).catch((error: unknown) => {
  console.error('cxone-gateway: failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
