/**
 * The simulator's error catalogue. Every error it answers is built here from a small template, so
 * each surface has exactly one JSON shape, as CXone's have:
 *
 * - the token endpoint answers RFC 6749 §5.2 errors: `{ error, error_description }`;
 * - everything else (CXone API, discovery, control, unknown routes): `{ error, message }`.
 *
 * Codes are stable strings; tests and `docs/simulator.md` name them.
 */
import { type JsonReply } from './pipeline.js';

/** Which of the two error shapes a route answers in. */
export type ErrorShape = 'oauth' | 'cxone';

/**
 * OAuth 2 error codes (RFC 6749 §5.2) with the status the token endpoint answers them with.
 * `invalid_grant` is 401 as CXone answers it (docs/architecture.md, "CXone wire contract": partly inferred), not RFC 6749's 400.
 */
export const OAUTH_ERRORS = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 401,
  unsupported_grant_type: 400,
  server_error: 500,
  temporarily_unavailable: 503,
} as const satisfies Record<string, number>;

export type OAuthErrorCode = keyof typeof OAUTH_ERRORS;

/** CXone-shaped error codes with their HTTP status. */
export const API_ERRORS = {
  invalid_request: 400,
  invalid_contact_id: 400,
  invalid_parameter: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  contact_not_found: 404,
  tenant_not_found: 404,
  pseudo_number_not_found: 404,
  fault_not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  request_header_fields_too_large: 431,
  too_many_requests: 429,
  internal_error: 500,
  bad_gateway: 502,
  service_unavailable: 503,
  gateway_timeout: 504,
} as const satisfies Record<string, number>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** An OAuth error reply; `invalid_client` carries the `WWW-Authenticate` challenge RFC 6749 asks for. */
export function oauthError(code: OAuthErrorCode, description: string): JsonReply {
  return {
    kind: 'json',
    status: OAUTH_ERRORS[code],
    body: { error: code, error_description: description },
    headers:
      code === 'invalid_client'
        ? { 'WWW-Authenticate': 'Basic realm="cxone-simulator"', 'Cache-Control': 'no-store' }
        : { 'Cache-Control': 'no-store' },
  };
}

/** A CXone-shaped error reply. */
export function apiError(code: ApiErrorCode, message: string): JsonReply {
  return { kind: 'json', status: API_ERRORS[code], body: { error: code, message } };
}

/**
 * The error for a status the catalogue may not name (fault injection, body-parser failures, the
 * last-resort handler): the first code of the route's shape with that status, else a generic one.
 * The reply keeps the given status even when the code is generic.
 */
export function errorForStatus(shape: ErrorShape, status: number, message: string): JsonReply {
  if (shape === 'oauth') {
    const code: OAuthErrorCode =
      status === 401 ? 'invalid_client' : status === 503 ? 'temporarily_unavailable' : status >= 500 ? 'server_error' : 'invalid_request';
    return { ...oauthError(code, message), status };
  }
  const named = (Object.keys(API_ERRORS) as ApiErrorCode[]).find((candidate) => API_ERRORS[candidate] === status);
  return { ...apiError(named ?? (status >= 500 ? 'internal_error' : 'invalid_request'), message), status };
}
