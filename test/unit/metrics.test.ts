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

  it('keeps registries apart, so two gateways in one process never share counters', async () => {
    const a = createMetrics({ defaults: false });
    const b = createMetrics({ defaults: false });
    a.tokenFetches.inc();
    expect(await b.registry.getSingleMetricAsString('cxgw_cxone_token_fetches_total')).toContain(
      'cxgw_cxone_token_fetches_total 0',
    );
  });
});
