/**
 * The gateway's GraphQL error catalogue (docs/architecture.md, "Errors"): one table, `ERROR_CATALOGUE`,
 * gives every public `extensions.code` its HTTP status, when it happens and an example, the way
 * fastify's `lib/errors.js` builds its errors from one list; a test walks it (codes unique, each
 * constructible, each in the README's table). Codes that Apollo Server owns reuse its
 * `ApolloServerErrorCode`. Below the table: the classes the gateway throws, the translation of
 * domain errors, and `formatError`, which lets known codes through and masks everything else.
 */
import { randomUUID } from 'node:crypto';
import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { HandoffNotFoundError, IdempotencyConflictError, InvalidCursorError, NotRetryableError, SipParseError, StoreUnavailableError } from '../handoff/errors.js';

/** Every `extensions.code` a client can see, by name. */
export const ErrorCode = {
  /** An argument or input field is invalid; `extensions.field` names it. */
  BadUserInput: ApolloServerErrorCode.BAD_USER_INPUT,
  /** The query text is not GraphQL (raised by Apollo Server). */
  GraphqlParseFailed: ApolloServerErrorCode.GRAPHQL_PARSE_FAILED,
  /** The query does not match the schema (raised by Apollo Server). */
  GraphqlValidationFailed: ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED,
  /** The HTTP request itself is malformed: no query, bad JSON, blocked by CSRF prevention (Apollo Server / the HTTP layer). */
  BadRequest: ApolloServerErrorCode.BAD_REQUEST,
  /** Several operations and no (or an unknown) `operationName` (raised by Apollo Server). */
  OperationResolutionFailure: ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE,
  /** An automatic-persisted-query hash; APQ clients read this code to fall back to the query text. */
  PersistedQueryNotSupported: ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  NotFound: 'NOT_FOUND',
  IdempotencyConflict: 'IDEMPOTENCY_CONFLICT',
  QueryTooComplex: 'QUERY_TOO_COMPLEX',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  ServiceUnavailable: 'SERVICE_UNAVAILABLE',
  /** A graphql-ws subscription over a cap (per connection, key, tenant or in total). */
  TooManySubscriptions: 'TOO_MANY_SUBSCRIPTIONS',
  InternalServerError: ApolloServerErrorCode.INTERNAL_SERVER_ERROR,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** One row of the catalogue. */
export interface ErrorCatalogueRow {
  /** HTTP status of a response whose only error has this code (GraphQL-over-HTTP, application/json). */
  readonly status: number;
  /**
   * Who raises it: the gateway's own classes below (status in `extensions.http`), Apollo Server, or
   * the graphql-ws server, where errors carry no HTTP status (`status` is what HTTP would say).
   */
  readonly raisedBy: 'gateway' | 'apollo' | 'graphql-ws';
  /** A representative error, for the catalogue test and the docs. */
  readonly example: () => GraphQLError;
}

const apolloError = (code: ErrorCode, message: string) => () => new GraphQLError(message, { extensions: { code } });

/** The catalogue: one row per public code. */
export const ERROR_CATALOGUE: Readonly<Record<ErrorCode, ErrorCatalogueRow>> = {
  [ErrorCode.BadUserInput]: { status: 400, raisedBy: 'gateway', example: () => new BadUserInputError('contactId must be 1..20 digits.', 'input.contactId') },
  [ErrorCode.GraphqlParseFailed]: { status: 400, raisedBy: 'apollo', example: apolloError(ErrorCode.GraphqlParseFailed, 'Syntax Error: Expected Name, found <EOF>.') },
  [ErrorCode.GraphqlValidationFailed]: { status: 400, raisedBy: 'apollo', example: apolloError(ErrorCode.GraphqlValidationFailed, 'Cannot query field "nope" on type "Query".') },
  [ErrorCode.BadRequest]: { status: 400, raisedBy: 'gateway', example: () => new BadRequestError('The request body is not valid JSON.') },
  [ErrorCode.OperationResolutionFailure]: {
    status: 400,
    raisedBy: 'apollo',
    example: apolloError(ErrorCode.OperationResolutionFailure, 'Must provide operation name if query contains multiple operations.'),
  },
  // Apollo answers it with 200 and no data, so that APQ clients retry with the query text.
  [ErrorCode.PersistedQueryNotSupported]: { status: 200, raisedBy: 'apollo', example: apolloError(ErrorCode.PersistedQueryNotSupported, 'PersistedQueryNotSupported') },
  [ErrorCode.Unauthenticated]: { status: 401, raisedBy: 'gateway', example: () => new UnauthenticatedError() },
  [ErrorCode.Forbidden]: { status: 403, raisedBy: 'gateway', example: () => new ForbiddenError('This key has the read scope; mutations need a signal key.') },
  [ErrorCode.NotFound]: { status: 404, raisedBy: 'gateway', example: () => new NotFoundError('No handoff with this id.') },
  [ErrorCode.IdempotencyConflict]: { status: 409, raisedBy: 'gateway', example: () => new IdempotencyConflictGraphQLError() },
  [ErrorCode.QueryTooComplex]: { status: 400, raisedBy: 'gateway', example: () => new QueryTooComplexError() },
  [ErrorCode.PayloadTooLarge]: { status: 413, raisedBy: 'gateway', example: () => new PayloadTooLargeError(65_536) },
  [ErrorCode.ServiceUnavailable]: { status: 503, raisedBy: 'gateway', example: () => new ServiceUnavailableError() },
  [ErrorCode.TooManySubscriptions]: {
    status: 429,
    raisedBy: 'graphql-ws',
    example: () => new GraphQLError('Too many subscriptions: a connection may hold 10 (MAX_SUBSCRIPTIONS_PER_CONNECTION).', { extensions: { code: ErrorCode.TooManySubscriptions } }),
  },
  [ErrorCode.InternalServerError]: { status: 500, raisedBy: 'gateway', example: () => new InternalServerError() },
};

/**
 * Base of the errors the gateway raises. `extensions.http.status` is read (and removed) by Apollo
 * Server to set the response status; `extensions.code` stays in the response.
 */
abstract class GatewayError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code, http: { status: ERROR_CATALOGUE[code].status } } });
  }
}

/** A bad argument; `field` is its path (`input.params[2]`). The message never quotes the value. */
export class BadUserInputError extends GatewayError {
  constructor(message: string, field: string, extra: Record<string, unknown> = {}) {
    super(ErrorCode.BadUserInput, message, { ...extra, field });
  }
}

export class UnauthenticatedError extends GatewayError {
  constructor(message = 'Send a valid API key: `Authorization: Bearer <key>`.') {
    super(ErrorCode.Unauthenticated, message);
  }
}

export class ForbiddenError extends GatewayError {
  constructor(message: string) {
    super(ErrorCode.Forbidden, message);
  }
}

export class NotFoundError extends GatewayError {
  constructor(message: string) {
    super(ErrorCode.NotFound, message);
  }
}

export class IdempotencyConflictGraphQLError extends GatewayError {
  constructor() {
    super(ErrorCode.IdempotencyConflict, 'This idempotencyKey was already used with a different input; use a new key for a new handoff.');
  }
}

export class QueryTooComplexError extends GatewayError {
  constructor(message = 'The query is too deep or too complex; ask for fewer nested fields.') {
    super(ErrorCode.QueryTooComplex, message);
  }
}

export class PayloadTooLargeError extends GatewayError {
  constructor(limitBytes: number) {
    super(ErrorCode.PayloadTooLarge, `The request body is larger than ${limitBytes} bytes.`);
  }
}

export class ServiceUnavailableError extends GatewayError {
  constructor(message = 'The gateway cannot reach its store right now; retry later.') {
    super(ErrorCode.ServiceUnavailable, message);
  }
}

export class BadRequestError extends GatewayError {
  constructor(message: string) {
    super(ErrorCode.BadRequest, message);
  }
}

/** The masked error every unknown failure becomes; `correlationId` is also in the error log line. */
export class InternalServerError extends GatewayError {
  constructor(readonly correlationId: string = randomUUID()) {
    super(ErrorCode.InternalServerError, `Internal server error (correlation id ${correlationId}).`, { correlationId });
  }
}

/**
 * Translates a domain error thrown by `HandoffOperations` to its public error; anything else is
 * rethrown as it is (and masked by `formatError`).
 */
export function toGraphQLError(error: unknown): unknown {
  if (error instanceof GraphQLError) return error;
  if (error instanceof IdempotencyConflictError) return new IdempotencyConflictGraphQLError();
  if (error instanceof HandoffNotFoundError) return new NotFoundError('No handoff with this id.');
  if (error instanceof NotRetryableError) {
    return new BadUserInputError(`This handoff cannot be retried: ${error.message}`, 'id');
  }
  if (error instanceof StoreUnavailableError) return new ServiceUnavailableError();
  if (error instanceof InvalidCursorError) return new BadUserInputError(`after: ${error.message}`, error.field);
  if (error instanceof SipParseError) {
    return new BadUserInputError(`The SIP INVITE is not valid: ${error.message}`, 'sipInvite', { part: error.field });
  }
  return error;
}

/** What graphql-js says when `parseOptions.maxTokens` stops the parser (16.x spells it "more that"). */
const TOKEN_LIMIT = /^Syntax Error: Document contains more tha[nt] (\d+) tokens\. Parsing aborted\.$/;

/** Codes that reach the client as they are; anything else is masked as INTERNAL_SERVER_ERROR. */
const PUBLIC_CODES = new Set<string>(Object.values(ErrorCode).filter((code) => code !== ErrorCode.InternalServerError));

/** The part of a logger `formatError` needs. */
export interface ErrorLog {
  error(details: Record<string, unknown>, message: string): void;
}

/**
 * Apollo Server's `formatError`. Known codes pass (variable-coercion messages are cut to the
 * path, as graphql-js quotes the submitted value); anything else becomes INTERNAL_SERVER_ERROR with
 * a masked message and a correlation id that the error log line also carries.
 */
export function createFormatError(log: ErrorLog) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    // Apollo reports every parser error as GRAPHQL_PARSE_FAILED; a document over the token limit
    // was refused for its size (docs/architecture.md, "Errors"), not for its syntax.
    const tokens = code === ErrorCode.GraphqlParseFailed ? TOKEN_LIMIT.exec(formatted.message) : null;
    if (tokens) {
      return { message: `The document has more than ${tokens[1] ?? ''} tokens, the limit. Send a smaller query.`, extensions: { code: ErrorCode.QueryTooComplex } };
    }
    if (typeof code === 'string' && PUBLIC_CODES.has(code)) {
      if (code === ErrorCode.BadUserInput && formatted.extensions?.field === undefined) return withoutEchoedValue(formatted);
      return withShortEchoes(formatted);
    }
    const masked = new InternalServerError();
    const original = unwrapResolverError(error);
    log.error(
      { err: original, correlationId: masked.correlationId, path: formatted.path, code },
      'unexpected error while handling a GraphQL request',
    );
    const { http: _http, ...extensions } = masked.extensions;
    return { message: masked.message, ...(formatted.path ? { path: formatted.path } : {}), extensions };
  };
}

/** Longest quoted client text (an operation name, an enum literal, a field name) a message repeats. */
const MAX_ECHO = 40;
const QUOTED = /"([^"]*)"/g;

/**
 * graphql-js and Apollo quote what the client sent (`Unknown operation named "…"`, `Value "…" does
 * not exist in "HandoffState" enum`): a 50 KB name came back whole. Quoted text over `MAX_ECHO`
 * characters is cut to its start and an ellipsis, so an honest client still recognises its typo.
 */
function withShortEchoes(formatted: GraphQLFormattedError): GraphQLFormattedError {
  if (!formatted.message.includes('"')) return formatted;
  const message = formatted.message.replace(QUOTED, (quoted, inner: string) => (inner.length > MAX_ECHO ? `"${[...inner].slice(0, MAX_ECHO).join('')}…"` : quoted));
  return message === formatted.message ? formatted : { ...formatted, message };
}

const COERCION = /^Variable "\$([^"]+)" got invalid value .*?(?: at "([^"]+)")?; /s;

/**
 * graphql-js reports a bad variable as `Variable "$input" got invalid value {…whole input…} at
 * "input.params[0]"; …`: keep the variable and the path, drop the value.
 */
function withoutEchoedValue(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const match = COERCION.exec(formatted.message);
  if (!match) {
    return { ...formatted, message: 'An argument has an invalid value.', extensions: { ...formatted.extensions, field: null } };
  }
  const field = match[2] ?? match[1] ?? '';
  return {
    ...formatted,
    message: `Variable "$${match[1] ?? ''}" has an invalid value at "${field}" (wrong type, missing or unknown field).`,
    extensions: { ...formatted.extensions, field },
  };
}
