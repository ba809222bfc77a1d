/**
 * A small typed client for tools that call the gateway: pass a generated document
 * (`src/client/generated`) and get typed variables and results. No server imports.
 */
// `import type`, not `import { type … }`: with verbatimModuleSyntax the latter leaves a bare
// `import '…'` behind, and this package has types only, no module to load at run time.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { type Dispatcher, request } from 'undici';

/** One GraphQL error as the gateway sends it. */
export interface GatewayGraphQLError {
  readonly message: string;
  readonly path?: readonly (string | number)[];
  readonly extensions?: { readonly code?: string; readonly field?: string; readonly [key: string]: unknown };
}

/** The response had GraphQL errors; `code` is the first error's `extensions.code`. */
export class GatewayRequestError extends Error {
  override readonly name = 'GatewayRequestError';
  readonly code: string | undefined;
  constructor(
    readonly status: number,
    readonly errors: readonly GatewayGraphQLError[],
  ) {
    super(errors[0]?.message ?? `The gateway answered HTTP ${status} without data.`);
    this.code = errors[0]?.extensions?.code;
  }
}

export interface GatewayClientOptions {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  readonly url: string;
  /** API key sent as `Authorization: Bearer <key>`. */
  readonly key?: string;
  /** undici dispatcher (a Pool, or a MockAgent in tests); the global one when omitted. */
  readonly dispatcher?: Dispatcher;
}

export interface GatewayClient {
  /** Runs an operation; resolves to its data or rejects with `GatewayRequestError`. */
  request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
    options?: { readonly key?: string },
  ): Promise<TResult>;
}

export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  // Printing a document walks its AST; tools send the same few documents over and over.
  const printed = new WeakMap<object, string>();
  const text = (document: TypedDocumentNode<unknown, unknown>): string => {
    let query = printed.get(document);
    if (query === undefined) {
      query = print(document);
      printed.set(document, query);
    }
    return query;
  };

  return {
    async request<TResult, TVariables>(
      document: TypedDocumentNode<TResult, TVariables>,
      variables: TVariables,
      requestOptions?: { readonly key?: string },
    ): Promise<TResult> {
      const key = requestOptions?.key ?? options.key;
      const response = await request(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        body: JSON.stringify({ query: text(document as TypedDocumentNode<unknown, unknown>), variables }),
        ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      });
      const body = (await response.body.json().catch(() => ({}))) as {
        data?: TResult | null;
        errors?: readonly GatewayGraphQLError[];
      };
      if (body.errors?.length || body.data == null) {
        throw new GatewayRequestError(response.statusCode, body.errors ?? []);
      }
      return body.data;
    },
  };
}
