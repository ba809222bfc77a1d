#!/usr/bin/env node
/**
 * `cxone-sim`: the simulator as a process. The only simulator file that reads argv, reads files
 * named by the user, listens on a fixed port or exits.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger, LOG_LEVELS } from '../src/common/logger.js';
import { isOneOf } from '../src/common/vocabulary.js';
import { DEFAULTS, DEMO, SeedError, parseSeedJson, startSimulator, type Seed } from './index.js';

const USAGE = `Usage: cxone-sim [options]

A NICE CXone stand-in: OIDC + tenant discovery, OAuth token endpoint, Signal/contacts API,
SIP INVITEs for simulated calls, and a control API under /_sim/ (see docs/simulator.md).

Options:
  --port N               TCP port to listen on (default 4010)
  --host ADDR            interface to listen on (default 127.0.0.1)
  --seed FILE            JSON seed: businessUnits, apiClients, accessKeys (default: built-in demo)
  --token-ttl SECONDS    access token lifetime, expires_in (default ${DEFAULTS.tokenTtlSeconds})
  --refresh-token-ttl SECONDS
                         refresh token lifetime (default ${DEFAULTS.refreshTokenTtlSeconds})
  --signal-status CODE   status of an accepted signal (default ${DEFAULTS.signalStatus})
  --param-max-length N   longest p1..p9 value accepted (default ${DEFAULTS.paramMaxLength})
  --sip-address ADDR     address the SIP UDP socket binds to and advertises (default 127.0.0.1)
  --log-level LEVEL      fatal|error|warn|info|debug|trace|silent (default info)
  -h, --help             show this help and exit

Demo seed: tenant ${DEMO.tenantId}, business unit ${DEMO.businessUnit},
  API client ${DEMO.clientId} / ${DEMO.clientSecret}, access key ${DEMO.accessKeyId} / ${DEMO.accessKeySecret},
  pseudo number ${DEMO.pseudoNumber}.
`;

function fail(message: string, code = 2): never {
  console.error(`cxone-sim: ${message}`);
  process.exit(code);
}

function integer(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) fail(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return number;
}

let args;
try {
  args = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      seed: { type: 'string' },
      'token-ttl': { type: 'string' },
      'refresh-token-ttl': { type: 'string' },
      'signal-status': { type: 'string' },
      'param-max-length': { type: 'string' },
      'sip-address': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;
} catch (error) {
  fail(`${(error as Error).message}\n\n${USAGE}`);
}

if (args.help === true) {
  process.stdout.write(USAGE);
  process.exit(0);
}

let seed: Seed | undefined;
if (args.seed !== undefined) {
  try {
    seed = parseSeedJson(readFileSync(args.seed, 'utf8'), args.seed);
  } catch (error) {
    fail(error instanceof SeedError ? error.message : `cannot read seed file ${args.seed}: ${(error as Error).message}`, 1);
  }
}

const level = args['log-level'] ?? 'info';
if (!isOneOf(LOG_LEVELS, level)) fail(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);

try {
  const simulator = await startSimulator({
    port: integer('port', args.port, 0, 65_535) ?? 4010,
    host: args.host ?? '127.0.0.1',
    seed,
    tokenTtlSeconds: integer('token-ttl', args['token-ttl'], 1, 31_536_000),
    refreshTokenTtlSeconds: integer('refresh-token-ttl', args['refresh-token-ttl'], 1, 31_536_000),
    signalStatus: integer('signal-status', args['signal-status'], 200, 599),
    paramMaxLength: integer('param-max-length', args['param-max-length'], 1, 1_000_000),
    sipAddress: args['sip-address'],
    // The gateway's logger: the same ISO times and redaction, named cxone-sim.
    log: createLogger({ level: isOneOf(LOG_LEVELS, level) ? level : 'info', service: 'cxone-sim' }),
  });
  // Before the line that says it is ready: whoever waits for it may signal at once.
  const stop = (): void => {
    void simulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(`cxone-sim listening on ${simulator.url} (tenant ${seed?.businessUnits[0]?.tenantId ?? DEMO.tenantId})`);
} catch (error) {
  fail(`cannot start: ${(error as Error).message}`, 1);
}
