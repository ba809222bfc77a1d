/**
 * The gateway's GraphQL error catalogue (DESIGN §9): the public codes as a string enum, one
 * `GraphQLError` subclass per code that the gateway throws itself, the translation of domain errors,
 * and `formatError`, which lets known codes through and masks everything else.
 */
import { randomUUID } from 'node:crypto';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { HandoffNotFoundError, IdempotencyConflictError, NotRetryableError, SipParseError, StoreUnavailableError } from '../handoff/errors.js';

/** Every `extensions.code` a client can see. */
export enum ErrorCode {
  /** An argument or input field is invalid; `extensions.field` names it. */
  BadUserInput = 'BAD_USER_INPUT',
  /** The query text is not GraphQL (raised by Apollo Server). */
  GraphqlParseFailed = 'GRAPHQL_PARSE_FAILED',
  /** The query does not match the schema (raised by Apollo Server). */
  GraphqlValidationFailed = 'GRAPHQL_VALIDATION_FAILED',
  /** The HTTP request itself is malformed: no query, bad JSON, blocked by CSRF prevention (Apollo Server / the HTTP layer). */
  BadRequest = 'BAD_REQUEST',
  /** Several operations and no (or an unknown) `operationName` (raised by Apollo Server). */
  OperationResolutionFailure = 'OPERATION_RESOLUTION_FAILURE',
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  NotFound = 'NOT_FOUND',
  IdempotencyConflict = 'IDEMPOTENCY_CONFLICT',
  QueryTooComplex = 'QUERY_TOO_COMPLEX',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
  /** A graphql-ws subscription over a cap (per connection, per key, in total). */
  TooManySubscriptions = 'TOO_MANY_SUBSCRIPTIONS',
  InternalServerError = 'INTERNAL_SERVER_ERROR',
}

/** HTTP status of a response whose only error has this code (GraphQL-over-HTTP, application/json). */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  [ErrorCode.BadUserInput]: 400,
  [ErrorCode.GraphqlParseFailed]: 400,
  [ErrorCode.GraphqlValidationFailed]: 400,
  [ErrorCode.BadRequest]: 400,
  [ErrorCode.OperationResolutionFailure]: 400,
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.IdempotencyConflict]: 409,
  [ErrorCode.QueryTooComplex]: 400,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.ServiceUnavailable]: 503,
  [ErrorCode.TooManySubscriptions]: 429,
  [ErrorCode.InternalServerError]: 500,
};

/**
 * Base of the errors the gateway raises. `extensions.http.status` is read (and removed) by Apollo
 * Server to set the response status; `extensions.code` stays in the response.
 */
abstract class GatewayError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code, http: { status: HTTP_STATUS[code] } } });
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

/** One constructor per code, for the catalogue test and for documentation. */
export const ERROR_EXAMPLES: Readonly<Record<ErrorCode, () => GraphQLError>> = {
  [ErrorCode.BadUserInput]: () => new BadUserInputError('contactId must be 1..20 digits.', 'input.contactId'),
  [ErrorCode.GraphqlParseFailed]: () => new GraphQLError('Syntax Error: Expected Name, found <EOF>.', { extensions: { code: ErrorCode.GraphqlParseFailed } }),
  [ErrorCode.GraphqlValidationFailed]: () =>
    new GraphQLError('Cannot query field "nope" on type "Query".', { extensions: { code: ErrorCode.GraphqlValidationFailed } }),
  [ErrorCode.BadRequest]: () => new BadRequestError('The request body is not valid JSON.'),
  [ErrorCode.OperationResolutionFailure]: () =>
    new GraphQLError('Must provide operation name if query contains multiple operations.', { extensions: { code: ErrorCode.OperationResolutionFailure } }),
  [ErrorCode.Unauthenticated]: () => new UnauthenticatedError(),
  [ErrorCode.Forbidden]: () => new ForbiddenError('This key has the read scope; mutations need a signal key.'),
  [ErrorCode.NotFound]: () => new NotFoundError('No handoff with this id.'),
  [ErrorCode.IdempotencyConflict]: () => new IdempotencyConflictGraphQLError(),
  [ErrorCode.QueryTooComplex]: () => new QueryTooComplexError(),
  [ErrorCode.PayloadTooLarge]: () => new PayloadTooLargeError(65_536),
  [ErrorCode.ServiceUnavailable]: () => new ServiceUnavailableError(),
  [ErrorCode.TooManySubscriptions]: () =>
    new GraphQLError('Too many subscriptions: a connection may hold 10 (MAX_SUBSCRIPTIONS_PER_CONNECTION).', { extensions: { code: ErrorCode.TooManySubscriptions } }),
  [ErrorCode.InternalServerError]: () => new InternalServerError(),
};

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
  if (error instanceof SipParseError) {
    return new BadUserInputError(`The SIP INVITE is not valid: ${error.message}`, 'sipInvite', { part: error.field });
  }
  return error;
}

/** What graphql-js says when `parseOptions.maxTokens` stops the parser (16.x spells it "more that"). */
const TOKEN_LIMIT = /^Syntax Error: Document contains more tha[nt] (\d+) tokens\. Parsing aborted\.$/;

const PUBLIC_CODES = new Set<string>([
  ...Object.values(ErrorCode).filter((code) => code !== ErrorCode.InternalServerError),
  // Apollo's answer to an automatic-persisted-query hash (persisted queries are off): APQ clients
  // read this code to fall back to sending the query text, so it must not be masked.
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

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
    // was refused for its size (DESIGN §9), not for its syntax.
    const tokens = code === ErrorCode.GraphqlParseFailed ? TOKEN_LIMIT.exec(formatted.message) : null;
    if (tokens) {
      return { message: `The document has more than ${tokens[1] ?? ''} tokens, the limit. Send a smaller query.`, extensions: { code: ErrorCode.QueryTooComplex } };
    }
    if (typeof code === 'string' && PUBLIC_CODES.has(code)) {
      if (code === ErrorCode.BadUserInput && formatted.extensions?.field === undefined) return withoutEchoedValue(formatted);
      return formatted;
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
