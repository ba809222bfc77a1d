/**
 * The gateway's HTTP server: fastify 5 with Apollo Server 5 at `/graphql` (GET and POST), health
 * and readiness probes, metrics and the explorer page. Built from its dependencies; listens only
 * when asked, on the port it is given (0 in tests).
 */
import { randomUUID } from 'node:crypto';
import { type IncomingMessage } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { type GatewayConfig } from '../config/config.js';
import { type TenantRegistry } from '../config/tenant-registry.js';
import { type HandoffOperations } from '../handoff/handoff.js';
import { type InviteParser } from '../graphql/call.resolver.js';
import { type GatewayContext } from '../graphql/context.js';
import { BadRequestError, createFormatError, ErrorCode, InternalServerError, PayloadTooLargeError } from '../graphql/errors.js';
import { type InProcessPubSub } from '../graphql/pub-sub.js';
import { buildGatewaySchema } from '../graphql/schema.js';
import { armorLimitsPlugin } from './armor-limits.js';
import { authenticate } from './auth.js';
import { queryLimitsPlugin } from './query-limits.js';
import { RequestLogController } from './request-log.js';
import { type ExplorerTab, registerExplorer, wantsExplorer } from './explorer.js';
import { type GatewayMetrics } from './metrics.js';
import { attachSubscriptionServer, subscriptionsOverHttpPlugin } from './subscriptions.js';

export interface HttpServerDeps {
  readonly config: Pick<GatewayConfig, 'http' | 'limits'>;
  readonly tenants: TenantRegistry;
  readonly handoffs: HandoffOperations;
  /** Readiness: resolves when the store answers. */
  readonly store: { ping(): Promise<void> };
  readonly parseInvite: InviteParser;
  readonly log: FastifyBaseLogger;
  readonly metrics?: GatewayMetrics;
  /** Tabs the explorer opens with (e.g. the dev launcher's keys); a sample query otherwise. */
  readonly explorerTabs?: readonly ExplorerTab[];
  /** Feeds the `handoffChanged` subscription (graphql-ws on the same port and path). */
  readonly pubSub?: InProcessPubSub;
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
const READY_TIMEOUT_MS = 2000;
/** How long close() lets WebSocket clients answer the close frame before cutting them. */
const WEBSOCKET_CLOSE_GRACE_MS = 1000;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const SAMPLE_TAB: ExplorerTab = {
  query: /* GraphQL */ `query HandoffStatus($contactId: String!) {
  handoffStatus(contactId: $contactId) { id state params context attempts lastError { code message } }
}`,
  variables: '{ "contactId": "1001" }',
  headers: '{ "Authorization": "Bearer <your API key>" }',
};

/** A GraphQL-shaped error body for failures that happen before Apollo Server sees the request. */
function errorBody(error: { message: string; extensions: Record<string, unknown> }): string {
  const { http: _http, ...extensions } = error.extensions;
  return JSON.stringify({ errors: [{ message: error.message, extensions }] });
}

/**
 * A response carrying a masked internal error is a 500 even with partial data, so monitoring sees
 * it; statuses that errors set themselves (`extensions.http`) are left alone.
 */
const internalErrorStatusPlugin: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== 'single' || response.http.status !== undefined) return;
        const errors = response.body.singleResult.errors ?? [];
        if (errors.some((e) => e.extensions?.code === ErrorCode.InternalServerError)) response.http.status = 500;
      },
    };
  },
};

/** Counts requests by root field (bounded by the schema, unlike client-chosen operation names). */
function metricsPlugin(metrics: GatewayMetrics): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ operation, response }) {
          const selection = operation?.selectionSet.selections[0];
          const field = selection?.kind === 'Field' ? selection.name.value : 'unknown';
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const code = errors?.[0]?.extensions?.code;
          metrics.requests.inc({ operation: field, outcome: typeof code === 'string' ? code : 'ok' });
        },
      };
    },
  };
}

export async function createHttpServer(deps: HttpServerDeps): Promise<HttpServer> {
  const { config, log } = deps;
  const app = Fastify({
    loggerInstance: log,
    bodyLimit: config.http.bodyLimitBytes,
    logController: new RequestLogController({ requestIdLogLabel: 'requestId' }),
    // A caller's X-Request-Id is kept when it is a plain token, so its logs and ours line up.
    genReqId: (request: IncomingMessage) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });

  const schema = await buildGatewaySchema({
    handoffs: deps.handoffs,
    tenants: deps.tenants,
    parseInvite: deps.parseInvite,
    limits: config.limits,
    ...(deps.pubSub ? { pubSub: deps.pubSub } : {}),
  });
  const apollo = new ApolloServer<GatewayContext>({
    schema,
    csrfPrevention: true,
    introspection: config.http.introspection,
    includeStacktraceInErrorResponses: false,
    persistedQueries: false,
    // The parser stops at this many tokens, so a token bomb costs no more than a legitimate query.
    parseOptions: { maxTokens: config.limits.maxQueryTokens },
    // The process owner (bin.ts) handles SIGTERM and calls close(); Apollo's own handler would stop
    // the server underneath it and re-raise the signal.
    stopOnTerminationSignals: false,
    formatError: createFormatError(log),
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // Apollo installs cache control by default; its willResolveField hook makes Apollo wrap every
      // resolver of every request, and the gateway sets no cache hints (answers are per caller).
      ApolloServerPluginCacheControlDisabled(),
      internalErrorStatusPlugin,
      subscriptionsOverHttpPlugin<GatewayContext>(),
      queryLimitsPlugin<GatewayContext>({ maxDepth: config.limits.maxQueryDepth, maxComplexity: config.limits.maxQueryComplexity }),
      armorLimitsPlugin<GatewayContext>({ maxAliases: config.limits.maxQueryAliases, maxDirectives: config.limits.maxQueryDirectives }),
      ...(deps.metrics ? [metricsPlugin(deps.metrics)] : []),
    ],
  });
  await apollo.start();

  let shuttingDown = false;
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    // A keep-alive connection would otherwise hold close() open until the shutdown timeout.
    if (shuttingDown) void reply.header('connection', 'close');
  });

  // Errors fastify raises before a route runs (body too large, bad JSON, wrong media type) get the
  // same GraphQL shape as every other error, so a client has one error format to read.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
      const tooLarge = new PayloadTooLargeError(config.http.bodyLimitBytes);
      return reply.code(413).type('application/json; charset=utf-8').send(errorBody(tooLarge));
    }
    if (status >= 400 && status < 500) {
      const message =
        error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'Unsupported Content-Type; send application/json.'
          : error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
            ? 'The request body is empty; send a JSON GraphQL request.'
            : 'The request body is not valid JSON.';
      return reply.code(status).type('application/json; charset=utf-8').send(errorBody(new BadRequestError(message)));
    }
    const internal = new InternalServerError();
    request.log.error({ err: error, correlationId: internal.correlationId }, 'unexpected error while handling a request');
    return reply.code(500).type('application/json; charset=utf-8').send(errorBody(internal));
  });

  const graphqlHandler = fastifyApolloHandler<GatewayContext>(apollo, {
    context: async (request) => {
      const caller = authenticate(request.headers.authorization, deps.tenants);
      const requestLog = caller ? request.log.child({ tenantId: caller.tenant.id }) : request.log;
      return { caller, requestId: request.id, log: requestLog };
    },
  });

  let explorerPage: string | null = null;
  if (config.http.explorer) {
    explorerPage = registerExplorer(app, { endpoint: GRAPHQL_PATH, tabs: deps.explorerTabs ?? [SAMPLE_TAB] }).html;
  }

  app.route<{ Reply: string }>({
    method: ['GET', 'POST', 'OPTIONS'],
    url: GRAPHQL_PATH,
    handler: async function (request, reply) {
      if (explorerPage !== null && wantsExplorer(request)) {
        return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(explorerPage);
      }
      return await graphqlHandler.call(this, request, reply);
    },
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (request, reply) => {
    if (deps.tenants.tenants.length === 0) {
      return reply.code(503).send({ status: 'unavailable', reason: 'no tenants loaded' });
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        deps.store.ping(),
        new Promise((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`store ping took longer than ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      request.log.warn({ err: error }, 'readiness: store unreachable');
      return reply.code(503).send({ status: 'unavailable', reason: 'store unreachable' });
    } finally {
      clearTimeout(timer);
    }
    return { status: 'ready' };
  });

  if (deps.metrics) {
    const { registry } = deps.metrics;
    app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  }

  await app.ready();

  const subscriptions = attachSubscriptionServer({
    server: app.server,
    path: GRAPHQL_PATH,
    schema,
    tenants: deps.tenants,
    limits: { maxDepth: config.limits.maxQueryDepth, maxComplexity: config.limits.maxQueryComplexity },
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

