/**
 * fastify's per-request log lines, made cheap: by default fastify writes two info lines per request
 * ('incoming request' and 'request completed'), which cost more CPU than a whole handoffStatus read
 * without them. Here a request gets one line, when it completes: at debug when it succeeded, at info
 * for a 4xx, and at error when it failed, so the default level (info) still shows every request that
 * went wrong, and `LOG_LEVEL=debug` shows all of them. Domain lines (`signalContact`, `handoff
 * accepted`, …) are unchanged.
 *
 * The line names the request by its method, its path (never the query string: a GET carries the
 * query, its variables and, from careless clients, `?access_token=…`) and the GraphQL operation name
 * when it is a plain name; nothing else the client sent.
 */
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/** pino's level values; a level not listed (`silent`) logs nothing. */
const LEVEL_VALUES: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;
const MAX_LOGGED_PATH = 200;

/** What a log line says of a request: no query string, no body, no header. */
export function requestSummary(request: FastifyRequest): { method: string; path: string; operationName?: string } {
  const raw = request.url;
  const end = raw.search(/[?#]/);
  const path = (end === -1 ? raw : raw.slice(0, end)).slice(0, MAX_LOGGED_PATH);
  const fromBody = (request.body as { operationName?: unknown } | null | undefined)?.operationName;
  const fromQuery = (request.query as { operationName?: unknown } | null | undefined)?.operationName;
  const name = typeof fromBody === 'string' ? fromBody : fromQuery;
  return { method: request.method, path, ...(typeof name === 'string' && OPERATION_NAME.test(name) ? { operationName: name } : {}) };
}

/** The gateway's `logController`: one completion line per request, level by outcome. */
export class RequestLogController extends LogController {
  override incomingRequest(): void {
    // The completion line carries the request (method, url, id) and its outcome.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) {
      reply.log.error({ request: requestSummary(request), res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
      return;
    }
    const level = reply.statusCode >= 500 ? 'error' : reply.statusCode >= 400 ? 'info' : 'debug';
    // Checked first: building the line (serialising req and res) is most of its cost.
    if ((LEVEL_VALUES[level] ?? 0) < (LEVEL_VALUES[reply.log.level] ?? Number.POSITIVE_INFINITY)) return;
    reply.log[level]({ request: requestSummary(request), res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
