/**
 * The gateway's HTTP server: fastify 5 with Apollo Server 5 at `/graphql` (GET and POST, and
 * graphql-ws on the same path), plus the concerns that each live in a file of their own: health
 * (`health.ts`), readiness (`readiness.ts`), metrics (`use-metrics.ts`), the explorer page
 * (`explorer.ts`), the REST Handoff API (`handoff-api.ts`), operation limits for both transports (`operation-limits.ts`), tracing (`tracing.ts`), errors (`error-handler.ts`,
 * `internal-error-status.ts`), request ids and log lines. This file only wires them. Built from its
 * dependencies; listens only when asked, on the port it is given (0 in tests).
 */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { type GatewayConfig } from '../config/config.js';
import { type TenantRegistry } from '../config/tenant-registry.js';
import { type CallOperations, type HandoffOperations } from '../handoff/model.js';
import { type InviteParser } from '../graphql/call.resolver.js';
import { type GatewayContext } from '../graphql/context.js';
import { createFormatError } from '../graphql/errors.js';
import { type InProcessPubSub } from '../graphql/pub-sub.js';
import { buildGatewaySchema } from '../graphql/schema.js';
import { authenticate } from './auth.js';
import { useGraphQLShapedErrors } from './error-handler.js';
import { useHandoffApi } from './handoff-api.js';
import { useHealthCheck } from './health.js';
import { internalErrorStatusPlugin } from './internal-error-status.js';
import { OperationLimiter } from './operation-limits.js';
import { useReadinessCheck } from './readiness.js';
import { requireKeyPlugin } from './require-key.js';
import { lazyChildLoggerFactory } from './lazy-child-logger.js';
import { requestIdOf } from './request-id.js';
import { RequestLogController } from './request-log.js';
import { type ExplorerHandoffApi, type ExplorerPage, type ExplorerTab, registerExplorer, sendExplorerPage, wantsExplorer } from './explorer.js';
import { type GatewayMetrics } from './metrics.js';
import { attachSubscriptionServer, subscriptionsOverHttpPlugin } from './subscriptions.js';
import { metricsPlugin, useMetricsEndpoint } from './use-metrics.js';
import { inOperationSpan, tracingPlugin } from './tracing.js';
import { type Tracing } from '../common/tracing.js';

export interface HttpServerDeps {
  readonly config: Pick<GatewayConfig, 'http' | 'limits'>;
  readonly tenants: TenantRegistry;
  readonly handoffs: HandoffOperations;
  readonly calls: CallOperations;
  /** Readiness: resolves when the store answers. */
  readonly store: { ping(): Promise<void> };
  readonly parseInvite: InviteParser;
  readonly log: FastifyBaseLogger;
  readonly metrics?: GatewayMetrics;
  /** Tabs the explorer opens with (e.g. the dev launcher's keys); a sample query otherwise. */
  readonly explorerTabs?: readonly ExplorerTab[];
  /**
   * What the explorer's Handoff API panel starts with. Without it the panel is shown (empty) when a
   * tenant at start has a PolyAI project, the only case in which the route can answer anything but 404.
   */
  readonly explorerHandoffApi?: ExplorerHandoffApi;
  /** Feeds the `handoffChanged` subscription (graphql-ws on the same port and path). */
  readonly pubSub?: InProcessPubSub;
  /** OpenTelemetry: a server span per GraphQL operation over HTTP (`tracing.ts`); absent: off. */
  readonly tracing?: Tracing;
}

export interface HttpServer {
  /** Starts listening; resolves to the base URL (`http://127.0.0.1:PORT`). */
  listen(port: number, host: string): Promise<string>;
  /** Stops accepting, lets in-flight requests finish (up to `shutdownTimeoutMs`), then stops Apollo. */
  close(): Promise<void>;
  /** The fastify instance, for `inject` in tests. */
  readonly app: FastifyInstance;
}

const GRAPHQL_PATH = '/graphql';
/** How long close() lets WebSocket clients answer the close frame before cutting them. */
const WEBSOCKET_CLOSE_GRACE_MS = 1000;

const SAMPLE_TAB: ExplorerTab = {
  query: /* GraphQL */ `query HandoffStatus($contactId: String!) {
  handoffStatus(contactId: $contactId) { id state params context attempts lastError { code message } }
}`,
  variables: '{ "contactId": "1001" }',
  headers: '{ "Authorization": "Bearer <your API key>" }',
};

export async function createHttpServer(deps: HttpServerDeps): Promise<HttpServer> {
  const { config, log } = deps;
  const app = Fastify({
    loggerInstance: log,
    bodyLimit: config.http.bodyLimitBytes,
    logController: new RequestLogController({ requestIdLogLabel: 'requestId' }),
    childLoggerFactory: lazyChildLoggerFactory,
    genReqId: requestIdOf,
    forceCloseConnections: 'idle',
    // A request (headers and body) must arrive within REQUEST_TIMEOUT_MS, or Node answers 408 and
    // closes the connection: a client trickling a body a byte at a time holds no socket for long.
    // Node checks every connectionsCheckingInterval (30 s by default, a whole default timeout).
    requestTimeout: config.http.requestTimeoutMs,
    http: {
      requestTimeout: config.http.requestTimeoutMs,
      headersTimeout: Math.min(60_000, config.http.requestTimeoutMs),
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.http.requestTimeoutMs / 4))),
    },
    return503OnClosing: true,
  });

  const schema = await buildGatewaySchema({
    handoffs: deps.handoffs,
    calls: deps.calls,
    tenants: deps.tenants,
    parseInvite: deps.parseInvite,
    limits: config.limits,
    ...(deps.pubSub ? { pubSub: deps.pubSub } : {}),
  });
  // One limiter for both transports: HTTP (below) and graphql-ws (attachSubscriptionServer).
  const operationLimits = new OperationLimiter({
    maxDepth: config.limits.maxQueryDepth,
    maxComplexity: config.limits.maxQueryComplexity,
    maxAliases: config.limits.maxQueryAliases,
    maxDirectives: config.limits.maxQueryDirectives,
    maxTokens: config.limits.maxQueryTokens,
  });
  const apollo = new ApolloServer<GatewayContext>({
    schema,
    csrfPrevention: true,
    introspection: config.http.introspection,
    // Without introspection, "Did you mean …?" in validation errors would hand out the schema one
    // field name at a time, even to a caller without a key.
    hideSchemaDetailsFromClientErrors: !config.http.introspection,
    includeStacktraceInErrorResponses: false,
    persistedQueries: false,
    // The parser stops at this many tokens, so a token bomb costs no more than a legitimate query.
    parseOptions: operationLimits.parseOptions,
    // The process owner (bin.ts) handles SIGTERM and calls close(); Apollo's own handler would stop
    // the server underneath it and re-raise the signal.
    stopOnTerminationSignals: false,
    formatError: createFormatError(log),
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // Apollo installs cache control by default; its willResolveField hook makes Apollo wrap every
      // resolver of every request, and the gateway sets no cache hints (answers are per caller).
      ApolloServerPluginCacheControlDisabled(),
      internalErrorStatusPlugin<GatewayContext>(),
      requireKeyPlugin(),
      subscriptionsOverHttpPlugin<GatewayContext>(),
      operationLimits.plugin<GatewayContext>(),
      ...(deps.metrics ? [metricsPlugin<GatewayContext>(deps.metrics)] : []),
      ...(deps.tracing ? [tracingPlugin<GatewayContext>()] : []),
    ],
  });
  await apollo.start();

  let shuttingDown = false;
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    // A keep-alive connection would otherwise hold close() open until the shutdown timeout.
    if (shuttingDown) void reply.header('connection', 'close');
  });

  useGraphQLShapedErrors(app, { bodyLimitBytes: config.http.bodyLimitBytes });

  const graphqlHandler = fastifyApolloHandler<GatewayContext>(apollo, {
    context: async (request) => {
      const caller = authenticate(request.headers.authorization, deps.tenants);
      const requestLog = caller ? request.log.child({ tenantId: caller.tenant.id }) : request.log;
      return { caller, requestId: request.id, log: requestLog };
    },
  });

  let explorerPage: ExplorerPage | null = null;
  if (config.http.explorer) {
    const handoffApi = deps.explorerHandoffApi ?? (deps.tenants.tenants.some((tenant) => tenant.polyai !== undefined) ? {} : undefined);
    explorerPage = registerExplorer(app, { endpoint: GRAPHQL_PATH, tabs: deps.explorerTabs ?? [SAMPLE_TAB], ...(handoffApi ? { handoffApi } : {}) });
  }

  app.route<{ Reply: string }>({
    method: ['GET', 'POST', 'OPTIONS'],
    url: GRAPHQL_PATH,
    handler: async function (request, reply) {
      if (explorerPage !== null && wantsExplorer(request)) {
        return sendExplorerPage(reply, explorerPage);
      }
      const { tracing } = deps;
      if (tracing === undefined) return await graphqlHandler.call(this, request, reply);
      return await inOperationSpan(tracing, request, reply, async () => await graphqlHandler.call(this, request, reply));
    },
  });

  useHealthCheck(app);
  useHandoffApi(app, { tenants: deps.tenants, handoffs: deps.handoffs, tracing: deps.tracing });
  useReadinessCheck(app, { tenantCount: () => deps.tenants.tenants.length, store: deps.store });
  if (deps.metrics) useMetricsEndpoint(app, deps.metrics);

  await app.ready();

  const subscriptions = attachSubscriptionServer({
    server: app.server,
    path: GRAPHQL_PATH,
    schema,
    tenants: deps.tenants,
    operationLimits,
    limits: {
      maxConnections: config.limits.maxWebSocketConnections,
      maxConnectionsPerKey: config.limits.maxWebSocketConnectionsPerKey,
      maxConnectionsPerTenant: config.limits.maxWebSocketConnectionsPerTenant,
      maxSubscriptionsPerConnection: config.limits.maxSubscriptionsPerConnection,
      maxSubscriptionsPerKey: config.limits.maxSubscriptionsPerKey,
      maxSubscriptionsPerTenant: config.limits.maxSubscriptionsPerTenant,
      maxSubscriptions: config.limits.maxSubscriptions,
      maxBufferedBytes: config.limits.maxSubscriberBufferBytes,
    },
    maxPayloadBytes: config.http.bodyLimitBytes,
    log,
    ...(deps.pubSub ? { pubSub: deps.pubSub } : {}),
    ...(deps.metrics ? { registry: deps.metrics.registry } : {}),
  });

  type Phase = { phase: 'created' } | { phase: 'listening'; url: string } | { phase: 'closing'; done: Promise<void> };
  let state: Phase = { phase: 'created' };

  return {
    app,
    async listen(port, host) {
      if (state.phase !== 'created') throw new Error(`cannot listen: the server is ${state.phase}`);
      await app.listen({ port, host });
      const address = app.server.address();
      const boundPort = typeof address === 'object' && address ? address.port : port;
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
      state = { phase: 'listening', url };
      return url;
    },
    async close() {
      if (state.phase === 'closing') return await state.done;
      shuttingDown = true;
      const done = (async () => {
        // In-flight requests may finish; past the timeout their connections are cut.
        const force = setTimeout(() => app.server.closeAllConnections(), config.http.shutdownTimeoutMs);
        force.unref();
        try {
          // Upgraded sockets keep the HTTP server open: close them first.
          await subscriptions.close(Math.min(WEBSOCKET_CLOSE_GRACE_MS, config.http.shutdownTimeoutMs));
          await app.close();
        } finally {
          clearTimeout(force);
          await apollo.stop();
        }
      })();
      state = { phase: 'closing', done };
      await done;
    },
  };
}

