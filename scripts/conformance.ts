#!/usr/bin/env node
/**
 * `npm run conformance -- …`: checks the CXone wire facts (conformance/facts.ts) against a real
 * tenant, or with `--simulator` against a simulator it starts itself, and prints the table.
 * Secrets come only from environment variables or files, never from argv (which `ps` shows).
 *
 * Exit codes: 0 every checkable fact matches, 1 a fact differs, 2 usage error.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runConformance, startSimulatorTarget, type ConformanceTarget } from '../conformance/index.js';
import { type WireProfile } from '../simulator/index.js';

const USAGE = `Usage: npm run conformance -- [options]

Checks the CXone wire facts (docs/architecture.md, "CXone wire contract") against a tenant and
prints, fact by fact: matches / DIFFERS (expected and actual) / not checkable (why).
Read-only except one signal (p1 "cxone-conformance-kit") to the contact you name.

Real tenant:
  --issuer URL                 OIDC issuer, e.g. https://cxone.niceincontact.com
  --tenant-id ID               tenant id (tenant discovery, id_token claim)
  --client-id ID               API client id (password and refresh grants)
  --client-secret-env NAME     environment variable holding the client secret
  --client-secret-file PATH    … or a file holding it
  --access-key-id ID           access key id
  --access-key-secret-env NAME environment variable holding the access key secret
  --access-key-secret-file PATH
                               … or a file holding it
  --contact-id ID              an active contact the kit may signal once
  --missing-contact-id ID      a contact id that does not exist (default 999999999999999999);
                               every negative signal goes there
  --api-version N              Signal API version v{N}.0 (default 30)
  --include-negative-auth      also send a wrong client secret and a wrong access key secret
                               (off by default: a failed login may lock an account)

Offline:
  --simulator                  start the simulator (port 0, demo seed) and check it
  --simulator-profile FILE     with --simulator: JSON wire profile to mutate (simulator/profile.ts)

  -h, --help                   show this help
Exit code: 0 every checkable fact matches, 1 a fact differs, 2 usage error.
`;

function usage(message: string): never {
  console.error(`conformance: ${message}\n\n${USAGE}`);
  process.exit(2);
}

const OPTIONS = {
  issuer: { type: 'string' },
  'tenant-id': { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret-env': { type: 'string' },
  'client-secret-file': { type: 'string' },
  'access-key-id': { type: 'string' },
  'access-key-secret-env': { type: 'string' },
  'access-key-secret-file': { type: 'string' },
  'contact-id': { type: 'string' },
  'missing-contact-id': { type: 'string' },
  'api-version': { type: 'string' },
  'include-negative-auth': { type: 'boolean' },
  simulator: { type: 'boolean' },
  'simulator-profile': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse() {
  try {
    return parseArgs({ options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Never echo what followed: an unknown option may be a secret given the wrong way.
    if (/secret/i.test(message)) usage('secrets are read only from an environment variable (--…-secret-env NAME) or a file (--…-secret-file PATH)');
    return usage(message.split('\n')[0] ?? 'invalid arguments');
  }
}

const values = parse();

if (values.help === true) {
  console.log(USAGE);
  process.exit(0);
}

/** A secret from `--X-env NAME` or `--X-file PATH`; undefined when neither is given. */
function secret(name: string, env: string | undefined, file: string | undefined): string | undefined {
  if (env !== undefined && file !== undefined) usage(`give --${name}-env or --${name}-file, not both`);
  if (env !== undefined) {
    const value = process.env[env];
    if (value === undefined || value === '') usage(`--${name}-env: the environment variable it names is not set`);
    return value;
  }
  if (file !== undefined) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      usage(`--${name}-file: cannot read the file it names`);
    }
  }
  return undefined;
}

async function main(): Promise<number> {
  if (values.simulator === true) {
    if (values.issuer !== undefined) usage('--simulator and --issuer exclude each other');
    let profile: Partial<WireProfile> = {};
    if (values['simulator-profile'] !== undefined) {
      try {
        profile = JSON.parse(readFileSync(values['simulator-profile'], 'utf8')) as Partial<WireProfile>;
      } catch (error) {
        usage(`--simulator-profile: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    const { simulator, target } = await startSimulatorTarget(profile);
    try {
      return await report(target);
    } finally {
      await simulator.close();
    }
  }
  if (values['simulator-profile'] !== undefined) usage('--simulator-profile needs --simulator');
  if (values.issuer === undefined || !URL.canParse(values.issuer)) usage('--issuer URL is required (or --simulator)');
  if (values['tenant-id'] === undefined) usage('--tenant-id is required');
  const apiVersion = values['api-version'] === undefined ? undefined : Number(values['api-version']);
  if (apiVersion !== undefined && !(Number.isInteger(apiVersion) && apiVersion > 0)) usage('--api-version must be a positive integer');
  const target: ConformanceTarget = {
    mode: 'real',
    issuer: values.issuer,
    tenantId: values['tenant-id'],
    clientId: values['client-id'],
    clientSecret: secret('client-secret', values['client-secret-env'], values['client-secret-file']),
    accessKeyId: values['access-key-id'],
    accessKeySecret: secret('access-key-secret', values['access-key-secret-env'], values['access-key-secret-file']),
    contactId: values['contact-id'],
    missingContactId: values['missing-contact-id'],
    apiVersion,
    includeNegativeAuth: values['include-negative-auth'] === true,
  };
  return report(target);
}

async function report(target: ConformanceTarget): Promise<number> {
  const result = await runConformance(target);
  process.stdout.write(result.table);
  return result.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`conformance: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  },
);
