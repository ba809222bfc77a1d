/**
 * What an operator sees of one signalContact (docs/architecture.md, "Operations"): the Prometheus counters, the CXone latency
 * histogram and the token fetch on `/metrics`, and JSON log lines that carry the request id, tenant,
 * contact id and handoff id but never a key, secret or token. The gateway runs in process with its
 * log captured and its CXone traffic recorded, against the real simulator.
 */
import { recordingDispatcher } from '../helpers/recording-dispatcher.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/common/logger.js';
import { DEMO } from '../../simulator/index.js';
import { STACK_KEYS, startStack, type Stack } from '../helpers/stack.js';
import { SIGNAL, type HandoffView } from './gateway-operations.js';

const REQUEST_ID = 'ops-test-request-1';

describe('operations: metrics and logs of one signalContact', () => {
  const lines: string[] = [];
  const cxone = recordingDispatcher();
  let stack: Stack;
  let contactId: string;
  let handoff: HandoffView;
  /** How long the signalContact request took, seen from this test (an upper bound of any duration inside it). */
  let requestSeconds: number;

  beforeAll(async () => {
    const log = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    stack = await startStack({ deps: { log, dispatcher: cxone.dispatcher } });
    ({ contactId } = await stack.sim.createCall());
    const started = performance.now();
    const res = await fetch(stack.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${STACK_KEYS.signal}`, 'x-request-id': REQUEST_ID },
      body: JSON.stringify({ query: SIGNAL, variables: { input: { contactId, params: ['billing'], context: { note: 'observability' } } } }),
    });
    handoff = ((await res.json()) as { data: { signalContact: { handoff: HandoffView } } }).data.signalContact.handoff;
    requestSeconds = (performance.now() - started) / 1000;
    expect(handoff.state).toBe('SIGNALED');
  });
  afterAll(async () => {
    await stack?.close();
    await cxone.agent.close();
  });

  it('/metrics counts the request, the transitions, the CXone exchange with its latency, and one token fetch', async () => {
    const res = await fetch(`${stack.gatewayUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const line of [
      'cxgw_graphql_requests_total{operation="signalContact",outcome="ok"} 1',
      'cxgw_handoff_transitions_total{state="PENDING"} 1',
      'cxgw_handoff_transitions_total{state="SIGNALED"} 1',
      'cxgw_cxone_requests_total{kind="signal",status="202"} 1',
      'cxgw_cxone_request_duration_seconds_bucket{le="+Inf",kind="signal"} 1',
      'cxgw_cxone_request_duration_seconds_count{kind="signal"} 1',
      'cxgw_cxone_token_fetches_total 1',
      'cxgw_retry_worker_backlog 0',
    ]) {
      expect(text.split('\n')).toContain(line);
    }
    const seconds = Number(/^cxgw_cxone_request_duration_seconds_sum\{kind="signal"\} (\S+)$/m.exec(text)?.[1]);
    // In seconds, not milliseconds: the CXone exchange happened inside the request this test timed.
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(requestSeconds);
    // Node's own process metrics come along (event loop lag, heap) for the same scrape.
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it('logs JSON lines with the request id, tenant, contact id and handoff id', () => {
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toContainEqual(
      expect.objectContaining({ level: 30, msg: 'signalContact', requestId: REQUEST_ID, tenantId: 'demo', contactId, handoffId: handoff.id, state: 'SIGNALED' }),
    );
    // The caller's X-Request-Id is the request id of every line the request wrote.
    expect(entries.filter((entry) => 'requestId' in entry).map((entry) => entry.requestId)).toEqual(expect.arrayContaining([REQUEST_ID]));
    expect(entries.filter((entry) => 'requestId' in entry && entry.requestId !== REQUEST_ID)).toEqual([]);
    // The service's own lines name the handoff and contact (they outlive the request).
    expect(entries).toContainEqual(expect.objectContaining({ msg: 'handoff signaled', handoffId: handoff.id, contactId }));
    for (const entry of entries) expect(entry).toMatchObject({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), service: 'cxone-gateway' });
    const signaled = lines.find((line) => line.includes('"handoff signaled"')) ?? '';
    expect(signaled.match(/"component":/g)).toHaveLength(1);
  });

  it('never logs the API key, a CXone secret or a CXone token', () => {
    // What the gateway sent to CXone: Basic client credentials to the token endpoint, then the Bearer token.
    const credentials = [...new Set(cxone.authorizations.map((value) => value.replace(/^(Basic|Bearer) /, '')))];
    expect(cxone.authorizations.some((value) => value.startsWith('Basic '))).toBe(true);
    expect(cxone.authorizations.some((value) => value.startsWith('Bearer '))).toBe(true);
    const all = lines.join('\n');
    for (const secret of [STACK_KEYS.signal, DEMO.clientSecret, DEMO.accessKeySecret, ...credentials]) {
      expect(all).not.toContain(secret);
    }
    expect(all).not.toMatch(/Bearer [^[]/);
  });
});
