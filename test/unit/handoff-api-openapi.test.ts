/**
 * `docs/handoff-api.openapi.json` against the route's real answers (fastify `inject` over fake
 * handoffs): every main case answers with a documented status whose body fits the documented schema
 * (required keys, types, enums, patterns, no undocumented keys where the schema closes them). A
 * small checker of the OpenAPI 3.0 subset the document uses does the fitting.
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/common/logger.js';
import { EXTERNAL_ID_PATTERN, HANDOFF_STATES } from '../../src/common/vocabulary.js';
import { type Tenant } from '../../src/config/tenant.js';
import { createTenantRegistry } from '../../src/config/tenant-registry.js';
import { StoreUnavailableError } from '../../src/handoff/errors.js';
import { hashKey } from '../../src/http/auth.js';
import { HANDOFF_API_ROUTE } from '../../src/http/handoff-api.js';
import { createHttpServer, type HttpServer } from '../../src/http/server.js';
import { FakeHandoffs } from './graphql-fake-handoffs.js';
import { testHttpConfig } from './http-config.js';

interface Schema {
  readonly $ref?: string;
  readonly type?: 'object' | 'string' | 'array' | 'number' | 'integer' | 'boolean';
  readonly nullable?: boolean;
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly additionalProperties?: boolean;
  readonly items?: Schema;
  readonly maxItems?: number;
  readonly enum?: readonly unknown[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly format?: string;
}

interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Record<string, { get: { parameters: { name: string; in: string; schema: Schema }[]; responses: Record<string, { content: { 'application/json': { schema: Schema } } }> } }>;
  readonly components: { readonly schemas: Record<string, Schema>; readonly securitySchemes: Record<string, { type: string; in: string; name: string }> };
}

const DOC = JSON.parse(readFileSync(new URL('../../docs/handoff-api.openapi.json', import.meta.url), 'utf8')) as OpenApiDocument;
const DOC_PATH = '/v1/{account_id}/{project_id}/handoff_state';
const OPERATION = DOC.paths[DOC_PATH]?.get;

function resolve(schema: Schema): Schema {
  if (schema.$ref === undefined) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  const target = DOC.components.schemas[name];
  if (target === undefined) throw new Error(`unresolved ${schema.$ref}`);
  return resolve(target);
}

const FORMATS: Record<string, RegExp> = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  'date-time': /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/,
};

/** Every way `value` does not fit `schema`, as `path: problem` lines (empty: it fits). */
function misfits(value: unknown, schemaOrRef: Schema, path = '$'): string[] {
  const schema = resolve(schemaOrRef);
  if (value === null) return schema.nullable === true || schema.type === undefined ? [] : [`${path}: null but not nullable`];
  const out: string[] = [];
  if (schema.enum !== undefined && !schema.enum.includes(value)) out.push(`${path}: not one of ${schema.enum.join(', ')}`);
  switch (schema.type) {
    case undefined:
      break;
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: not an object`];
      const record = value as Record<string, unknown>;
      for (const key of schema.required ?? []) if (!(key in record)) out.push(`${path}.${key}: required but missing`);
      for (const [key, item] of Object.entries(record)) {
        const property = schema.properties?.[key];
        if (property !== undefined) out.push(...misfits(item, property, `${path}.${key}`));
        else if (schema.additionalProperties === false) out.push(`${path}.${key}: not documented`);
      }
      break;
    }
    case 'array':
      if (!Array.isArray(value)) return [`${path}: not an array`];
      if (schema.maxItems !== undefined && value.length > schema.maxItems) out.push(`${path}: more than ${schema.maxItems} items`);
      if (schema.items !== undefined) value.forEach((item, i) => out.push(...misfits(item, schema.items as Schema, `${path}[${i}]`)));
      break;
    case 'string':
      if (typeof value !== 'string') return [`${path}: not a string`];
      if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) out.push(`${path}: does not match ${schema.pattern}`);
      if (schema.minLength !== undefined && value.length < schema.minLength) out.push(`${path}: shorter than ${schema.minLength}`);
      if (schema.maxLength !== undefined && value.length > schema.maxLength) out.push(`${path}: longer than ${schema.maxLength}`);
      if (schema.format !== undefined && FORMATS[schema.format]?.test(value) === false) out.push(`${path}: not a ${schema.format}`);
      break;
    default:
      if (typeof value !== (schema.type === 'integer' ? 'number' : schema.type)) out.push(`${path}: not a ${schema.type}`);
  }
  return out;
}

function tenant(id: string, accountId: string): Tenant {
  return {
    id,
    cxone: { issuer: 'http://127.0.0.1:1', apiVersion: 'v30.0', credentials: { clientId: 'c', clientSecret: 's', accessKeyId: 'k', accessKeySecret: 'ks' } },
    pseudoNumbers: [],
    contactIdHeaders: ['X-InContact-ContactId'],
    keys: [
      { name: 'runtime', sha256: hashKey(`${id}-signal`), scope: 'signal' },
      { name: 'screen-pop', sha256: hashKey(`${id}-read`), scope: 'read' },
    ],
    polyai: { accountId, projectId: 'PROJECT-1' },
  };
}

describe('docs/handoff-api.openapi.json', () => {
  const handoffs = new FakeHandoffs();
  const logLines: string[] = [];
  let server: HttpServer;
  let app: FastifyInstance;

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    server = await createHttpServer({
      config: testHttpConfig({
        http: { introspection: false, explorer: false },
        limits: { maxParamLength: 16, maxContextBytes: 1024, maxSipInviteBytes: 512, maxQueryDepth: 4, maxQueryComplexity: 40 },
      }),
      tenants: createTenantRegistry([tenant('acme', 'ws-acme'), tenant('globex', 'ws-globex')]),
      handoffs,
      calls: handoffs,
      store: { ping: async () => undefined },
      parseInvite: () => {
        throw new Error('not used');
      },
      log: createLogger({ level: 'info', destination }),
    });
    app = server.app;
    await handoffs.signal('acme', { contactId: '1001', params: ['billing', 'gold'], context: { customer_id: '12345', handoff_reason: 'dispute' }, idempotencyKey: null });
    await handoffs.signal('acme', { contactId: '1002', params: [], context: ['not', 'an', 'object'], idempotencyKey: null, sharedId: 'crm-9', conversationId: 'conv-9' });
    await handoffs.signal('acme', { contactId: '1003', params: ['p'], context: null, idempotencyKey: null });
  });
  afterAll(async () => await server.close());

  async function get(query: string, key: string | null = 'acme-read', account = 'ws-acme'): Promise<{ status: number; body: unknown }> {
    const res = await app.inject({ method: 'GET', url: `/v1/${account}/PROJECT-1/handoff_state?${query}`, headers: key === null ? {} : { 'x-api-key': key } });
    return { status: res.statusCode, body: res.json() };
  }

  function expectDocumented(answer: { status: number; body: unknown }): void {
    const response = OPERATION?.responses[String(answer.status)];
    expect(response, `status ${answer.status} is documented`).toBeDefined();
    expect(misfits(answer.body, response?.content['application/json'].schema ?? {})).toEqual([]);
  }

  it('documents the route the server serves, PolyAI-style: the path, x-api-key, id and shared_id', () => {
    expect(DOC.openapi).toMatch(/^3\.0\.\d+$/);
    const shape = (path: string) => path.replace(/\{[^}]+\}|:[A-Za-z]+/g, '*');
    expect(shape(DOC_PATH)).toBe(shape(HANDOFF_API_ROUTE));
    expect(OPERATION?.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['path:account_id', 'path:project_id', 'query:id', 'query:shared_id']);
    expect(Object.values(DOC.components.securitySchemes)).toEqual([expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-api-key' })]);
  });

  it('documents the vocabulary the code uses: the states and the id pattern', () => {
    expect(resolve({ $ref: '#/components/schemas/GatewayHandoff' }).properties?.['state']?.enum).toEqual([...HANDOFF_STATES]);
    expect(resolve({ $ref: '#/components/schemas/ExternalId' }).pattern).toBe(EXTERNAL_ID_PATTERN.source);
  });

  it.each([
    ['by contact id (object context)', 'shared_id=1001'],
    ['by explicit shared id (a context that is not an object)', 'shared_id=crm-9'],
    ['by conversation id', 'id=conv-9'],
    ['by contact id (null context)', 'shared_id=1003'],
    ['with a signal key', 'shared_id=1001'],
  ])('answers 200 %s with a body that fits HandoffState', async (name, query) => {
    const answer = await get(query, name.includes('signal key') ? 'acme-signal' : 'acme-read');
    expect(answer.status).toBe(200);
    expectDocumented(answer);
  });

  it('answers by handoff id too, and the fitted body is the documented one', async () => {
    const first = handoffs.handoffs[0];
    const answer = await get(`id=${first?.id ?? ''}`);
    expect(answer).toMatchObject({ status: 200, body: { id: first?.id, shared_id: '1001', data: { customer_id: '12345', gateway: { handoffId: first?.id, params: ['billing', 'gold'] } } } });
    expectDocumented(answer);
  });

  it.each([
    ['400: neither id nor shared_id', '', 'acme-read', 400],
    ['400: a malformed id', `id=${'x'.repeat(129)}`, 'acme-read', 400],
    ['401: no key', 'id=1', null, 401],
    ['401: an unknown key', 'id=1', 'nobody', 401],
    ['404: no such handoff', 'shared_id=999', 'acme-read', 404],
    ["404: another tenant's key", 'shared_id=1001', 'globex-read', 404],
  ])('answers %s with a body that fits Error', async (_name, query, key, status) => {
    const answer = await get(query, key);
    expect(answer.status).toBe(status);
    expectDocumented(answer);
  });

  it('answers 503 when the store is unavailable and 500 (correlation id, also logged) on an unexpected error, both documented', async () => {
    handoffs.failNext(new StoreUnavailableError());
    const unavailable = await get('shared_id=1001');
    expect(unavailable.status).toBe(503);
    expectDocumented(unavailable);

    handoffs.failNext(new Error('boom: a detail only the log may hold'));
    const internal = await get('shared_id=1001');
    expect(internal.status).toBe(500);
    expectDocumented(internal);
    const message = (internal.body as { message: string }).message;
    expect(message).not.toContain('boom');
    const correlationId = /correlation id ([0-9a-f-]{36})/.exec(message)?.[1];
    expect(correlationId).toBeDefined();
    expect(logLines.map((l) => JSON.parse(l) as Record<string, unknown>)).toContainEqual(expect.objectContaining({ correlationId, msg: 'handoff api: unexpected error' }));
  });

  it('has a checker that does reject bodies off the document (so the checks above mean something)', () => {
    const state = { $ref: '#/components/schemas/HandoffState' };
    expect(misfits({ data: { gateway: {} }, shared_id: 1 }, state)).toEqual(
      expect.arrayContaining(['$.id: required but missing', '$.shared_id: not a string', '$.data.gateway.handoffId: required but missing']),
    );
    expect(misfits({ message: 'x', code: 'Y' }, { $ref: '#/components/schemas/Error' })).toEqual(['$.code: not documented']);
    expect(misfits('SIGNALLED', resolve({ $ref: '#/components/schemas/GatewayHandoff' }).properties?.['state'] ?? {})).toHaveLength(1);
  });
});
