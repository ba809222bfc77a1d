/**
 * Builds the executable schema from the resolver classes and their dependencies. Resolver instances
 * are made here and handed to type-graphql through `container`, so two gateways in one process (as
 * in tests) never share state.
 */
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema, type PubSub } from 'type-graphql';
import { type TenantRegistry } from '../config/tenant-registry.js';
import { type CallOperations, type HandoffOperations } from '../handoff/model.js';
import { CallResolver, type InviteParser } from './call.resolver.js';
import { HandoffResolver } from './handoff.resolver.js';
import { InProcessPubSub } from './pub-sub.js';
import { type InputLimits } from './validation.js';

export interface SchemaDeps {
  readonly handoffs: HandoffOperations;
  readonly calls: CallOperations;
  readonly tenants: Pick<TenantRegistry, 'ownerOfNumber' | 'tenants'>;
  readonly parseInvite: InviteParser;
  readonly limits: InputLimits;
  /** Feeds the subscriptions (the gateway's own; a fresh one, that nothing publishes to, when omitted). */
  readonly pubSub?: PubSub;
}

export async function buildGatewaySchema(deps: SchemaDeps): Promise<GraphQLSchema> {
  const instances = new Map<unknown, object>([
    [HandoffResolver, new HandoffResolver(deps)],
    [CallResolver, new CallResolver(deps)],
  ]);
  return await buildSchema({
    resolvers: [HandoffResolver, CallResolver],
    container: {
      get(someClass: unknown) {
        const instance = instances.get(someClass);
        if (!instance) throw new Error('No resolver instance for a class the schema asked for');
        return instance;
      },
    },
    // Inputs are checked with zod in the resolvers: class-validator's errors echo the whole input.
    validate: false,
    pubSub: deps.pubSub ?? new InProcessPubSub(),
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
  });
}

/** The SDL committed as `schema.graphql`: sorted, so diffs show real changes only. */
export function printGatewaySchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
