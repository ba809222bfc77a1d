/**
 * The typed client for tools that call the gateway: `createGatewayClient` plus the documents and
 * types graphql-codegen generates from `schema.graphql` and `operations/*.graphql`.
 *
 * ```ts
 * const gateway = createGatewayClient({ url: 'http://127.0.0.1:4000/graphql', key });
 * const { signalContact } = await gateway.request(SignalContactDocument, { input: { contactId, params } });
 * signalContact.handoff.state; // 'PENDING' | 'SIGNALED' | 'FAILED'
 * ```
 */
export {
  createGatewayClient,
  GatewayRequestError,
  type GatewayClient,
  type GatewayClientOptions,
  type GatewayGraphQLError,
} from './client.js';
export * from './generated/graphql.js';
export { graphql } from './generated/gql.js';
