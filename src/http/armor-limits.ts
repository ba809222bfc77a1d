/**
 * Limits on aliases and directives per operation (docs/architecture.md, "Operations"), counted by graphql-armor's
 * validation rules. One of the checks of `operation-limits.ts`, which both transports (HTTP and
 * graphql-ws) run, and which refuses as QUERY_TOO_COMPLEX before any resolver runs.
 *
 * Every alias counts, `__typename` ones included: graphql-armor exempts `__typename` by default
 * (`allowList`), which let 900 `t0: __typename …` aliases through a limit of 15.
 */
import type * as MaxAliases from '@escape.tech/graphql-armor-max-aliases';
import type * as MaxDirectives from '@escape.tech/graphql-armor-max-directives';
import { type DocumentNode, type GraphQLError, type GraphQLSchema, validate } from 'graphql';
import { createRequire } from 'node:module';

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
    maxAliasesRule({ n: limits.maxAliases, allowList: [], onReject, propagateOnRejection: false }),
    maxDirectivesRule({ n: limits.maxDirectives, onReject, propagateOnRejection: false }),
  ]);
  return rejected[0] ?? null;
}
