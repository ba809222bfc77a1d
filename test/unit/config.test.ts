/** `loadConfig`: defaults, the store union, secrets by reference, and every problem reported at once. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_ENV_NAMES, ConfigError, loadConfig } from '../../src/config/config.js';
import { ENV_VARS } from '../../src/config/env-vars.js';
import { MAX_SIGNAL_PARAM_LENGTH } from '../../src/common/signal-limits.js';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);
const SECRET = 'TOP-SECRET-VALUE';

function tenantJson(overrides: Record<string, unknown> = {}, cxone: Record<string, unknown> = {}) {
  return {
    id: 'demo',
    cxone: {
      issuer: 'http://127.0.0.1:4010',
      clientId: 'client-1',
      clientSecret: 'env:DEMO_CLIENT_SECRET',
      accessKeyId: 'env:DEMO_ACCESS_KEY_ID',
      accessKeySecret: 'file:/run/secrets/demo-access-key-secret',
      ...cxone,
    },
    pseudoNumbers: ['+15550100001'],
    keys: [
      { name: 'runtime', sha256: HASH_A, scope: 'signal' },
      { name: 'screen-pop', sha256: HASH_B.toUpperCase(), scope: 'read' },
    ],
    ...overrides,
  };
}

function load(env: Record<string, string | undefined>, tenants: unknown, files: Record<string, string> = {}) {
  const all: Record<string, string> = {
    '/etc/tenants.json': JSON.stringify(tenants),
    '/run/secrets/demo-access-key-secret': `${SECRET}-file\n`,
    ...files,
  };
  return loadConfig(
    { TENANTS_FILE: '/etc/tenants.json', DEMO_CLIENT_SECRET: SECRET, DEMO_ACCESS_KEY_ID: 'key-id', ...env },
    {
      readFile: (path) => {
        const text = all[path];
        if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
        return text;
      },
    },
  );
}

function problems(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults and resolves secret references', () => {
    const config = load({}, { tenants: [tenantJson()] });
    expect(config.http).toEqual({ port: 4000, host: '127.0.0.1', bodyLimitBytes: 65_536, introspection: true, explorer: true, shutdownTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
    expect(config.store).toEqual({ kind: 'pglite', dataDir: './.data' });
    expect(config.signal).toEqual({ waitMs: 3000, budgetMs: 8000, attemptTimeoutMs: 2000, workerIntervalMs: 500, breakerCooldownMs: 10_000, breakerMinimumRps: 25 });
    expect(config.limits).toEqual({ maxParamLength: 256, maxContextBytes: 16_384, maxContextDepth: 32, maxSipInviteBytes: 16_384, maxSipContextBytes: 8192, maxSipContextDepth: 32, maxQueryDepth: 10, maxQueryComplexity: 1000, maxQueryAliases: 15, maxQueryDirectives: 20, maxQueryTokens: 3000,
      maxWebSocketConnections: 1000, maxWebSocketConnectionsPerKey: 50, maxWebSocketConnectionsPerTenant: 500, maxSubscriptionsPerConnection: 10, maxSubscriptionsPerKey: 100, maxSubscriptionsPerTenant: 500, maxSubscriptions: 1000, maxSubscriberBufferBytes: 1_048_576 });
    expect(config.logLevel).toBe('info');
    const [tenant] = config.tenants;
    expect(tenant?.cxone).toEqual({
      issuer: 'http://127.0.0.1:4010',
      apiVersion: 'v30.0',
      apiEndpoint: undefined,
      grant: 'password',
      authEndpoint: undefined,
      signalParams: 'body',
      credentials: { clientId: 'client-1', clientSecret: SECRET, accessKeyId: 'key-id', accessKeySecret: `${SECRET}-file` },
    });
    expect(tenant?.contactIdHeaders).toEqual(['X-InContact-ContactId', 'X-Contact-ID']);
    expect(tenant?.keys.map((k) => k.sha256)).toEqual([HASH_A, HASH_B]);
  });

  it('returns a deeply frozen object', () => {
    const config = load({}, { tenants: [tenantJson()] });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
    expect(Object.isFrozen(config.tenants[0]?.keys[0])).toBe(true);
  });

  it('uses PostgreSQL when DATABASE_URL is set', () => {
    const config = load({ DATABASE_URL: 'postgres://gw:pw@db:5432/gw', DATA_DIR: '/ignored' }, { tenants: [tenantJson()] });
    expect(config.store).toEqual({ kind: 'postgres', url: 'postgres://gw:pw@db:5432/gw', poolSize: 10 });
    expect(load({ DATABASE_URL: 'postgres://db/gw', DATABASE_POOL_SIZE: '25' }, { tenants: [tenantJson()] }).store).toMatchObject({ poolSize: 25 });
  });

  it('turns introspection and the explorer off by default in production, and lets env switch them', () => {
    expect(load({ NODE_ENV: 'production' }, { tenants: [tenantJson()] }).http).toMatchObject({ introspection: false, explorer: false });
    expect(load({ NODE_ENV: 'production', INTROSPECTION: 'on' }, { tenants: [tenantJson()] }).http).toMatchObject({ introspection: true, explorer: false });
    expect(load({ INTROSPECTION: 'false' }, { tenants: [tenantJson()] }).http.introspection).toBe(false);
  });

  it.each([
    { LOG_PRETTY: undefined, logPretty: undefined },
    { LOG_PRETTY: 'true', logPretty: true },
    { LOG_PRETTY: 'off', logPretty: false },
  ])('reads LOG_PRETTY=$LOG_PRETTY as $logPretty (unset: the process decides by its terminal)', ({ LOG_PRETTY, logPretty }) => {
    expect(load(LOG_PRETTY === undefined ? {} : { LOG_PRETTY }, { tenants: [tenantJson()] }).logPretty).toBe(logPretty);
  });

  it.each([
    { env: {}, tracing: { exporter: 'none' } },
    { env: { OTEL_TRACES_EXPORTER: 'none', OTEL_SERVICE_NAME: 'ignored' }, tracing: { exporter: 'none' } },
    { env: { OTEL_TRACES_EXPORTER: 'console' }, tracing: { exporter: 'console', serviceName: 'cxone-gateway' } },
    { env: { OTEL_TRACES_EXPORTER: 'otlp' }, tracing: { exporter: 'otlp', serviceName: 'cxone-gateway', url: 'http://localhost:4318/v1/traces' } },
    {
      env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_SERVICE_NAME: 'gw-eu', OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example:4318/' },
      tracing: { exporter: 'otlp', serviceName: 'gw-eu', url: 'https://otel.example:4318/v1/traces' },
    },
    {
      env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/custom' },
      tracing: { exporter: 'otlp', serviceName: 'cxone-gateway', url: 'http://traces:4318/custom' },
    },
  ])('reads tracing from OTEL_* $env: off unless an exporter is named', ({ env, tracing }) => {
    expect(load(env, { tenants: [tenantJson()] }).tracing).toEqual(tracing);
  });

  it('refuses a bad OTEL_* value by name, without echoing it', () => {
    const list = problems(() =>
      load({ OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_OTLP_ENDPOINT: `grpc://${SECRET}@collector:4317`, OTEL_SERVICE_NAME: ' ' }, { tenants: [tenantJson()] }),
    );
    expect([...list].sort()).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:// or https:// URL',
      'OTEL_SERVICE_NAME: must not be empty',
      'OTEL_TRACES_EXPORTER: must be one of none, otlp, console',
    ]);
  });

  it('has one README configuration row per variable, each once', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
    const rows = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect([...rows].sort()).toEqual(ENV_VARS.map((v) => v.name).sort());
  });

  it('documents exactly the variables it reads in ENV_VARS (the list behind --help)', () => {
    expect(ENV_VARS.map((v) => v.name).sort()).toEqual([...CONFIG_ENV_NAMES].sort());
  });

  it('reports every environment problem together, naming each variable', () => {
    const list = problems(() =>
      load(
        { PORT: '70000', LOG_LEVEL: 'loud', INTROSPECTION: 'maybe', SIGNAL_WAIT_MS: '-1', DATABASE_URL: `mysql://root:${SECRET}@db/x` },
        { tenants: [tenantJson()] },
      ),
    );
    expect([...list].sort()).toEqual([
      'DATABASE_URL: must be a postgres:// or postgresql:// URL',
      'INTROSPECTION: must be true or false (also 1/0, on/off, yes/no)',
      expect.stringMatching(/^LOG_LEVEL: Invalid option/),
      'PORT: must be at most 65535',
      'SIGNAL_WAIT_MS: must be a whole number',
    ]);
    expect(list.join('\n')).not.toContain(SECRET);
  });

  it('requires TENANTS_FILE and reports an unreadable one', () => {
    expect(problems(() => loadConfig({}, { readFile: () => '' }))).toEqual([expect.stringMatching(/^TENANTS_FILE: is required/)]);
    expect(problems(() => load({ TENANTS_FILE: '/nope.json' }, {}))).toEqual(['TENANTS_FILE: cannot read /nope.json (ENOENT)']);
    expect(problems(() => load({}, {}, { '/etc/tenants.json': '{ not json' }))).toEqual([expect.stringMatching(/^\/etc\/tenants\.json: not valid JSON/)]);
  });

  it('reports every tenants-file problem together with the field path, never a secret value', () => {
    const bad = {
      tenants: [
        tenantJson(
          { contactIdHeader: 'ContactID', pseudoNumbers: ['5550100001'] },
          { clientSecret: SECRET, accessKeySecret: 'env:MISSING_VAR', apiVersion: '30', issuer: 'ftp://x' },
        ),
        tenantJson({ keys: [{ name: 'k', sha256: 'xyz', scope: 'admin' }] }, { accessKeySecret: 'file:/missing' }),
      ],
    };
    const list = problems(() => load({}, bad));
    expect(list).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/etc\/tenants\.json: tenants\[0\]\.cxone\.issuer: must be an http\(s\) URL$/),
        expect.stringMatching(/^\/etc\/tenants\.json: tenants\[0\]\.cxone\.apiVersion: /),
        expect.stringMatching(/tenants\[0\]\.cxone\.clientSecret: must be a reference, env:NAME or file:\/path/),
        '/etc/tenants.json: tenants[0].cxone.accessKeySecret: environment variable MISSING_VAR is not set',
        expect.stringMatching(/tenants\[0\]\.pseudoNumbers\[0\]: must be an E\.164 number/),
        expect.stringMatching(/tenants\[0\]\.contactIdHeader: must be a SIP header name starting with X-/),
        '/etc/tenants.json: tenants[1].cxone.accessKeySecret: cannot read secret file /missing (ENOENT)',
        expect.stringMatching(/tenants\[1\]\.keys\[0\]\.sha256: must be the SHA-256 of the key: 64 hex characters/),
        expect.stringMatching(/tenants\[1\]\.keys\[0\]\.scope: /),
      ]),
    );
    expect(list).toHaveLength(9);
    expect(list.join('\n')).not.toContain(SECRET);
  });

  it.each([
    { name: 'the query transport', cxone: { signalParams: 'query' }, expected: { signalParams: 'query', grant: 'password' } },
    {
      name: 'the access-key grant without an API client',
      cxone: { grant: 'access-key', clientId: undefined, clientSecret: undefined, authEndpoint: 'https://na1.nice-incontact.com/' },
      expected: { grant: 'access-key', authEndpoint: 'https://na1.nice-incontact.com', credentials: { clientId: undefined, clientSecret: undefined, accessKeyId: 'key-id', accessKeySecret: `${SECRET}-file` } },
    },
  ])('accepts $name', ({ cxone, expected }) => {
    expect(load({}, { tenants: [tenantJson({}, cxone)] }).tenants[0]?.cxone).toMatchObject(expected);
  });

  it.each([
    { name: 'an unknown transport', cxone: { signalParams: 'form' }, problem: /tenants\[0\]\.cxone\.signalParams: / },
    { name: 'an unknown grant', cxone: { grant: 'client_credentials' }, problem: /tenants\[0\]\.cxone\.grant: / },
    { name: 'an authEndpoint that is no URL', cxone: { grant: 'access-key', authEndpoint: 'na1' }, problem: /tenants\[0\]\.cxone\.authEndpoint: must be an http\(s\) URL$/ },
    { name: 'the password grant without clientId', cxone: { clientId: undefined }, problem: /tenants\[0\]\.cxone\.clientId: is required for the password grant$/ },
    { name: 'the password grant without clientSecret', cxone: { grant: 'password', clientSecret: undefined }, problem: /tenants\[0\]\.cxone\.clientSecret: is required for the password grant$/ },
  ])('refuses $name', ({ cxone, problem }) => {
    expect(problems(() => load({}, { tenants: [tenantJson({}, cxone)] }))).toEqual([expect.stringMatching(problem)]);
  });

  it('caps MAX_PARAM_LENGTH at the signal param limit CXone (the simulator) accepts', () => {
    expect(load({ MAX_PARAM_LENGTH: String(MAX_SIGNAL_PARAM_LENGTH) }, { tenants: [tenantJson()] }).limits.maxParamLength).toBe(MAX_SIGNAL_PARAM_LENGTH);
    expect(problems(() => load({ MAX_PARAM_LENGTH: String(MAX_SIGNAL_PARAM_LENGTH + 1) }, { tenants: [tenantJson()] }))).toEqual([
      `MAX_PARAM_LENGTH: must be at most ${MAX_SIGNAL_PARAM_LENGTH}`,
    ]);
  });

  it('refuses duplicate tenant ids, a pseudo number of two tenants and a key hash used twice', () => {
    const list = problems(() =>
      load({}, { tenants: [tenantJson(), tenantJson({ keys: [{ name: 'again', sha256: HASH_A.toUpperCase(), scope: 'read' }] })] }),
    );
    expect(list).toEqual([
      '/etc/tenants.json: tenants[1].id: duplicate tenant id (also tenants[0].id)',
      '/etc/tenants.json: tenants[1].pseudoNumbers[0]: pseudo number already belongs to tenants[0]; a number has one tenant',
      '/etc/tenants.json: tenants[1].keys[0].sha256: duplicate key hash (also tenants[0].keys[0]); every key must be unique',
    ]);
  });

  it.each<[string, Record<string, unknown>, readonly string[]]>([
    ['the default', {}, ['X-InContact-ContactId', 'X-Contact-ID']],
    ['a list, in its order', { contactIdHeaders: ['X-Contact-ID', 'X-InContact-ContactId', 'X-Acme-Contact'] }, ['X-Contact-ID', 'X-InContact-ContactId', 'X-Acme-Contact']],
    ['the older single contactIdHeader, as a one-element list', { contactIdHeader: 'X-ContactID' }, ['X-ContactID']],
  ])('reads contactIdHeaders: %s', (_name, overrides, expected) => {
    expect(load({}, { tenants: [tenantJson(overrides)] }).tenants[0]?.contactIdHeaders).toEqual(expected);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['both contactIdHeader and contactIdHeaders', { contactIdHeader: 'X-A', contactIdHeaders: ['X-B'] }, /tenants\[0\]\.contactIdHeader: give contactIdHeaders \(a list\) or the older contactIdHeader, not both$/],
    ['an empty list', { contactIdHeaders: [] }, /tenants\[0\]\.contactIdHeaders: must name at least one header$/],
    ['a name that is not an X- header', { contactIdHeaders: ['X-InContact-ContactId', 'Contact'] }, /tenants\[0\]\.contactIdHeaders\[1\]: must be a SIP header name starting with X-$/],
    ['a header named twice in another case', { contactIdHeaders: ['X-Contact-ID', 'x-contact-id'] }, /tenants\[0\]\.contactIdHeaders: must not name a header twice/],
  ])('refuses contactIdHeaders with %s', (_name, overrides, message) => {
    expect(problems(() => load({}, { tenants: [tenantJson(overrides)] }))).toEqual([expect.stringMatching(message)]);
  });

  it('reads an optional polyai account and project per tenant (the Handoff API path), absent by default', () => {
    const config = load({}, { tenants: [tenantJson({ polyai: { accountId: 'ws-1a2b3c4d', projectId: 'PROJECT-9f8e7d6c' } })] });
    expect(config.tenants[0]?.polyai).toEqual({ accountId: 'ws-1a2b3c4d', projectId: 'PROJECT-9f8e7d6c' });
    expect(load({}, { tenants: [tenantJson()] }).tenants[0]?.polyai).toBeUndefined();
  });

  it('refuses malformed polyai ids, naming the field', () => {
    const list = problems(() =>
      load({}, { tenants: [tenantJson({ polyai: { accountId: '../etc', projectId: '' } }), tenantJson({ id: 'other', pseudoNumbers: [], keys: [{ name: 'k', sha256: 'c'.repeat(64), scope: 'read' }], polyai: { accountId: 'ws-1' } })] }),
    );
    expect(list).toEqual([
      '/etc/tenants.json: tenants[0].polyai.accountId: must be 1..100 letters, digits, _ or -, starting with a letter or digit',
      '/etc/tenants.json: tenants[0].polyai.projectId: must be 1..100 letters, digits, _ or -, starting with a letter or digit',
      '/etc/tenants.json: tenants[1].polyai.projectId: Invalid input: expected string, received undefined',
    ]);
  });

  it('refuses a PolyAI account and project given to two tenants', () => {
    const polyai = { accountId: 'ws-1', projectId: 'PROJECT-1' };
    const list = problems(() =>
      load({}, { tenants: [tenantJson({ polyai }), tenantJson({ id: 'other', pseudoNumbers: [], keys: [{ name: 'k', sha256: 'c'.repeat(64), scope: 'read' }], polyai })] }),
    );
    expect(list).toEqual(['/etc/tenants.json: tenants[1].polyai: PolyAI account and project already belong to tenants[0]; a project has one tenant']);
    // The same account with another project is another tenant's, which is fine.
    const ok = load({}, { tenants: [tenantJson({ polyai }), tenantJson({ id: 'other', pseudoNumbers: [], keys: [{ name: 'k', sha256: 'c'.repeat(64), scope: 'read' }], polyai: { ...polyai, projectId: 'PROJECT-2' } })] });
    expect(ok.tenants.map((t) => t.polyai?.projectId)).toEqual(['PROJECT-1', 'PROJECT-2']);
  });

  it('refuses unknown fields and typos at every level, naming each, instead of silently applying defaults', () => {
    const tenant = tenantJson({ contactIdHeadr: 'X-InContact-ContactId', pseudoNumber: '+15550100009', keys: [{ name: 'k', sha256: HASH_A, scope: 'signal', scopes: ['read'] }] }, { apiVerison: 'v31.0' });
    const list = problems(() => load({}, { tenants: [tenant], tenant: [] }));
    expect(list).toHaveLength(4);
    expect(list).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/etc\/tenants\.json: \(root\): Unrecognized key: "tenant"$/),
        expect.stringMatching(/^\/etc\/tenants\.json: tenants\[0\]: Unrecognized keys: "contactIdHeadr", "pseudoNumber"$/),
        expect.stringMatching(/^\/etc\/tenants\.json: tenants\[0\]\.cxone: Unrecognized key: "apiVerison"$/),
        expect.stringMatching(/^\/etc\/tenants\.json: tenants\[0\]\.keys\[0\]: Unrecognized key: "scopes"$/),
      ]),
    );
    expect(list.join('\n')).not.toContain('X-InContact-ContactId');
  });

  it('refuses a file with no tenants and YAML files', () => {
    expect(problems(() => load({}, { tenants: [] }))).toEqual(['/etc/tenants.json: tenants: at least one tenant is required']);
    expect(problems(() => load({ TENANTS_FILE: '/etc/t.yaml' }, {}, { '/etc/t.yaml': 'tenants: []' }))).toEqual([
      '/etc/t.yaml: YAML tenants files are not supported; write the same structure as JSON',
    ]);
  });

  it('says how many problems there are in the error message', () => {
    expect(() => load({ PORT: 'x', HOST: '' }, { tenants: [] })).toThrow(/^Invalid configuration \(2 problems\):\n {2}- PORT: must be a whole number\n/);
  });
});
