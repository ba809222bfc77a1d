/**
 * GraphQL subscriptions over WebSocket (the graphql-ws protocol, `graphql-transport-ws`) on the
 * HTTP server's own port and path: upgrade requests to `/graphql` are handed to a `ws` server.
 *
 * Authentication is the HTTP rule moved to the connection: the API key travels in the
 * `connection_init` payload (`{ "Authorization": "Bearer <key>" }`, or `authorization`) and is
 * checked once, in `onConnect`. A missing, malformed or unknown key closes the socket with 4401
 * (graphql-ws's "Unauthorized", the WebSocket twin of UNAUTHENTICATED); the close reason says why.
 * Both `signal` and `read` keys may subscribe. Browsers cannot send headers on a WebSocket, and
 * cookies play no part, so there is no cross-site hijacking to guard against with Origin checks.
 *
 * Only subscriptions are served here: queries and mutations keep their one path (HTTP POST), with
 * its body limit, logging and metrics. Operations get the HTTP path's checks, through the same
 * `OperationLimiter` (tokens, validation, depth, complexity, aliases, directives: the same codes),
 * and its error format (codes, masking, no `extensions.http`).
 */
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server } from 'node:http';
import { type Duplex } from 'node:stream';
import { type ApolloServerPlugin } from '@apollo/server';
import { type FastifyBaseLogger } from 'fastify';
import { type DocumentNode, getOperationAST, GraphQLError, type GraphQLFormattedError, type GraphQLSchema, validate } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { Gauge, type Registry } from 'prom-client';
import { type WebSocket, WebSocketServer } from 'ws';
import { type TenantRegistry } from '../config/tenant-registry.js';
import { type Caller, type GatewayContext } from '../graphql/context.js';
import { BadRequestError, createFormatError, ErrorCode, UnauthenticatedError } from '../graphql/errors.js';
import { type InProcessPubSub } from '../graphql/pub-sub.js';
import { authenticate } from './auth.js';
import { type OperationLimiter } from './operation-limits.js';

export interface SubscriptionServerDeps {
  /** The HTTP server whose upgrade requests are taken (fastify's `app.server`). */
  readonly server: Server;
  readonly path: string;
  readonly schema: GraphQLSchema;
  readonly tenants: Pick<TenantRegistry, 'findKey'>;
  /** The HTTP transport's operation limits (tokens, depth, complexity, aliases, directives). */
  readonly operationLimits: OperationLimiter;
  /** Largest WebSocket message accepted (the HTTP body limit). */
  readonly maxPayloadBytes: number;
  readonly log: FastifyBaseLogger;
  /** The pubsub feeding the schema's subscriptions (counted in the metrics). */
  readonly pubSub?: InProcessPubSub;
  /** Where the connection and subscription gauges are registered. */
  readonly registry?: Registry;
}

export interface SubscriptionServer {
  /** Open WebSocket connections. */
  readonly connections: number;
  /**
   * Refuses new upgrades, closes every connection with 1001 (Going Away, so clients reconnect to
   * another replica), and cuts those that have not closed within `graceMs`.
   */
  close(graceMs: number): Promise<void>;
}

/** graphql-ws close code for a refused key (its "Unauthorized"). */
export const UNAUTHORIZED_CLOSE_CODE: number = CloseCode.Unauthorized;

/**
 * Apollo Server would *execute* a subscription sent over HTTP (running the field without an event)
 * and fail obscurely; it is refused as BAD_REQUEST, pointing at the WebSocket, before anything runs.
 */
export function subscriptionsOverHttpPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation === 'subscription') {
            throw new BadRequestError('Subscriptions are served over WebSocket (graphql-ws) at /graphql, not over HTTP.');
          }
        },
      };
    },
  };
}

/** What `onConnect` records on the connection. */
interface ConnectionExtra extends Record<PropertyKey, unknown> {
  caller: Caller;
  connectionId: string;
  log: FastifyBaseLogger;
}

/** The key from the `connection_init` payload, as an `Authorization` header value. */
function authorizationOf(params: Readonly<Record<string, unknown>> | undefined): string | undefined | null {
  const value = params?.['Authorization'] ?? params?.['authorization'];
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : null;
}

/** A close reason is at most 123 bytes. */
function closeReason(message: string): string {
  const reason = `Unauthorized: ${message}`;
  return Buffer.byteLength(reason) <= 123 ? reason : 'Unauthorized';
}

/** The gauges of open connections and subscriptions, replacing those of a previous server on the same registry. */
function registerGauges(registry: Registry, wss: WebSocketServer, pubSub: InProcessPubSub | undefined): void {
  const gauges: [string, string, () => number][] = [
    ['cxgw_websocket_connections', 'Open GraphQL WebSocket connections.', () => wss.clients.size],
    ['cxgw_subscriptions_active', 'Active GraphQL subscriptions.', () => pubSub?.size ?? 0],
  ];
  for (const [name, help, read] of gauges) {
    registry.removeSingleMetric(name);
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  }
}

export function attachSubscriptionServer(deps: SubscriptionServerDeps): SubscriptionServer {
  const { schema, log } = deps;
  const wss = new WebSocketServer({ noServer: true, maxPayload: deps.maxPayloadBytes });
  const formatError = createFormatError(log);
  let closing = false;

  /** The HTTP layer's error format: known codes pass, others are masked; `extensions.http` is HTTP-only. */
  const format = (error: GraphQLError): GraphQLFormattedError => {
    const formatted = formatError(error.toJSON(), error);
    if (formatted.extensions === undefined) return formatted;
    const { http: _http, ...extensions } = formatted.extensions;
    return { ...formatted, extensions };
  };

  const refuse = (socket: WebSocket, message: string): false => {
    socket.close(UNAUTHORIZED_CLOSE_CODE, closeReason(message));
    return false;
  };

  useServer<Record<string, unknown>, ConnectionExtra>(
    {
      schema,
      // Never put an internal error's message in a close reason.
      isProd: true,
      onConnect(ctx) {
        const header = authorizationOf(ctx.connectionParams);
        if (header === null) return refuse(ctx.extra.socket, 'connectionParams.Authorization must be a string `Bearer <key>`.');
        let caller: Caller | null;
        try {
          caller = authenticate(header, deps.tenants);
        } catch (error) {
          return refuse(ctx.extra.socket, error instanceof UnauthenticatedError ? error.message : 'Unknown API key.');
        }
        if (caller === null) return refuse(ctx.extra.socket, 'send connectionParams { Authorization: "Bearer <key>" }.');
        const connectionId = randomUUID();
        ctx.extra.caller = caller;
        ctx.extra.connectionId = connectionId;
        ctx.extra.log = log.child({ connectionId, tenantId: caller.tenant.id });
        ctx.extra.log.info({ keyName: caller.keyName }, 'subscription connection opened');
        return true;
      },
      onDisconnect(ctx, code) {
        ctx.extra.log?.info({ code }, 'subscription connection closed');
      },
      onSubscribe(ctx, id, payload) {
        const { caller, connectionId } = ctx.extra;
        const connectionLog = ctx.extra.log;
        // graphql-ws runs this only on acknowledged connections, which onConnect always labels.
        if (caller === undefined || connectionId === undefined || connectionLog === undefined) return [new UnauthenticatedError()];
        let document: DocumentNode;
        try {
          document = deps.operationLimits.parse(payload.query);
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const invalid = validate(schema, document);
        if (invalid.length > 0) {
          return invalid.map((e) => new GraphQLError(e.message, { nodes: e.nodes ?? null, extensions: { code: ErrorCode.GraphqlValidationFailed } }));
        }
        const operation = getOperationAST(document, payload.operationName ?? undefined);
        if (!operation) {
          return [
            new GraphQLError('Send one operation, or name the one to run in operationName.', {
              extensions: { code: ErrorCode.OperationResolutionFailure },
            }),
          ];
        }
        if (operation.operation !== 'subscription') {
          return [new BadRequestError('Only subscriptions are served over WebSocket; send queries and mutations with HTTP POST /graphql.')];
        }
        const variables = payload.variables ?? {};
        try {
          deps.operationLimits.check(schema, document, operation, variables);
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          throw error;
        }
        const requestId = `${connectionId}/${id}`;
        const context: GatewayContext = { caller, requestId, log: connectionLog.child({ requestId }) };
        connectionLog.debug({ requestId, operationName: payload.operationName ?? null }, 'subscribe');
        return {
          schema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: variables,
          contextValue: context,
        };
      },
      onNext(_ctx, _id, _payload, _args, result) {
        if (result.errors === undefined) return;
        return { ...result, errors: result.errors.map(format) };
      },
      onError(_ctx, _id, _payload, errors) {
        return errors.map(format);
      },
    },
    wss,
  );

  if (deps.registry) registerGauges(deps.registry, wss, deps.pubSub);

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (closing || path !== deps.path) {
      const status = closing ? '503 Service Unavailable' : '404 Not Found';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  deps.server.on('upgrade', onUpgrade);

  let closed: Promise<void> | null = null;
  return {
    get connections() {
      return wss.clients.size;
    },
    close(graceMs) {
      closed ??= (async () => {
        closing = true;
        deps.server.off('upgrade', onUpgrade);
        // Closing a socket returns its subscriptions' iterators, which unsubscribes them.
        for (const client of wss.clients) client.close(1001, 'Going away');
        const force = setTimeout(() => {
          for (const client of wss.clients) client.terminate();
        }, graceMs);
        force.unref();
        try {
          await new Promise<void>((resolve) => wss.close(() => resolve()));
        } finally {
          clearTimeout(force);
          wss.removeAllListeners();
        }
      })();
      return closed;
    },
  };
}
