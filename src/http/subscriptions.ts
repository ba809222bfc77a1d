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
 * Bounds (issue 13), each a setting (`SubscriptionLimits`), so no client can take the memory or the
 * event loop another tenant needs:
 * - connections: at most `maxConnections` open, `maxConnectionsPerTenant` per tenant and
 *   `maxConnectionsPerKey` per API key; a connection over one is closed with 1013 (Try Again
 *   Later), the reason naming the setting;
 * - subscriptions: at most `maxSubscriptionsPerConnection` per connection, `maxSubscriptionsPerKey`
 *   per API key (every connection of the key), `maxSubscriptionsPerTenant` per tenant (all its
 *   keys) and `maxSubscriptions` in all; one over a cap gets a graphql-ws error, `extensions.code`
 *   TOO_MANY_SUBSCRIPTIONS, and the connection stays open. The per-tenant caps (half the totals by
 *   default) keep a tenant with many keys from taking every place;
 * - a slow subscriber: before each message the socket's unsent bytes (`bufferedAmount`) are looked
 *   at; when that message would take them past `maxBufferedBytes` (a message to an empty buffer is
 *   always sent), the connection is closed with 4008 (slow consumer) and cut 5 s later if the client
 *   never reads its close frame. graphql-ws's client reconnects after 4008 and 1013.
 *
 * graphql-ws's `makeServer` runs the protocol; the transport (this file) is `use/ws` with that
 * bounded `send`: a send never waits for the network, so the socket's buffer is the one queue.
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
import { CloseCode, handleProtocols, makeServer } from 'graphql-ws';
import { Counter, Gauge, type Registry } from 'prom-client';
import { type WebSocket, WebSocketServer } from 'ws';
import { type TenantRegistry } from '../config/tenant-registry.js';
import { type Caller, type GatewayContext } from '../graphql/context.js';
import { BadRequestError, createFormatError, ErrorCode, UnauthenticatedError } from '../graphql/errors.js';
import { type InProcessPubSub } from '../graphql/pub-sub.js';
import { authenticate } from './auth.js';
import { type OperationLimiter } from './operation-limits.js';

/** The bounds of the WebSocket transport (settings, see the file comment). */
export interface SubscriptionLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerKey: number;
  readonly maxConnectionsPerTenant: number;
  readonly maxSubscriptionsPerConnection: number;
  readonly maxSubscriptionsPerKey: number;
  readonly maxSubscriptionsPerTenant: number;
  readonly maxSubscriptions: number;
  /** Most unsent bytes one connection may hold (`ws` `bufferedAmount`) before it is closed with 4008. */
  readonly maxBufferedBytes: number;
}

export interface SubscriptionServerDeps {
  /** The HTTP server whose upgrade requests are taken (fastify's `app.server`). */
  readonly server: Server;
  readonly path: string;
  readonly schema: GraphQLSchema;
  readonly tenants: Pick<TenantRegistry, 'findKey'>;
  /** The HTTP transport's operation limits (tokens, depth, complexity, aliases, directives). */
  readonly operationLimits: OperationLimiter;
  readonly limits: SubscriptionLimits;
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
  /** Subscriptions admitted (under the caps) and not yet ended. */
  readonly subscriptions: number;
  /** Unsent bytes over every connection (the sum of their `bufferedAmount`). */
  readonly bufferedBytes: number;
  /**
   * Refuses new upgrades, closes every connection with 1001 (Going Away, so clients reconnect to
   * another replica), and cuts those that have not closed within `graceMs`.
   */
  close(graceMs: number): Promise<void>;
}

/** graphql-ws close code for a refused key (its "Unauthorized"). */
export const UNAUTHORIZED_CLOSE_CODE: number = CloseCode.Unauthorized;
/** Close code for a connection over MAX_WEBSOCKET_CONNECTIONS(_PER_KEY): 1013 Try Again Later (clients retry). */
export const TOO_MANY_CONNECTIONS_CLOSE_CODE = 1013;
/** Close code for a subscriber whose unsent bytes passed MAX_SUBSCRIBER_BUFFER_BYTES: 4008, "slow consumer" (the app-range twin of 1008 Policy Violation; clients retry). */
export const SLOW_CONSUMER_CLOSE_CODE = 4008;
/** `extensions.code` of a subscription over a cap. */
export const TOO_MANY_SUBSCRIPTIONS = ErrorCode.TooManySubscriptions;
/** How long a slow consumer has to read up to its close frame before its socket is cut. */
const SLOW_CONSUMER_GRACE_MS = 5_000;
/** Ping interval; a connection that has not answered the previous ping by the next is cut (as `use/ws`). */
const KEEP_ALIVE_MS = 12_000;

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

/** What the transport and `onConnect` record on the connection. */
interface ConnectionExtra extends Record<PropertyKey, unknown> {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
  caller?: Caller;
  connectionId?: string;
  log?: FastifyBaseLogger;
  /** The key the connection is counted under (`tenant/keyName`), once admitted. */
  key?: string;
  /** Its tenant id, once admitted. */
  tenant?: string;
  /** Ids of this connection's admitted subscriptions (each counted once, released once). */
  readonly admitted: Set<string>;
  /** graphql-ws's running subscriptions of the connection (its `ctx.subscriptions`), once acknowledged. */
  running?: Readonly<Record<string, unknown>>;
}

type RefusalReason =
  | 'connections'
  | 'connections_per_tenant'
  | 'connections_per_key'
  | 'subscriptions_per_connection'
  | 'subscriptions_per_key'
  | 'subscriptions_per_tenant'
  | 'subscriptions'
  | 'slow_consumer';

/** The key from the `connection_init` payload, as an `Authorization` header value. */
function authorizationOf(params: Readonly<Record<string, unknown>> | undefined): string | undefined | null {
  const value = params?.['Authorization'] ?? params?.['authorization'];
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : null;
}

/** A close reason is at most 123 bytes. */
function closeReason(message: string, fallback = 'Unauthorized'): string {
  const reason = fallback === 'Unauthorized' ? `Unauthorized: ${message}` : message;
  return Buffer.byteLength(reason) <= 123 ? reason : fallback;
}

/** Counts per key, dropping a key at zero. */
class Tally {
  readonly #counts = new Map<string, number>();
  get(key: string): number {
    return this.#counts.get(key) ?? 0;
  }
  add(key: string, delta: number): void {
    const next = this.get(key) + delta;
    if (next > 0) this.#counts.set(key, next);
    else this.#counts.delete(key);
  }
}

/** The gauges and the refusal counter, replacing those of a previous server on the same registry. */
function registerMetrics(registry: Registry, read: { connections(): number; subscriptions(): number; bufferedBytes(): number }): Counter<'reason'> {
  const gauges: [string, string, () => number][] = [
    ['cxgw_websocket_connections', 'Open GraphQL WebSocket connections.', read.connections],
    ['cxgw_subscriptions_active', 'Active GraphQL subscriptions.', read.subscriptions],
    ['cxgw_websocket_buffered_bytes', 'Bytes queued for WebSocket clients and not yet sent (all connections).', read.bufferedBytes],
  ];
  for (const [name, help, get] of gauges) {
    registry.removeSingleMetric(name);
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(get());
      },
    });
  }
  registry.removeSingleMetric('cxgw_websocket_refusals_total');
  return new Counter({
    name: 'cxgw_websocket_refusals_total',
    help: 'WebSocket connections and subscriptions refused or closed by a bound (reason: which one).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
}

export function attachSubscriptionServer(deps: SubscriptionServerDeps): SubscriptionServer {
  const { schema, log, limits } = deps;
  const wss = new WebSocketServer({ noServer: true, maxPayload: deps.maxPayloadBytes, handleProtocols });
  const formatError = createFormatError(log);
  let closing = false;

  let subscriptionCount = 0;
  const subscriptionsByKey = new Tally();
  const subscriptionsByTenant = new Tally();
  const connectionsByKey = new Tally();
  const connectionsByTenant = new Tally();
  const bufferedBytes = (): number => {
    let total = 0;
    for (const client of wss.clients) total += client.bufferedAmount;
    return total;
  };
  const refusals = deps.registry
    ? registerMetrics(deps.registry, { connections: () => wss.clients.size, subscriptions: () => deps.pubSub?.size ?? 0, bufferedBytes })
    : null;
  const refused = (reason: RefusalReason): void => refusals?.inc({ reason });

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

  const tooMany = (setting: string, limit: number, what: string, reason: RefusalReason): GraphQLError[] => {
    refused(reason);
    return [
      new GraphQLError(`Too many subscriptions: ${what} may hold ${limit} (${setting}). Complete one first, or retry later.`, {
        extensions: { code: TOO_MANY_SUBSCRIPTIONS },
      }),
    ];
  };

  /** Releases one admitted subscription (idempotent per id). */
  const release = (extra: ConnectionExtra, id: string): void => {
    if (!extra.admitted.delete(id)) return;
    subscriptionCount -= 1;
    if (extra.key !== undefined) subscriptionsByKey.add(extra.key, -1);
    if (extra.tenant !== undefined) subscriptionsByTenant.add(extra.tenant, -1);
  };

  const server = makeServer<Record<string, unknown>, ConnectionExtra>({
    schema,
    onConnect(ctx) {
      const { socket } = ctx.extra;
      const header = authorizationOf(ctx.connectionParams);
      if (header === null) return refuse(socket, 'connectionParams.Authorization must be a string `Bearer <key>`.');
      let caller: Caller | null;
      try {
        caller = authenticate(header, deps.tenants);
      } catch (error) {
        return refuse(socket, error instanceof UnauthenticatedError ? error.message : 'Unknown API key.');
      }
      if (caller === null) return refuse(socket, 'send connectionParams { Authorization: "Bearer <key>" }.');
      const tenant = caller.tenant.id;
      const key = `${tenant}/${caller.keyName}`;
      if (connectionsByKey.get(key) >= limits.maxConnectionsPerKey) {
        refused('connections_per_key');
        socket.close(TOO_MANY_CONNECTIONS_CLOSE_CODE, closeReason(`Try Again Later: this key has ${limits.maxConnectionsPerKey} connections open (MAX_WEBSOCKET_CONNECTIONS_PER_KEY).`, 'Try Again Later'));
        return false;
      }
      if (connectionsByTenant.get(tenant) >= limits.maxConnectionsPerTenant) {
        refused('connections_per_tenant');
        socket.close(TOO_MANY_CONNECTIONS_CLOSE_CODE, closeReason(`Try Again Later: this tenant has ${limits.maxConnectionsPerTenant} connections open (MAX_WEBSOCKET_CONNECTIONS_PER_TENANT).`, 'Try Again Later'));
        return false;
      }
      connectionsByKey.add(key, 1);
      connectionsByTenant.add(tenant, 1);
      ctx.extra.tenant = tenant;
      ctx.extra.running = ctx.subscriptions;
      const connectionId = randomUUID();
      ctx.extra.key = key;
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
      const { caller, connectionId, key, tenant } = ctx.extra;
      const connectionLog = ctx.extra.log;
      // graphql-ws runs this only on acknowledged connections, which onConnect always labels.
      if (caller === undefined || connectionId === undefined || connectionLog === undefined || key === undefined || tenant === undefined) {
        return [new UnauthenticatedError()];
      }
      // The caps come first: refusing costs nothing, parsing and validating does.
      if (ctx.extra.admitted.size >= limits.maxSubscriptionsPerConnection) {
        return tooMany('MAX_SUBSCRIPTIONS_PER_CONNECTION', limits.maxSubscriptionsPerConnection, 'a connection', 'subscriptions_per_connection');
      }
      if (subscriptionsByKey.get(key) >= limits.maxSubscriptionsPerKey) {
        return tooMany('MAX_SUBSCRIPTIONS_PER_KEY', limits.maxSubscriptionsPerKey, 'an API key', 'subscriptions_per_key');
      }
      if (subscriptionsByTenant.get(tenant) >= limits.maxSubscriptionsPerTenant) {
        return tooMany('MAX_SUBSCRIPTIONS_PER_TENANT', limits.maxSubscriptionsPerTenant, 'a tenant', 'subscriptions_per_tenant');
      }
      if (subscriptionCount >= limits.maxSubscriptions) {
        return tooMany('MAX_SUBSCRIPTIONS', limits.maxSubscriptions, 'the gateway', 'subscriptions');
      }
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
      // Admitted: counted until onComplete (or the connection's close) releases it.
      ctx.extra.admitted.add(id);
      subscriptionCount += 1;
      subscriptionsByKey.add(key, 1);
      subscriptionsByTenant.add(tenant, 1);
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
    onComplete(ctx, id) {
      release(ctx.extra, id);
    },
  });

  /** Closes a connection whose client does not read: no more is queued, and the socket is cut if it never reads up to the close. */
  const closeSlowConsumer = (socket: WebSocket, extra: ConnectionExtra, bytes: number): void => {
    refused('slow_consumer');
    (extra.log ?? log).warn({ bufferedBytes: socket.bufferedAmount, messageBytes: bytes, limit: limits.maxBufferedBytes }, 'closing a slow subscription consumer');
    socket.close(SLOW_CONSUMER_CLOSE_CODE, `Slow consumer: more than ${limits.maxBufferedBytes} bytes unsent (MAX_SUBSCRIBER_BUFFER_BYTES)`);
    setTimeout(() => socket.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
    // Stop its subscriptions now rather than at the socket's close: events keep coming meanwhile,
    // and each would be executed and serialised for nothing (graphql-ws does the same on close).
    for (const running of Object.values(extra.running ?? {})) {
      const iterator = running as Partial<AsyncGenerator<unknown>> | null;
      if (typeof iterator?.return === 'function') void iterator.return(undefined).catch(() => undefined);
    }
  };

  wss.on('connection', (socket, request) => {
    // The new socket is already among wss.clients.
    if (wss.clients.size > limits.maxConnections) {
      refused('connections');
      socket.close(TOO_MANY_CONNECTIONS_CLOSE_CODE, `Try Again Later: ${limits.maxConnections} connections open (MAX_WEBSOCKET_CONNECTIONS)`);
      return;
    }
    const extra: ConnectionExtra = { socket, request, admitted: new Set() };
    socket.once('error', (error) => {
      (extra.log ?? log).warn({ err: { message: error.message } }, 'WebSocket error');
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });
    let alive = true;
    const keepAlive = setInterval(() => {
      if (!alive) {
        socket.terminate();
        return;
      }
      alive = false;
      socket.ping();
    }, KEEP_ALIVE_MS);
    socket.on('pong', () => {
      alive = true;
    });
    const closed = server.opened(
      {
        protocol: socket.protocol,
        // Never waits for the network: what the client has not read stays in the socket's buffer,
        // which is bounded here.
        send: (data) => {
          if (socket.readyState !== socket.OPEN) return;
          const bytes = Buffer.byteLength(data);
          if (socket.bufferedAmount > 0 && socket.bufferedAmount + bytes > limits.maxBufferedBytes) {
            closeSlowConsumer(socket, extra, bytes);
            return;
          }
          socket.send(data);
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (message) => {
            handle(String(message)).catch((error: unknown) => {
              (extra.log ?? log).error({ err: error }, 'error while handling a WebSocket message');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      extra,
    );
    socket.once('close', (code, reason) => {
      clearInterval(keepAlive);
      if (extra.key !== undefined) connectionsByKey.add(extra.key, -1);
      if (extra.tenant !== undefined) connectionsByTenant.add(extra.tenant, -1);
      for (const id of [...extra.admitted]) release(extra, id);
      void closed(code, String(reason));
    });
  });

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
    get subscriptions() {
      return subscriptionCount;
    },
    get bufferedBytes() {
      return bufferedBytes();
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
