/**
 * The production composition: config → store → CXone client → handoff service → HTTP. The only
 * place that builds the real graph; `bin.ts`, the dev launcher and the test stack call it.
 */
import 'reflect-metadata';
import { type Logger as PinoLogger } from 'pino';
import { type Dispatcher } from 'undici';
import { type GatewayConfig } from './config/config.js';
import { createTenantRegistry } from './config/tenant-registry.js';
import { handoffMetricsEvents, niceMetricsHooks } from './composition/metrics-policy.js';
import { startSubscriptionFeed } from './composition/subscription-feed.js';
import { traceStore } from './composition/traced-store.js';
import { startTracing } from './composition/tracing.js';
import { type Tracing } from './common/tracing.js';
import { type ReloadOutcome, startTenantsReloader, type TenantsLoad, type TenantsReloader } from './composition/tenants-reload.js';
import { CallService } from './handoff/call.service.js';
import { HandoffService } from './handoff/handoff.service.js';
import { RetentionWorker, type RetentionSchedule } from './handoff/retention-worker.js';
import { parseInvite } from './handoff/sip-invite.js';
import { type ExplorerHandoffApi, type ExplorerTab } from './http/explorer.js';
import { createMetrics, type GatewayMetrics } from './http/metrics.js';
import { createHttpServer } from './http/server.js';
import { createLogger } from './common/logger.js';
import { UnreachableCaseError } from './common/unreachable.js';
import { createNiceClient } from './nice/nice.client.js';
import { type NiceClient } from './nice/types.js';
import { createStore } from './store/create-store.js';
import { type HandoffEvents, type HandoffStore } from './handoff/ports.js';

/** Parts a caller may supply instead of the ones `startGateway` would build (tests, dev launcher). */
export interface GatewayDeps {
  readonly log?: PinoLogger;
  /** An opened store; closed by `close()` like one the gateway opened itself. */
  readonly store?: HandoffStore;
  readonly nice?: NiceClient;
  /** undici dispatcher for the CXone client (ignored when `nice` is given). */
  readonly dispatcher?: Dispatcher;
  readonly metrics?: GatewayMetrics;
  readonly explorerTabs?: readonly ExplorerTab[];
  /** What the explorer's Handoff API panel starts with (the dev launcher's project and read key). */
  readonly explorerHandoffApi?: ExplorerHandoffApi;
  /** Observers of handoff changes (e.g. a subscription feed), called after the metrics. */
  readonly events?: HandoffEvents;
  /**
   * Reads the tenants file again (for `reloadTenants` and the file watch). Without it the tenants
   * of `config` stay for the life of the gateway.
   */
  readonly loadTenants?: () => TenantsLoad;
  /** Watch `config.tenantsFile` and reload on change (default true when `loadTenants` is given). */
  readonly watchTenantsFile?: boolean;
  /**
   * Tracing to use instead of what `config.tracing` asks for (tests pass one around an in-memory
   * exporter; the caller shuts its SDK down).
   */
  readonly tracing?: Tracing;
  /** When and how much the retention worker purges (tests shorten it); RETENTION_DAYS says whether and what. */
  readonly retentionSchedule?: Partial<RetentionSchedule>;
}

const DAY_MS = 24 * 60 * 60_000;

export interface RunningGateway {
  /** Base URL, e.g. `http://127.0.0.1:4000`; GraphQL is at `${url}/graphql`. */
  readonly url: string;
  readonly metrics: GatewayMetrics;
  /**
   * Graceful stop: stop accepting, close WebSocket connections (1001) and with them their
   * subscriptions, let in-flight requests finish, stop the retention worker (after its current
   * batch) and the retry worker (PENDING rows stay for the next start), close the LISTEN
   * connection, the CXone client and the store.
   */
  close(): Promise<void>;
  /** Reads the tenants file again and puts it in force if valid (SIGHUP); refused files change nothing. */
  reloadTenants(): ReloadOutcome;
}

/** Closes what was opened, in reverse order, reporting (not throwing) failures of later steps. */
async function closeAll(steps: readonly (() => Promise<void>)[], log: PinoLogger): Promise<void> {
  for (const step of [...steps].reverse()) {
    try {
      await step();
    } catch (error) {
      log.error({ err: error }, 'error while shutting down');
    }
  }
}

export async function startGateway(config: GatewayConfig, deps: GatewayDeps = {}): Promise<RunningGateway> {
  const log = deps.log ?? createLogger({ level: config.logLevel });
  const metrics = deps.metrics ?? createMetrics();
  const tenants = createTenantRegistry(config.tenants);
  const opened: (() => Promise<void>)[] = [];
  try {
    const reloader: TenantsReloader | undefined =
      deps.loadTenants === undefined
        ? undefined
        : startTenantsReloader({
            registry: tenants,
            load: deps.loadTenants,
            log,
            metrics,
            ...((deps.watchTenantsFile ?? true) ? { watchFile: config.tenantsFile } : {}),
          });
    if (reloader !== undefined) opened.push(async () => reloader.close());

    // Off (the default) loads nothing of the SDK and leaves every layer on its untraced path.
    let tracing = deps.tracing;
    if (tracing === undefined) {
      const handle = await startTracing(config.tracing);
      if (handle !== undefined) {
        opened.push(() => handle.shutdown());
        tracing = handle.tracing;
      }
    }

    const store = deps.store ?? (await createStore(config.store, { log: log.child({ component: 'store' }) }));
    opened.push(() => store.close());
    // The services' calls are traced; readiness probes and the subscription feed use the store as is.
    const servicesStore = tracing === undefined ? store : traceStore(store, tracing);

    const nice =
      deps.nice ??
      createNiceClient({
        dispatcher: deps.dispatcher,
        attemptTimeoutMs: config.signal.attemptTimeoutMs,
        // One call may use the handoff's whole budget: the client's own cap (8 s by default) would
        // otherwise cut a call short of a longer SIGNAL_BUDGET_MS and CXONE_ATTEMPT_TIMEOUT_MS.
        retry: { totalMs: config.signal.budgetMs },
        breaker: { halfOpenAfterMs: config.signal.breakerCooldownMs, minimumRps: config.signal.breakerMinimumRps },
        log: log.child({ component: 'cxone' }),
        hooks: niceMetricsHooks(metrics),
        tracing,
      });
    opened.push(() => nice.close());

    const feed = await startSubscriptionFeed(config.store, { handoffs: store, log });
    opened.push(() => feed.close());
    const counted = handoffMetricsEvents(metrics);

    const service = new HandoffService({
      store: servicesStore,
      nice,
      tenants: (id) => tenants.get(id),
      // The service names itself (component: handoff); a child here would repeat the key in every line.
      log,
      events: {
        handoffChanged(handoff) {
          counted.handoffChanged(handoff);
          feed.handoffChanged(handoff);
          deps.events?.handoffChanged?.(handoff);
        },
        workerPass(claimed) {
          counted.workerPass(claimed);
          deps.events?.workerPass?.(claimed);
        },
      },
      options: {
        waitMs: config.signal.waitMs,
        budgetMs: config.signal.budgetMs,
        workerIntervalMs: config.signal.workerIntervalMs,
      },
    });
    service.start();
    opened.push(() => service.stop());

    const retention = config.retention;
    switch (retention.kind) {
      case 'off':
        log.info({}, 'retention is off (RETENTION_DAYS=0): handoffs and calls are kept for ever');
        break;
      case 'purge': {
        const worker = new RetentionWorker({
          store,
          log,
          clock: Date.now,
          events: {
            purged(rows) {
              counted.purged(rows);
              deps.events?.purged?.(rows);
            },
          },
          retainMs: retention.days * DAY_MS,
          ...(deps.retentionSchedule ? { schedule: deps.retentionSchedule } : {}),
        });
        worker.start();
        opened.push(() => worker.stop());
        break;
      }
      default:
        throw new UnreachableCaseError(retention);
    }

    const http = await createHttpServer({
      config,
      tenants,
      handoffs: service,
      calls: new CallService({ store: servicesStore, log }),
      store,
      parseInvite: (text, options) =>
        parseInvite(text, {
          ...options,
          maxBytes: config.limits.maxSipInviteBytes,
          maxContextBytes: config.limits.maxSipContextBytes,
          maxContextDepth: config.limits.maxSipContextDepth,
        }),
      log,
      metrics,
      pubSub: feed.pubSub,
      ...(tracing ? { tracing } : {}),
      ...(deps.explorerTabs ? { explorerTabs: deps.explorerTabs } : {}),
      ...(deps.explorerHandoffApi ? { explorerHandoffApi: deps.explorerHandoffApi } : {}),
    });
    opened.push(() => http.close());
    const url = await http.listen(config.http.port, config.http.host);
    log.info({ url, store: config.store.kind, tenants: config.tenants.map((t) => t.id), tracing: config.tracing.exporter }, 'gateway listening');

    let closing: Promise<void> | undefined;
    return {
      url,
      metrics,
      reloadTenants: () => reloader?.reload('SIGHUP') ?? { outcome: 'refused', problems: ['this gateway was started without a tenants loader'] },
      close: () => (closing ??= closeAll(opened, log)),
    };
  } catch (error) {
    await closeAll(opened, log);
    throw error;
  }
}
