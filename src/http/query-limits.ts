/**
 * Limits on what one GraphQL operation may ask for (docs/architecture.md, "Operations"): its depth and its complexity (one
 * point per field, aliases included, so a batch of 1,000 aliased lookups is refused). One of the
 * checks of `operation-limits.ts`, run once the operation is resolved, before any resolver runs; a
 * refusal is QUERY_TOO_COMPLEX.
 */
import {
  BREAK,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  visit,
} from 'graphql';
import { createRequire } from 'node:module';
import type * as QueryComplexity from 'graphql-query-complexity';
import { QueryTooComplexError } from '../graphql/errors.js';

// The package's ESM build imports `graphql/index.mjs`, while type-graphql and Apollo Server use
// graphql's CommonJS build: two graphql realms cannot share one schema. Its CommonJS build shares ours.
const { getComplexity, simpleEstimator } = createRequire(import.meta.url)('graphql-query-complexity') as typeof QueryComplexity;

export interface QueryLimits {
  readonly maxDepth: number;
  readonly maxComplexity: number;
}

/** Depth of the deepest field of a selection set, following fragment spreads. */
function depthOf(selectionSet: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, seen: ReadonlySet<string>): number {
  let deepest = 0;
  for (const selection of selectionSet.selections) {
    switch (selection.kind) {
      case Kind.FIELD:
        deepest = Math.max(deepest, 1 + (selection.selectionSet ? depthOf(selection.selectionSet, fragments, seen) : 0));
        break;
      case Kind.INLINE_FRAGMENT:
        deepest = Math.max(deepest, depthOf(selection.selectionSet, fragments, seen));
        break;
      case Kind.FRAGMENT_SPREAD: {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // Validation already refused cycles and unknown fragments; this only keeps the walk total.
        if (fragment && !seen.has(name)) deepest = Math.max(deepest, depthOf(fragment.selectionSet, fragments, new Set([...seen, name])));
        break;
      }
    }
  }
  return deepest;
}

/** Introspection is governed by the INTROSPECTION switch, and its standard query is deep by nature. */
function isIntrospectionOnly(operation: OperationDefinitionNode): boolean {
  return operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && s.name.value.startsWith('__'));
}

/** What one operation of a parsed document measured; `complexity` only when variables cannot change it. */
interface Measured {
  readonly depth: number;
  readonly complexity?: number;
}

/**
 * Measurements per schema, document and operation. Apollo Server keeps parsed documents in its
 * document store, so a query sent again arrives as the same `DocumentNode` and is measured once.
 */
const measured = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<OperationDefinitionNode, Measured>>>();

/** With no directive (`@skip(if: $v)`, `@include`), the field count cannot depend on the variables. */
function hasDirectives(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Directive() {
      found = true;
      return BREAK;
    },
  });
  return found;
}

function measuredFor(schema: GraphQLSchema, document: DocumentNode): Map<OperationDefinitionNode, Measured> {
  let byDocument = measured.get(schema);
  if (byDocument === undefined) {
    byDocument = new WeakMap();
    measured.set(schema, byDocument);
  }
  let byOperation = byDocument.get(document);
  if (byOperation === undefined) {
    byOperation = new Map();
    byDocument.set(document, byOperation);
  }
  return byOperation;
}

function tooDeep(depth: number, limits: QueryLimits): QueryTooComplexError {
  return new QueryTooComplexError(`The query is ${depth} fields deep; the limit is ${limits.maxDepth}. Ask for fewer nested fields.`);
}

/** Throws QUERY_TOO_COMPLEX when the operation exceeds the limits. */
export function checkQueryLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  limits: QueryLimits,
): void {
  if (isIntrospectionOnly(operation)) return;
  const cache = measuredFor(schema, document);
  const known = cache.get(operation);
  if (known !== undefined) {
    if (known.depth > limits.maxDepth) throw tooDeep(known.depth, limits);
    // An operation over the limit is measured again, so bad variables still get their own error.
    if (known.complexity !== undefined && known.complexity <= limits.maxComplexity) return;
  }
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const depth = depthOf(operation.selectionSet, fragments, new Set());
  if (depth > limits.maxDepth) {
    cache.set(operation, { depth });
    throw tooDeep(depth, limits);
  }
  let complexity: number;
  try {
    complexity = getComplexity({
      schema,
      query: document,
      variables,
      ...(operation.name ? { operationName: operation.name.value } : {}),
      estimators: [simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch {
    // Variables that do not coerce (the only way a validated document fails here): execution
    // reports them as BAD_USER_INPUT naming the variable, which is the better answer.
    return;
  }
  cache.set(operation, hasDirectives(document) ? { depth } : { depth, complexity });
  if (complexity > limits.maxComplexity) {
    throw new QueryTooComplexError(`The query asks for ${complexity} fields; the limit is ${limits.maxComplexity}. Split it into smaller queries.`);
  }
}
