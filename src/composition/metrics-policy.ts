/**
 * What the gateway counts, and when: the CXone client's hooks feed the CXone metrics, the handoff
 * events feed the transitions counter, the worker-backlog gauge and the purged-rows counter. The metrics themselves are
 * declared in `src/http/metrics.ts`; this is the only place that knows both sides.
 */
import { type HandoffEvents } from '../handoff/ports.js';
import { type GatewayMetrics } from '../http/metrics.js';
import { type NiceHooks } from '../nice/types.js';

const BREAKER_GAUGE = { closed: 0, 'half-open': 1, open: 2 } as const;

/** Hooks for the CXone client: every upstream exchange by kind and status, its latency, token fetches, breaker states, throttled signals and paces. */
export function niceMetricsHooks(metrics: GatewayMetrics): NiceHooks {
  return {
    onUpstream({ kind, outcome, ms }) {
      metrics.cxoneRequests.inc({ kind, status: String(outcome) });
      metrics.cxoneLatency.observe({ kind }, ms / 1000);
      if (kind === 'token') metrics.tokenFetches.inc();
    },
    onBreaker({ tenantId, state }) {
      metrics.cxoneBreaker.set({ tenant: tenantId }, BREAKER_GAUGE[state]);
    },
    onThrottled({ tenantId, reason }) {
      metrics.cxoneThrottled.inc({ tenant: tenantId, reason });
    },
    onPace({ tenantId, perSecond }) {
      metrics.cxonePace.set({ tenant: tenantId }, perSecond ?? 0);
    },
  };
}

/**
 * Handoff events for the metrics. Entries into a state are counted: acceptance (PENDING, nothing
 * tried yet) and each outcome; retry progress (PENDING with a lastError) and a retryHandoff
 * reopening are not.
 */
export function handoffMetricsEvents(metrics: GatewayMetrics): Required<HandoffEvents> {
  return {
    handoffChanged(handoff) {
      if (handoff.state !== 'PENDING' || (handoff.attempts === 0 && handoff.lastError === null)) {
        metrics.handoffTransitions.inc({ state: handoff.state });
      }
    },
    workerPass(claimed) {
      metrics.workerBacklog.set(claimed);
    },
    purged({ handoffs, calls }) {
      metrics.retentionPurged.inc({ table: 'handoffs' }, handoffs);
      metrics.retentionPurged.inc({ table: 'calls' }, calls);
    },
  };
}
