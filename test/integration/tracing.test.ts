/**
 * Tracing (README, "Tracing"; docs/architecture.md, "Operations"): one `signalContact` sent with a
 * caller's W3C `traceparent` makes one trace, the caller's, from the GraphQL operation span through
 * the store spans to the CXone HTTP spans; the simulator logs the `traceparent` it received with
 * that trace id; retries are events; no secret reaches a span. The gateway runs in process with an
 * in-memory exporter; the real simulator answers it.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type Attributes, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { recordingDispatcher } from '../helpers/recording-dispatcher.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSdkTracing, type TracingHandle } from '../../src/composition/tracing-sdk.js';
import { DEMO } from '../../simulator/index.js';
import { DEMO_TENANT, SIGNAL, STACK_KEYS, secretHits, startStack, type HandoffView, type Stack } from '../helpers/stack.js';
import { exitOf, spawnChild } from '../helpers/processes.js';

/** A caller's trace: fresh ids, sampled. */
function callerTrace(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

interface SimLine {
  readonly msg: string;
  readonly route?: string;
  readonly traceparent?: string;
}

describe('tracing: one signalContact, one trace', () => {
  const exporter = new InMemorySpanExporter();
  const simLines: string[] = [];
  const cxone = recordingDispatcher();
  let tracing: TracingHandle;
  let stack: Stack;

  beforeAll(async () => {
    tracing = createSdkTracing({ serviceName: 'cxone-gateway-test', exporter, batch: false });
    const simLog = pino({ level: 'info' }, { write: (line: string) => void simLines.push(line) });
    stack = await startStack({
      tenants: [{ ...DEMO_TENANT, polyai: { accountId: 'ws-trace', projectId: 'PROJECT-trace' } }],
      simulator: { log: simLog },
      deps: { tracing: tracing.tracing, dispatcher: cxone.dispatcher },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await tracing?.shutdown();
    await cxone.agent.close();
  });
  beforeEach(() => {
    exporter.reset();
    simLines.length = 0;
  });

  /** Sends signalContact with `traceparent`; resolves once the operation span has ended. */
  async function signal(traceparent: string, params: readonly string[]): Promise<{ handoff: HandoffView; spans: ReadableSpan[] }> {
    const { contactId } = await stack.sim.createCall();
    const res = await fetch(stack.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${STACK_KEYS.signal}`, traceparent },
      body: JSON.stringify({ query: SIGNAL, variables: { input: { contactId, params, context: { note: 'traced' } } } }),
    });
    const handoff = ((await res.json()) as { data: { signalContact: { handoff: HandoffView } } }).data.signalContact.handoff;
    // The server span ends just after the answer is written.
    const spans = await vi.waitFor(() => {
      const all = exporter.getFinishedSpans();
      if (!all.some((s) => s.kind === SpanKind.SERVER)) throw new Error('the operation span has not ended yet');
      return all;
    });
    return { handoff, spans };
  }

  const named = (spans: readonly ReadableSpan[], name: string): ReadableSpan[] => spans.filter((s) => s.name === name);
  const one = (spans: readonly ReadableSpan[], name: string): ReadableSpan => {
    const found = named(spans, name);
    expect(found, name).toHaveLength(1);
    return found[0] as ReadableSpan;
  };
  const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;
  const idOf = (span: ReadableSpan): string => span.spanContext().spanId;

  it('continues the caller trace from the operation through the store to every CXone request', async () => {
    const caller = callerTrace();
    const { handoff, spans } = await signal(caller.traceparent, ['billing']);
    expect(handoff.state).toBe('SIGNALED');

    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([caller.traceId]));

    const operation = one(spans, 'graphql.operation signalContact');
    expect(operation.kind).toBe(SpanKind.SERVER);
    expect(parentOf(operation)).toBe(caller.spanId);
    expect(operation.attributes).toMatchObject({ 'graphql.operation.type': 'mutation', 'graphql.operation.name': 'Signal', 'http.request.method': 'POST', 'http.response.status_code': 200 });

    // Store calls: children of the operation (or of a span under it), one per HandoffStore call.
    const insert = one(spans, 'store.insertOrGet');
    expect(insert.kind).toBe(SpanKind.CLIENT);
    expect(insert.attributes).toEqual({ 'db.system': 'postgresql', 'db.system.name': 'postgresql', 'db.operation': 'insertOrGet', 'db.operation.name': 'insertOrGet' });
    expect(parentOf(insert)).toBe(idOf(operation));
    expect(one(spans, 'store.complete').attributes['db.operation']).toBe('complete');

    // CXone: one span for the signal call, its HTTP exchanges beneath it.
    const call = one(spans, 'cxone.signal');
    expect(parentOf(call)).toBe(idOf(operation));
    expect(call.attributes['cxone.attempts']).toBe(1);
    const http = spans.filter((s) => s.kind === SpanKind.CLIENT && s.attributes['http.request.method'] !== undefined);
    expect(http.map((s) => s.name).sort()).toEqual(['GET discovery', 'GET discovery', 'POST signal', 'POST token']);
    for (const span of http) {
      expect(parentOf(span)).toBe(idOf(call));
      expect(String(span.attributes['url.full'])).toMatch(new RegExp(`^${stack.simulatorUrl}/[^?]*$`));
    }
    expect(one(spans, 'POST signal').attributes).toMatchObject({ 'http.response.status_code': 202, 'cxone.exchange': 'signal' });
    expect(one(spans, 'POST token').attributes).toMatchObject({ 'http.response.status_code': 200, 'url.full': `${stack.simulatorUrl}/auth/token` });
    // Discovery's query (?tenantId=…) stays out of the span.
    expect(http.map((s) => s.attributes['url.full'])).toContain(`${stack.simulatorUrl}/.well-known/cxone-configuration`);
  });

  it('sends traceparent to CXone: the simulator logs it with the caller trace id and the HTTP span as parent', async () => {
    const caller = callerTrace();
    const { spans } = await signal(caller.traceparent, ['billing']);
    const received = simLines.map((line) => JSON.parse(line) as SimLine).filter((line) => line.msg === 'traceparent received');
    const byRoute = (route: string) => received.filter((line) => line.route === route).map((line) => line.traceparent);
    expect(byRoute('signal')).toEqual([`00-${caller.traceId}-${idOf(one(spans, 'POST signal'))}-01`]);
    // The token is cached from the first test, so this trace fetched none: the last test's token
    // request is checked below by forcing a fresh one.
    expect(byRoute('token')).toEqual([]);
  });

  it('records a retry as an event on the signal span, each try as its own HTTP span', async () => {
    await stack.sim.addFault({ route: 'signal', kind: 'status', status: 503, count: 1 });
    const caller = callerTrace();
    const { handoff, spans } = await signal(caller.traceparent, ['retry']);
    expect(handoff.state).toBe('SIGNALED');
    const call = one(spans, 'cxone.signal');
    expect(call.events.map((e) => [e.name, e.attributes?.['error.type'], e.attributes?.['cxone.attempt']])).toEqual([['cxone.retry', 'CXONE_UNAVAILABLE', 1]]);
    const tries = named(spans, 'POST signal').map((s) => [s.attributes['http.response.status_code'], s.status.code]);
    expect(tries).toEqual([
      [503, SpanStatusCode.ERROR],
      [202, SpanStatusCode.UNSET],
    ]);
    expect(call.attributes['cxone.attempts']).toBe(2);
  });

  it('logs the traceparent of a token request at the simulator', async () => {
    // A 401 on the signal drops the token: the re-send fetches a new one inside this trace.
    await stack.sim.addFault({ route: 'signal', kind: 'status', status: 401, count: 1 });
    const caller = callerTrace();
    const { spans } = await signal(caller.traceparent, ['fresh-token']);
    const tokenLines = simLines.map((line) => JSON.parse(line) as SimLine).filter((line) => line.msg === 'traceparent received' && line.route === 'token');
    expect(tokenLines.map((line) => line.traceparent)).toEqual([`00-${caller.traceId}-${idOf(one(spans, 'POST token'))}-01`]);
  });

  it.each<{ case: string; headers: Record<string, string> }>([
    { case: 'no traceparent', headers: {} },
    { case: 'a malformed traceparent', headers: { traceparent: '00-not-a-trace-01' } },
    { case: 'an all-zero trace id (invalid)', headers: { traceparent: `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01` } },
  ])('starts a trace of its own for a request with $case', async ({ headers }) => {
    const res = await fetch(stack.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${STACK_KEYS.read}`, ...headers },
      body: JSON.stringify({ query: /* GraphQL */ `query { handoffStatus(contactId: "1") { id } }` }),
    });
    expect(res.status).toBe(200);
    const operation = await vi.waitFor(() => one(exporter.getFinishedSpans(), 'graphql.operation handoffStatus'));
    expect(operation.parentSpanContext).toBeUndefined();
    expect(operation.spanContext().traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
    expect(operation.attributes['graphql.operation.name']).toBeUndefined();
    expect(one(exporter.getFinishedSpans(), 'store.latestForContact').spanContext().traceId).toBe(operation.spanContext().traceId);
  });

  it('marks a refused operation with its error code', async () => {
    const caller = callerTrace();
    const res = await fetch(stack.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${STACK_KEYS.read}`, traceparent: caller.traceparent },
      body: JSON.stringify({ query: SIGNAL, variables: { input: { contactId: '1', params: ['a'] } } }),
    });
    expect(res.status).toBe(403);
    const operation = await vi.waitFor(() => one(exporter.getFinishedSpans(), 'graphql.operation signalContact'));
    expect(operation.spanContext().traceId).toBe(caller.traceId);
    expect(operation.status).toEqual({ code: SpanStatusCode.ERROR, message: 'FORBIDDEN' });
    expect(operation.attributes).toMatchObject({ 'error.type': 'FORBIDDEN', 'http.response.status_code': 403 });
  });

  it('keeps the generic name for a request refused before its operation is known (unknown key)', async () => {
    const caller = callerTrace();
    const res = await fetch(stack.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-key', traceparent: caller.traceparent },
      body: JSON.stringify({ query: SIGNAL, variables: { input: { contactId: '1', params: ['a'] } } }),
    });
    expect(res.status).toBe(401);
    const operation = await vi.waitFor(() => one(exporter.getFinishedSpans(), 'graphql.operation'));
    expect(operation.spanContext().traceId).toBe(caller.traceId);
    expect(operation.attributes).toMatchObject({ 'http.response.status_code': 401 });
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });

  it('continues the caller trace through the REST Handoff API, its query left out', async () => {
    const { handoff } = await signal(callerTrace().traceparent, ['screen-pop']);
    exporter.reset();
    const caller = callerTrace();
    const res = await fetch(`${stack.gatewayUrl}/v1/ws-trace/PROJECT-trace/handoff_state?id=${handoff.id}`, { headers: { 'x-api-key': STACK_KEYS.read, traceparent: caller.traceparent } });
    expect(res.status).toBe(200);
    const route = await vi.waitFor(() => one(exporter.getFinishedSpans(), 'GET /v1/{account_id}/{project_id}/handoff_state'));
    expect(route.kind).toBe(SpanKind.SERVER);
    expect(parentOf(route)).toBe(caller.spanId);
    expect(route.attributes).toEqual({
      'http.request.method': 'GET',
      'url.path': '/v1/ws-trace/PROJECT-trace/handoff_state',
      'http.route': '/v1/{account_id}/{project_id}/handoff_state',
      'http.response.status_code': 200,
    });
    expect(parentOf(one(exporter.getFinishedSpans(), 'store.findForScreenPop'))).toBe(idOf(route));
  });

  it('puts no secret in any span: names, attributes, events, status, resource', async () => {
    await signal(callerTrace().traceparent, ['secrets']);
    await stack.sim.addFault({ route: 'token', kind: 'status', status: 500, count: 1 });
    await stack.sim.addFault({ route: 'signal', kind: 'status', status: 401, count: 1 });
    await signal(callerTrace().traceparent, ['secrets-after-faults']);
    const spans = exporter.getFinishedSpans();
    const text = JSON.stringify(
      spans.map((s) => ({
        name: s.name,
        attributes: s.attributes,
        events: s.events.map((e) => ({ name: e.name, attributes: e.attributes ?? ({} as Attributes) })),
        status: s.status,
        resource: s.resource.attributes,
      })),
    );
    const tokens = cxone.authorizations.map((value) => value.replace(/^(Bearer|Basic) /, ''));
    expect(tokens.length).toBeGreaterThan(0);
    const secrets = [DEMO.clientSecret, DEMO.accessKeySecret, STACK_KEYS.signal, STACK_KEYS.read, ...tokens, ...cxone.authorizations];
    expect(secretHits(text, secrets)).toEqual([]);
    expect(text).not.toMatch(/bearer|basic |password|secret/i);
  });
});

/**
 * Run in a fresh Node process on the compiled gateway: loads the whole gateway graph (main.js),
 * starts tracing as the mode says, and prints the OpenTelemetry packages Node has loaded (the SDK
 * is CommonJS, so every package of it that was imported is in the require cache).
 */
const PROBE = `
import { createRequire } from 'node:module';
const { startTracing } = await import(process.cwd() + '/dist/src/composition/tracing.js');
await import(process.cwd() + '/dist/src/main.js');
const handle = await startTracing(process.argv.at(-1) === 'none' ? { exporter: 'none' } : { exporter: 'console', serviceName: 'probe' });
await handle?.shutdown();
const loaded = Object.keys(createRequire(process.cwd() + '/').cache)
  .filter((path) => path.includes('/node_modules/@opentelemetry/'))
  .map((path) => path.split('/node_modules/').at(-1).split('/').slice(0, 2).join('/'));
console.log(JSON.stringify([...new Set(loaded)].sort()));
`;

async function loadedOpenTelemetry(mode: 'none' | 'console'): Promise<string[]> {
  const child = spawnChild(process.execPath, ['--input-type=module', '-e', PROBE, mode], { cwd: fileURLToPath(new URL('../../', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  expect(await exitOf(child)).toEqual({ code: 0, signal: null });
  return JSON.parse(out) as string[];
}

describe('tracing off (OTEL_TRACES_EXPORTER unset)', () => {
  it('loads no OpenTelemetry SDK module: only the API, whose no-op paths are not even taken', async () => {
    expect(await loadedOpenTelemetry('none')).toEqual(['@opentelemetry/api']);
  });

  it('loads the SDK when tracing is on (so the probe above can see it)', async () => {
    expect(await loadedOpenTelemetry('console')).toEqual(expect.arrayContaining(['@opentelemetry/sdk-trace-base', '@opentelemetry/core', '@opentelemetry/context-async-hooks', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/resources']));
  });
});
