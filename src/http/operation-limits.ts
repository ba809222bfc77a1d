/**
 * The operation limits (docs/architecture.md, "Operations"), one mechanism for both transports: HTTP (Apollo Server, through
 * `plugin()` and `parseOptions`) and graphql-ws (`subscriptions.ts`, through `parse()` and
 * `check()`). Whatever one transport refuses, the other refuses with the same code:
 *
 * - tokens (`MAX_QUERY_TOKENS`): graphql-js's own `maxTokens`, so the parser itself stops; its
 *   "Document contains more than N tokens" parse failure is reported as QUERY_TOO_COMPLEX by
 *   `createFormatError`, which both transports use;
 * - depth and complexity (`MAX_QUERY_DEPTH`, `MAX_QUERY_COMPLEXITY`): `query-limits.ts`;
 * - aliases and directives (`MAX_QUERY_ALIASES`, `MAX_QUERY_DIRECTIVES`): `armor-limits.ts`,
 *   `__typename` aliases included.
 *
 * Checked once the operation is resolved, before any resolver runs (Apollo's `didResolveOperation`
 * rather than `validationRules`, as Apollo reports every validation error as GRAPHQL_VALIDATION_FAILED).
 */
import { type ApolloServerPlugin } from '@apollo/server';
import { type DocumentNode, GraphQLError, type GraphQLSchema, type OperationDefinitionNode, parse, type ParseOptions } from 'graphql';
import { ErrorCode, QueryTooComplexError } from '../graphql/errors.js';
import { armorProblem } from './armor-limits.js';
import { checkQueryLimits } from './query-limits.js';

export interface OperationLimits {
  readonly maxDepth: number;
  readonly maxComplexity: number;
  readonly maxAliases: number;
  readonly maxDirectives: number;
  readonly maxTokens: number;
}

export class OperationLimiter {
  readonly limits: OperationLimits;
  /** The alias/directive verdict per parsed document (Apollo hands a repeated query the same `DocumentNode`). */
  readonly #armorVerdicts = new WeakMap<DocumentNode, string | null>();

  constructor(limits: OperationLimits) {
    this.limits = limits;
  }

  /** graphql-js parse options: Apollo's `parseOptions`, and what `parse()` uses. */
  get parseOptions(): ParseOptions {
    return { maxTokens: this.limits.maxTokens };
  }

  /** Parses as Apollo does for HTTP: a syntax error, or a document over the token limit, is GRAPHQL_PARSE_FAILED (formatted alike). */
  parse(text: string): DocumentNode {
    try {
      return parse(text, this.parseOptions);
    } catch (error) {
      const message = error instanceof GraphQLError ? error.message : 'The query is not valid GraphQL.';
      throw new GraphQLError(message, { extensions: { code: ErrorCode.GraphqlParseFailed } });
    }
  }

  /** Throws QUERY_TOO_COMPLEX when the (parsed, validated) operation exceeds a limit. */
  check(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): void {
    checkQueryLimits(schema, document, operation, variables, this.limits);
    let problem = this.#armorVerdicts.get(document);
    if (problem === undefined) {
      problem = armorProblem(schema, document, this.limits);
      this.#armorVerdicts.set(document, problem);
    }
    if (problem !== null) throw new QueryTooComplexError(`${problem} Split the operation into smaller ones.`);
  }

  /** The HTTP transport's hook (the token limit is Apollo's `parseOptions`: `this.parseOptions`). */
  plugin<TContext extends object>(): ApolloServerPlugin<TContext> {
    return {
      requestDidStart: async () => ({
        didResolveOperation: async ({ schema, document, operation, request }) => {
          if (operation) this.check(schema, document, operation, request.variables ?? {});
        },
      }),
    };
  }
}
