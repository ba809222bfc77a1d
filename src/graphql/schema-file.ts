/**
 * The schema as committed in `schema.graphql`. Its shape does not depend on the resolvers'
 * dependencies, so it is built with stand-ins that refuse to be called.
 */
import { type GraphQLSchema } from 'graphql';
import { type CallOperations, type HandoffOperations } from '../handoff/model.js';
import { buildGatewaySchema, printGatewaySchema } from './schema.js';

function refuse(): never {
  throw new Error('schema-only build: resolvers cannot run');
}

const unused: HandoffOperations = {
  signal: refuse,
  status: refuse,
  get: refuse,
  findForScreenPop: refuse,
  list: refuse,
  retry: refuse,
};
const unusedCalls: CallOperations = { registerCall: refuse, getCall: refuse };

export async function buildSchemaOnly(): Promise<GraphQLSchema> {
  return await buildGatewaySchema({
    handoffs: unused,
    calls: unusedCalls,
    tenants: { ownerOfNumber: () => undefined, tenants: [] },
    parseInvite: refuse,
    limits: { maxParamLength: 1, maxContextBytes: 1, maxContextDepth: 1, maxSipInviteBytes: 1 },
  });
}

/** The text `schema.graphql` must hold. */
export async function schemaSdl(): Promise<string> {
  return printGatewaySchema(await buildSchemaOnly());
}
