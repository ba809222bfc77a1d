/**
 * One server span per GraphQL operation over HTTP, continuing the caller's trace when the request
 * carries a W3C `traceparent`. Two parts, because an Apollo plugin can annotate a span but cannot
 * make one active for the resolvers below it: `inOperationSpan` wraps the route handler (the span
 * is active while Apollo runs, so store and CXone spans become its children), and
 * `tracingPlugin` names it once the operation is known: `graphql.operation signalContact` (the
 * root field, bounded by the schema, as the metrics label it), with `graphql.operation.type` and
 * the document's `graphql.operation.name`. Neither the document nor the variables are recorded.
 * `inServerSpan` serves the REST Handoff API too.
 */
import { type ApolloServerPlugin } from '@apollo/server';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { type Attributes, context, trace } from '@opentelemetry/api';
import { extractTraceContext, inSpan, markError, SpanKind, type Tracing } from '../common/tracing.js';

/** Span name before the operation is resolved (a parse or validation failure keeps it). */
export const OPERATION_SPAN = 'graphql.operation';

/** Client-chosen operation names are cut to this length in the span (the log does likewise). */
const MAX_OPERATION_NAME = 100;

/** Runs `handle` inside the operation's server span, parented by the request's `traceparent` if any. */
export function inOperationSpan<T>(tracing: Tracing, request: FastifyRequest, reply: FastifyReply, handle: () => Promise<T>): Promise<T> {
  return inServerSpan(tracing, OPERATION_SPAN, request, reply, {}, handle);
}

/**
 * Runs `handle` inside a server span named `name`, parented by the request's `traceparent` if any;
 * `url.path` leaves the query string out (the Handoff API's carries the ids it looks up).
 */
export async function inServerSpan<T>(tracing: Tracing, name: string, request: FastifyRequest, reply: FastifyReply, extra: Attributes, handle: () => Promise<T>): Promise<T> {
  const parent = extractTraceContext(tracing, request.headers);
  const attributes = { 'http.request.method': request.method, 'url.path': request.url.split('?')[0] ?? '/', ...extra };
  return inSpan(tracing, name, { kind: SpanKind.SERVER, attributes, parent }, async (span) => {
    const result = await handle();
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) markError(span, String(reply.statusCode));
    return result;
  });
}

/** Names the active operation span and records the outcome (`error.type`: the first error's code). */
export function tracingPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const span = trace.getSpan(context.active());
      if (span === undefined) return;
      return {
        async didResolveOperation({ operation, operationName }) {
          if (operation === undefined) return;
          const selection = operation.selectionSet.selections[0];
          const field = selection?.kind === 'Field' ? selection.name.value : operation.operation;
          span.updateName(`${OPERATION_SPAN} ${field}`);
          span.setAttribute('graphql.operation.type', operation.operation);
          if (operationName) span.setAttribute('graphql.operation.name', operationName.slice(0, MAX_OPERATION_NAME));
        },
        async willSendResponse({ response }) {
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const code = errors?.[0]?.extensions?.code;
          if (errors !== undefined && errors.length > 0) markError(span, typeof code === 'string' ? code : 'GRAPHQL_ERROR');
        },
      };
    },
  };
}
