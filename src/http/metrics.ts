/**
 * Prometheus metrics (prom-client) on a registry of the gateway's own, so two gateways in one
 * process (tests) never share counters. What feeds them (the CXone client's hooks, handoff events)
 * is wired in `src/composition/metrics-policy.ts`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface GatewayMetrics {
  readonly registry: Registry;
  /** GraphQL requests by operation name and outcome (`ok` or the first error's code). */
  readonly requests: Counter<'operation' | 'outcome'>;
  /** Handoffs entering each state (a transition counter: PENDING on accept, then the final state). */
  readonly handoffTransitions: Counter<'state'>;
  /** CXone HTTP exchanges by kind and status (or `error`). */
  readonly cxoneRequests: Counter<'kind' | 'status'>;
  readonly cxoneLatency: Histogram<'kind'>;
  /** Token requests made to CXone. */
  readonly tokenFetches: Counter;
  /** Each tenant's CXone circuit breaker: 0 closed, 1 half-open, 2 open. */
  readonly cxoneBreaker: Gauge<'tenant'>;
  /** Signals throttled, by tenant and reason (`upstream`: CXone answered 429; `circuit_open`: not sent). */
  readonly cxoneThrottled: Counter<'tenant' | 'reason'>;
  /** Each paced tenant's pace (requests per second, as set or cut at the last 429; 0 when not paced). */
  readonly cxonePace: Gauge<'tenant'>;
  /** PENDING handoffs the retry worker saw due on its last pass. */
  readonly workerBacklog: Gauge;
  /** Reloads of the tenants file by outcome (`applied` or `refused`). */
  readonly tenantsReloads: Counter<'outcome'>;
  /** Rows the retention worker deleted, by table (`handoffs`, `calls`). */
  readonly retentionPurged: Counter<'table'>;
}

/** Creates the registry and every metric; `defaults` adds Node's process metrics (RSS, event loop lag). */
export function createMetrics(options: { readonly defaults?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.defaults ?? true) {
    collectDefaultMetrics({ register: registry });
  }
  const requests = new Counter({
    name: 'cxgw_graphql_requests_total',
    help: 'GraphQL requests by operation and outcome.',
    labelNames: ['operation', 'outcome'] as const,
    registers: [registry],
  });
  const handoffTransitions = new Counter({
    name: 'cxgw_handoff_transitions_total',
    help: 'Handoffs entering a state.',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const cxoneRequests = new Counter({
    name: 'cxgw_cxone_requests_total',
    help: 'CXone HTTP exchanges by kind (token, discovery, signal) and status.',
    labelNames: ['kind', 'status'] as const,
    registers: [registry],
  });
  const cxoneLatency = new Histogram({
    name: 'cxgw_cxone_request_duration_seconds',
    help: 'Latency of CXone HTTP exchanges.',
    labelNames: ['kind'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [registry],
  });
  const tokenFetches = new Counter({
    name: 'cxgw_cxone_token_fetches_total',
    help: 'Token requests made to CXone.',
    registers: [registry],
  });
  const cxoneBreaker = new Gauge({
    name: 'cxgw_cxone_circuit_state',
    help: "A tenant's CXone circuit breaker: 0 closed, 1 half-open, 2 open.",
    labelNames: ['tenant'] as const,
    registers: [registry],
  });
  const cxoneThrottled = new Counter({
    name: 'cxgw_cxone_throttled_total',
    help: 'Signals throttled, by tenant and reason (upstream: CXone answered 429; circuit_open: not sent, breaker open; paced: not sent, no slot at the pace before the deadline).',
    labelNames: ['tenant', 'reason'] as const,
    registers: [registry],
  });
  const cxonePace = new Gauge({
    name: 'cxgw_cxone_signal_pace',
    help: "Signal API requests per second a tenant is paced at, as set by CXone's last 429 (0: not paced).",
    labelNames: ['tenant'] as const,
    registers: [registry],
  });
  const workerBacklog = new Gauge({
    name: 'cxgw_retry_worker_backlog',
    help: 'PENDING handoffs due for the retry worker on its last pass.',
    registers: [registry],
  });
  const tenantsReloads = new Counter({
    name: 'cxgw_tenants_reloads_total',
    help: 'Reloads of the tenants file by outcome (applied, refused).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const retentionPurged = new Counter({
    name: 'cxgw_retention_purged_rows_total',
    help: 'Rows the retention worker deleted (older than RETENTION_DAYS), by table (handoffs, calls).',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  return { registry, requests, handoffTransitions, cxoneRequests, cxoneLatency, tokenFetches, cxoneBreaker, cxoneThrottled, cxonePace, workerBacklog, tenantsReloads, retentionPurged };
}
