/**
 * Tracing's parts without a server (README, "Tracing"): the SDK is loaded only when an exporter is
 * configured; the traced store makes one span per call, and only inside a trace; the CXone client
 * sends `traceparent` when tracing is on and nothing when it is off.
 */
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { MockAgent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { inSpan } from '../../src/common/tracing.js';
import { TRACED_STORE_METHODS, traceStore } from '../../src/composition/traced-store.js';
import { createSdkTracing, type TracingHandle } from '../../src/composition/tracing-sdk.js';
import { startTracing, type SdkLoader } from '../../src/composition/tracing.js';
import { type HandoffStore } from '../../src/handoff/ports.js';
import { createNiceClient } from '../../src/nice/nice.client.js';
import { type NiceTenant } from '../../src/nice/types.js';

const exporter = new InMemorySpanExporter();
let handle: TracingHandle;
beforeAll(() => {
  handle = createSdkTracing({ serviceName: 'unit', exporter, batch: false });
});
afterAll(() => handle.shutdown());
afterEach(() => exporter.reset());

describe('startTracing', () => {
  it('with no exporter configured, answers off without loading the SDK', async () => {
    const load = vi.fn<SdkLoader>(() => import('../../src/composition/tracing-sdk.js'));
    expect(await startTracing({ exporter: 'none' }, load)).toBeUndefined();
    expect(load).not.toHaveBeenCalled();
  });

  it('with OTEL_TRACES_EXPORTER=otlp, loads the SDK and sends spans to the collector as OTLP/HTTP', async () => {
    const received: { path: string | undefined; body: string }[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        received.push({ path: req.url, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const load = vi.fn<SdkLoader>(() => import('../../src/composition/tracing-sdk.js'));
      const url = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`;
      const started = await startTracing({ exporter: 'otlp', serviceName: 'unit-otlp', url }, load);
      expect(load).toHaveBeenCalledTimes(1);
      started?.tracing.tracer.startSpan('probe').end();
      // Shutdown flushes the batch.
      await started?.shutdown();
      expect(received.map((r) => r.path)).toEqual(['/v1/traces']);
      expect(received[0]?.body).toContain('"probe"');
      expect(received[0]?.body).toContain('"unit-otlp"');
    } finally {
      collector.closeAllConnections();
      await new Promise((resolve) => collector.close(resolve));
    }
  });
});

/** A store whose every method resolves with its own name. */
function fakeStore(): HandoffStore {
  const methods = Object.fromEntries([...TRACED_STORE_METHODS, 'close'].map((name) => [name, vi.fn(async () => name)]));
  return methods as unknown as HandoffStore;
}

describe('traceStore', () => {
  it.each(TRACED_STORE_METHODS)('%s: one client span inside a trace, the call passed through', async (method) => {
    const store = fakeStore();
    const traced = traceStore(store, handle.tracing);
    const call = traced[method] as (...args: unknown[]) => Promise<unknown>;
    const result = await inSpan(handle.tracing, 'operation', {}, () => call('tenant', 'x'));
    expect(result).toBe(method);
    expect(store[method]).toHaveBeenCalledWith('tenant', 'x');
    const [span, operation] = exporter.getFinishedSpans();
    expect(span?.name).toBe(`store.${method}`);
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.attributes).toEqual({ 'db.system': 'postgresql', 'db.system.name': 'postgresql', 'db.operation': method, 'db.operation.name': method });
    expect(span?.parentSpanContext?.spanId).toBe(operation?.spanContext().spanId);
  });

  it('makes no span for a call outside a trace (the retry worker polling)', async () => {
    const traced = traceStore(fakeStore(), handle.tracing);
    await traced.claimDue({ owner: 'o', now: new Date(), leaseUntil: new Date(), limit: 1 });
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('marks a failed call with its error type only', async () => {
    const store = fakeStore();
    vi.mocked(store.get).mockRejectedValue(Object.assign(new Error('duplicate key value (contact 123, params …)'), { name: 'StoreUnavailableError' }));
    const traced = traceStore(store, handle.tracing);
    await expect(inSpan(handle.tracing, 'operation', {}, () => traced.get('t', 'id'))).rejects.toThrow('duplicate key');
    const span = exporter.getFinishedSpans().find((s) => s.name === 'store.get');
    expect(span?.attributes['error.type']).toBe('StoreUnavailableError');
    expect(span?.status.message).toBe('StoreUnavailableError');
    expect(span?.events).toEqual([]);
  });
});

describe('CXone client and traceparent', () => {
  const tenant: NiceTenant = {
    id: 'acme',
    cxone: { issuer: 'https://auth.cxone.test', apiVersion: 'v30.0', apiEndpoint: 'https://api.cxone.test', credentials: { clientId: 'c', clientSecret: 's', accessKeyId: 'k', accessKeySecret: 'ks' } },
  };

  async function signalThrough(tracing: TracingHandle['tracing'] | undefined): Promise<Record<string, unknown>[]> {
    const agent = new MockAgent({ enableCallHistory: true });
    agent.disableNetConnect();
    const auth = agent.get('https://auth.cxone.test');
    auth.intercept({ path: '/.well-known/openid-configuration' }).reply(200, { token_endpoint: 'https://auth.cxone.test/auth/token' }, { headers: { 'content-type': 'application/json' } });
    auth.intercept({ path: '/auth/token', method: 'POST' }).reply(200, { access_token: 'AT1', token_type: 'Bearer', expires_in: 3600 }, { headers: { 'content-type': 'application/json' } });
    agent.get('https://api.cxone.test').intercept({ path: /\/signal$/, method: 'POST' }).reply(202, '');
    const client = createNiceClient({ dispatcher: agent, ...(tracing ? { tracing } : {}) });
    try {
      const run = () => client.signal(tenant, '1001', ['a'], { deadline: Date.now() + 5000 });
      await (tracing ? inSpan(tracing, 'operation', {}, run) : run());
      return (agent.getCallHistory()?.calls() ?? []).map((call) => call.headers as Record<string, unknown>);
    } finally {
      await client.close();
      await agent.close();
    }
  }

  it('sends no traceparent when tracing is off', async () => {
    const headers = await signalThrough(undefined);
    expect(headers).toHaveLength(3);
    for (const h of headers) expect(Object.keys(h).map((k) => k.toLowerCase())).not.toContain('traceparent');
  });

  it('sends each request its own span as the traceparent parent, in the active trace', async () => {
    const headers = await signalThrough(handle.tracing);
    const spans = exporter.getFinishedSpans();
    const operation = spans.find((s) => s.name === 'operation');
    const http = spans.filter((s) => s.kind === SpanKind.CLIENT);
    expect(http.map((s) => s.name)).toEqual(['GET discovery', 'POST token', 'POST signal']);
    expect(headers.map((h) => h.traceparent)).toEqual(http.map((s) => `00-${operation?.spanContext().traceId}-${s.spanContext().spanId}-01`));
  });
});
