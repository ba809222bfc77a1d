/**
 * A request without a valid key runs nothing but introspection: the operation is refused with
 * UNAUTHENTICATED (401) once it is resolved and before any resolver runs, so the answer carries no
 * `data` at all, not a `null` per field that would tell a prober which fields exist and ran.
 * Resolvers still check the key's scope (`requireCaller`).
 */
import { type ApolloServerPlugin } from '@apollo/server';
import { type OperationDefinitionNode } from 'graphql';
import { type GatewayContext } from '../graphql/context.js';
import { UnauthenticatedError } from '../graphql/errors.js';

/** Whether the operation selects only introspection fields (`__schema`, `__type`, `__typename`) at its root. */
function introspectionOnly(operation: OperationDefinitionNode): boolean {
  return operation.selectionSet.selections.every((s) => s.kind === 'Field' && s.name.value.startsWith('__'));
}

export function requireKeyPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation }) {
          // No resolved operation (an unknown operationName): Apollo answers OPERATION_RESOLUTION_FAILURE itself.
          if (contextValue.caller === null && operation !== undefined && !introspectionOnly(operation)) throw new UnauthenticatedError();
        },
      };
    },
  };
}
