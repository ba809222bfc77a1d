/** Request ids: a caller's `X-Request-Id` is kept when it is a plain token, so its logs and ours line up. */
import { randomUUID } from 'node:crypto';
import { type IncomingMessage } from 'node:http';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** fastify's `genReqId`. */
export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}
