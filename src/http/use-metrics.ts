/** The `/metrics` endpoint (Prometheus text) and the Apollo plugin that counts GraphQL requests. */
import { type ApolloServerPlugin } from '@apollo/server';
import { type FastifyInstance } from 'fastify';
import { type GatewayMetrics } from './metrics.js';

/** Counts requests by root field (bounded by the schema, unlike client-chosen operation names). */
export function metricsPlugin<TContext extends object>(metrics: GatewayMetrics): ApolloServerPlugin<TContext> {
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

export function useMetricsEndpoint(app: FastifyInstance, metrics: GatewayMetrics): void {
  const { registry } = metrics;
  app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
}
