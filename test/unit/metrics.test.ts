import { describe, expect, it } from 'vitest';
import { niceMetricsHooks } from '../../src/composition/metrics-policy.js';
import { createMetrics } from '../../src/http/metrics.js';

describe('metrics', () => {
  it('counts CXone exchanges, latency and token fetches from the client hooks', async () => {
    const metrics = createMetrics({ defaults: false });
    niceMetricsHooks(metrics).onUpstream?.({ kind: 'token', outcome: 200, ms: 12 });
    niceMetricsHooks(metrics).onUpstream?.({ kind: 'signal', outcome: 202, ms: 3 });
    niceMetricsHooks(metrics).onUpstream?.({ kind: 'signal', outcome: 'error', ms: 2000 });
    const text = await metrics.registry.metrics();
    expect(text).toContain('cxgw_cxone_token_fetches_total 1');
    expect(text).toContain('cxgw_cxone_requests_total{kind="signal",status="202"} 1');
    expect(text).toContain('cxgw_cxone_requests_total{kind="signal",status="error"} 1');
    expect(text).toContain('cxgw_cxone_request_duration_seconds_bucket{le="0.005",kind="signal"} 1');
  });

  it('exposes each tenant\'s breaker state (gauge) and throttled signals by reason (counter) from the client hooks', async () => {
    const metrics = createMetrics({ defaults: false });
    const hooks = niceMetricsHooks(metrics);
    hooks.onBreaker?.({ tenantId: 'acme', state: 'open' });
    hooks.onBreaker?.({ tenantId: 'beta', state: 'half-open' });
    hooks.onBreaker?.({ tenantId: 'beta', state: 'closed' });
    hooks.onThrottled?.({ tenantId: 'acme', reason: 'upstream' });
    hooks.onThrottled?.({ tenantId: 'acme', reason: 'circuit_open' });
    hooks.onThrottled?.({ tenantId: 'acme', reason: 'circuit_open' });
    const text = await metrics.registry.metrics();
    expect(text).toContain('cxgw_cxone_circuit_state{tenant="acme"} 2');
    expect(text).toContain('cxgw_cxone_circuit_state{tenant="beta"} 0');
    expect(text).toContain('cxgw_cxone_throttled_total{tenant="acme",reason="upstream"} 1');
    expect(text).toContain('cxgw_cxone_throttled_total{tenant="acme",reason="circuit_open"} 2');
  });

  it("exposes each tenant's pace (0 when not paced) and signals not sent for want of a turn", async () => {
    const metrics = createMetrics({ defaults: false });
    const hooks = niceMetricsHooks(metrics);
    hooks.onPace?.({ tenantId: 'acme', perSecond: 20 });
    hooks.onPace?.({ tenantId: 'acme', perSecond: 14 });
    hooks.onPace?.({ tenantId: 'beta', perSecond: 5 });
    hooks.onPace?.({ tenantId: 'beta', perSecond: null });
    hooks.onThrottled?.({ tenantId: 'acme', reason: 'paced' });
    const text = await metrics.registry.metrics();
    expect(text).toContain('cxgw_cxone_signal_pace{tenant="acme"} 14');
    expect(text).toContain('cxgw_cxone_signal_pace{tenant="beta"} 0');
    expect(text).toContain('cxgw_cxone_throttled_total{tenant="acme",reason="paced"} 1');
  });

  it('keeps registries apart, so two gateways in one process never share counters', async () => {
    const a = createMetrics({ defaults: false });
    const b = createMetrics({ defaults: false });
    a.tokenFetches.inc();
    expect(await b.registry.getSingleMetricAsString('cxgw_cxone_token_fetches_total')).toContain(
      'cxgw_cxone_token_fetches_total 0',
    );
  });
});
