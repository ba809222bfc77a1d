import { type ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from '../graphql/errors.js';

/**
 * A response carrying a masked internal error is a 500 even with partial data, so monitoring sees
 * it; statuses that errors set themselves (`extensions.http`) are left alone.
 */
export function internalErrorStatusPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
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
}
