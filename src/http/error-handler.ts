/**
 * Errors fastify raises before a route runs (body too large, bad JSON, wrong media type) get the
 * same GraphQL shape as every other error, so a client has one error format to read.
 */
import { type FastifyError, type FastifyInstance } from 'fastify';
import { BadRequestError, InternalServerError, PayloadTooLargeError } from '../graphql/errors.js';

/** A GraphQL-shaped error body for failures that happen before Apollo Server sees the request. */
export function errorBody(error: { message: string; extensions: Record<string, unknown> }): string {
  const { http: _http, ...extensions } = error.extensions;
  return JSON.stringify({ errors: [{ message: error.message, extensions }] });
}

/** Installs the error handler; `bodyLimitBytes` is named in the 413 answer. */
export function useGraphQLShapedErrors(app: FastifyInstance, options: { readonly bodyLimitBytes: number }): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
      const tooLarge = new PayloadTooLargeError(options.bodyLimitBytes);
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
}
