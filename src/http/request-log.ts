/**
 * fastify's per-request log lines, made cheap: by default fastify writes two info lines per request
 * ('incoming request' and 'request completed'), which cost more CPU than a whole handoffStatus read
 * without them. Here a request gets one line, when it completes: at debug when it succeeded, at info
 * for a 4xx, and at error when it failed, so the default level (info) still shows every request that
 * went wrong, and `LOG_LEVEL=debug` shows all of them. Domain lines (`signalContact`, `handoff
 * accepted`, …) are unchanged.
 */
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/** pino's level values; a level not listed (`silent`) logs nothing. */
const LEVEL_VALUES: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/** The gateway's `logController`: one completion line per request, level by outcome. */
export class RequestLogController extends LogController {
  override incomingRequest(): void {
    // The completion line carries the request (method, url, id) and its outcome.
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
      return;
    }
    const level = reply.statusCode >= 500 ? 'error' : reply.statusCode >= 400 ? 'info' : 'debug';
    // Checked first: building the line (serialising req and res) is most of its cost.
    if ((LEVEL_VALUES[level] ?? 0) < (LEVEL_VALUES[reply.log.level] ?? Number.POSITIVE_INFINITY)) return;
    reply.log[level]({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
