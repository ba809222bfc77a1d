/**
 * Limits on aliases and directives per operation (docs/architecture.md, "Operations"), counted by graphql-armor's
 * validation rules and refused as QUERY_TOO_COMPLEX before any resolver runs. The token limit is
 * graphql-js's own `parseOptions.maxTokens` (set in server.ts): it must stop the parser itself, and
 * graphql-armor's max-tokens is an Envelop parser plugin Apollo Server cannot host
 * (`createFormatError` reports that parse failure as QUERY_TOO_COMPLEX).
 *
 * The rules run in `didResolveOperation` rather than as Apollo `validationRules`, because Apollo
 * reports every validation error as GRAPHQL_VALIDATION_FAILED; the verdict is cached per parsed
 * document (Apollo hands a repeated query the same `DocumentNode` from its document store).
 */
import { type ApolloServerPlugin } from '@apollo/server';
import type * as MaxAliases from '@escape.tech/graphql-armor-max-aliases';
import type * as MaxDirectives from '@escape.tech/graphql-armor-max-directives';
import { type DocumentNode, type GraphQLError, type GraphQLSchema, validate } from 'graphql';
import { createRequire } from 'node:module';
import { QueryTooComplexError } from '../graphql/errors.js';

// The CommonJS builds, like graphql-query-complexity in query-limits.ts: they share our graphql.
const require = createRequire(import.meta.url);
const { maxAliasesRule } = require('@escape.tech/graphql-armor-max-aliases') as typeof MaxAliases;
const { maxDirectivesRule } = require('@escape.tech/graphql-armor-max-directives') as typeof MaxDirectives;

export interface ArmorLimits {
  readonly maxAliases: number;
  readonly maxDirectives: number;
}

/** The first limit `document` breaks, as a message for the caller, or null. */
export function armorProblem(schema: GraphQLSchema, document: DocumentNode, limits: ArmorLimits): string | null {
  const rejected: string[] = [];
  const onReject = [(_context: unknown, error: GraphQLError) => rejected.push(error.message.replace(/^Syntax Error: /, ''))];
  validate(schema, document, [
    maxAliasesRule({ n: limits.maxAliases, onReject, propagateOnRejection: false }),
    maxDirectivesRule({ n: limits.maxDirectives, onReject, propagateOnRejection: false }),
  ]);
  return rejected[0] ?? null;
}

export function armorLimitsPlugin<TContext extends object>(limits: ArmorLimits): ApolloServerPlugin<TContext> {
  const verdicts = new WeakMap<DocumentNode, string | null>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document }) {
          let problem = verdicts.get(document);
          if (problem === undefined) {
            problem = armorProblem(schema, document, limits);
            verdicts.set(document, problem);
          }
          if (problem !== null) throw new QueryTooComplexError(`${problem} Split the operation into smaller ones.`);
        },
      };
    },
  };
}
