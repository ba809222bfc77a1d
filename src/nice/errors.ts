/**
 * The catalogue of CXone failures (docs/architecture.md, "CXone wire contract", "Errors"). One public class, `NiceError`, carries a stable
 * `code` (a `NiceErrorCode`), whether a later attempt could succeed, and what the upstream said
 * (status, `CorrelationId`, `Retry-After`, the OAuth `error` field or a short sanitized snippet).
 *
 * Nothing here may ever hold a credential or a token: messages are built from templates and
 * sanitized snippets, `cause` is a fresh `NiceNetworkCause` carrying only the name and code of the
 * network error (raw undici errors can reference request options and headers), and `toJSON`
 * lists the fields explicitly.
 */
import { NiceErrorCode } from './types.js';

/** Which upstream exchange failed. */
export type NiceExchangeKind = 'token' | 'discovery' | 'signal';

/** Everything a `NiceError` carries; built by the factories below. */
export interface NiceErrorInit {
  readonly code: NiceErrorCode;
  readonly message: string;
  readonly retryable: boolean;
  readonly kind?: NiceExchangeKind | undefined;
  readonly upstreamStatus?: number | undefined;
  readonly correlationId?: string | undefined;
  readonly retryAfterMs?: number | undefined;
  readonly upstreamError?: string | undefined;
  readonly attempts?: number | undefined;
  readonly cause?: NiceNetworkCause | undefined;
}

/** A CXone call failed. `code` is stable API; `message` is for humans. */
export class NiceError extends Error {
  override readonly name = 'NiceError';
  /** One of `NiceErrorCode` (docs/architecture.md, "Errors"). */
  readonly code: NiceErrorCode;
  /** Whether a later attempt could succeed (5xx, 429, timeouts, connection failures). */
  readonly retryable: boolean;
  /** The exchange that failed, when one did (`undefined` for input rejected before any request). */
  readonly kind: NiceExchangeKind | undefined;
  /** HTTP status CXone (or a proxy) answered, if it answered. */
  readonly upstreamStatus: number | undefined;
  /** CXone's `CorrelationId` response header, for NICE support. */
  readonly correlationId: string | undefined;
  /** How long CXone asked us to wait (`Retry-After`), in ms. */
  readonly retryAfterMs: number | undefined;
  /** The OAuth `error` field or a short sanitized snippet of the upstream error body. */
  readonly upstreamError: string | undefined;
  /** Tries made by the `signal` call that gave up with this error (0 when rejected before any). */
  readonly attempts: number;

  constructor(init: NiceErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.retryable = init.retryable;
    this.kind = init.kind;
    this.upstreamStatus = init.upstreamStatus;
    this.correlationId = init.correlationId;
    this.retryAfterMs = init.retryAfterMs;
    this.upstreamError = init.upstreamError;
    this.attempts = init.attempts ?? 0;
  }

  /** The same failure, stamped with the number of tries the call made. */
  withAttempts(attempts: number): NiceError {
    const copy = new NiceError({ ...this.#init(), attempts });
    copy.stack = this.stack;
    return copy;
  }

  /**
   * The same failure with every occurrence of `secrets` in the message and upstream snippet
   * replaced: the last line of defence against an upstream that echoed something we sent.
   */
  redacted(secrets: readonly string[]): NiceError {
    const scrub = (text: string): string => redactSecrets(text, secrets);
    const init = this.#init();
    const copy = new NiceError({ ...init, message: scrub(init.message), upstreamError: init.upstreamError === undefined ? undefined : scrub(init.upstreamError) });
    copy.stack = this.stack === undefined ? undefined : scrub(this.stack);
    return copy;
  }

  /** The fields callers may record; listed explicitly so nothing else can leak. */
  toJSON(): Record<string, unknown> {
    const { cause, ...fields } = this.#init();
    return { name: this.name, ...fields, attempts: this.attempts, cause: cause?.toJSON() };
  }

  #init(): NiceErrorInit {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      kind: this.kind,
      upstreamStatus: this.upstreamStatus,
      correlationId: this.correlationId,
      retryAfterMs: this.retryAfterMs,
      upstreamError: this.upstreamError,
      attempts: this.attempts,
      cause: this.cause instanceof NiceNetworkCause ? this.cause : undefined,
    };
  }
}

/** The sanitized trace of a network-level failure: its name and code, nothing else. */
export class NiceNetworkCause extends Error {
  override readonly name = 'NiceNetworkCause';
  readonly code: string | undefined;

  constructor(errorName: string, code: string | undefined) {
    super(code === undefined ? errorName : `${errorName} (${code})`);
    this.code = code;
  }

  /** Keeps the serialized form as small as the object. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message, code: this.code };
  }

  /** Copies only the name and a code-like `code` of any thrown value. */
  static from(error: unknown): NiceNetworkCause {
    const record = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
    const name = typeof record.name === 'string' && /^[A-Za-z]{1,64}$/.test(record.name) ? record.name : 'Error';
    const code = typeof record.code === 'string' && /^[A-Z0-9_]{1,64}$/.test(record.code) ? record.code : undefined;
    return new NiceNetworkCause(name, code);
  }
}

/** `text` with every occurrence of each secret (of 4 characters or more) replaced. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  return secrets.reduce((clean, secret) => (secret.length >= 4 ? clean.split(secret).join('[redacted]') : clean), text);
}

/** True for errors of this catalogue. */
export function isNiceError(error: unknown): error is NiceError {
  return error instanceof NiceError;
}

/** What an upstream answered, as far as error classification needs it. */
export interface UpstreamFailure {
  readonly kind: NiceExchangeKind;
  readonly status: number;
  readonly correlationId?: string | undefined;
  readonly retryAfterMs?: number | undefined;
  /** OAuth `error` field or sanitized snippet, already free of secrets. */
  readonly upstreamError?: string | undefined;
}

/** What every error built from an upstream answer carries about that answer. */
const fromUpstream = (failure: UpstreamFailure) => ({
  kind: failure.kind,
  upstreamStatus: failure.status,
  correlationId: failure.correlationId,
  upstreamError: failure.upstreamError,
});

const withDetail = (message: string, detail: string | undefined): string =>
  detail === undefined || detail === '' ? message : `${message} Upstream said: "${detail}".`;

/**
 * Classifies a non-2xx answer of the Signal API (docs/architecture.md, "CXone wire contract"): 404 contact gone, 400 and other
 * 4xx bad request, 401/403 auth (the client retries once with a fresh token before this becomes
 * final), 429 throttled, 5xx and anything else unavailable.
 */
export function signalFailure(contactId: string, failure: UpstreamFailure): NiceError {
  const { status } = failure;
  const base = fromUpstream(failure);
  if (status === 404) {
    return new NiceError({
      ...base,
      code: NiceErrorCode.ContactNotFound,
      retryable: false,
      message: withDetail(`CXone does not know contact ${contactId} or it is no longer active (HTTP 404); a new call gets a new contact id.`, failure.upstreamError),
    });
  }
  if (status === 401 || status === 403) {
    return new NiceError({
      ...base,
      code: NiceErrorCode.AuthFailed,
      retryable: false,
      message: withDetail(
        `CXone refused the access token even after a fresh one was fetched (HTTP ${status}); check that the access key's user may signal contacts.`,
        failure.upstreamError,
      ),
    });
  }
  if (status === 429) return throttled(failure);
  if (status >= 400 && status < 500) {
    return new NiceError({
      ...base,
      code: NiceErrorCode.BadRequest,
      retryable: false,
      message: withDetail(`CXone rejected the signal for contact ${contactId} as invalid (HTTP ${status}); check the contact id and the parameters.`, failure.upstreamError),
    });
  }
  return unavailable(failure, `CXone's Signal API answered HTTP ${status}; it will be retried.`);
}

/**
 * Classifies a non-2xx answer of the token endpoint. OAuth errors (CXone answers 401 to both
 * `invalid_client` and `invalid_grant`; docs/architecture.md, "CXone wire contract": partly inferred) and any other 4xx mean
 * these credentials cannot get a token: final. `grant` only shapes the advice in the message.
 */
export function tokenFailure(failure: UpstreamFailure, grant: 'password' | 'access-key' = 'password'): NiceError {
  const { status } = failure;
  if (status === 429) return throttled(failure);
  if (status >= 400 && status < 500) {
    const check =
      grant === 'access-key'
        ? 'check accessKeyId/accessKeySecret and authEndpoint (the access-key grant)'
        : 'check clientId/clientSecret and accessKeyId/accessKeySecret';
    return new NiceError({
      ...fromUpstream(failure),
      code: NiceErrorCode.AuthFailed,
      retryable: false,
      message: withDetail(`CXone's token endpoint refused the tenant's credentials (HTTP ${status}); ${check}.`, failure.upstreamError),
    });
  }
  return unavailable(failure, `CXone's token endpoint answered HTTP ${status}; it will be retried.`);
}

/** A discovery document could not be fetched (non-2xx). */
export function discoveryFailure(failure: UpstreamFailure, document: string): NiceError {
  if (failure.status === 429) return throttled(failure);
  return unavailable(failure, `CXone discovery (${document}) answered HTTP ${failure.status}; check the issuer URL.`);
}

/** A 2xx answer whose body is not what the contract says (HTML from a proxy, missing fields). */
export function malformedAnswer(kind: NiceExchangeKind, status: number, what: string, correlationId?: string): NiceError {
  return new NiceError({
    kind,
    upstreamStatus: status,
    correlationId,
    code: NiceErrorCode.Unavailable,
    retryable: true,
    message: `CXone's ${kind} answer was malformed: ${what}.`,
  });
}

function throttled(failure: UpstreamFailure): NiceError {
  const wait = failure.retryAfterMs === undefined ? '' : ` and asked to wait ${failure.retryAfterMs} ms`;
  return new NiceError({
    ...fromUpstream(failure),
    retryAfterMs: failure.retryAfterMs,
    code: NiceErrorCode.Throttled,
    retryable: true,
    message: `CXone throttled the ${failure.kind} request (HTTP 429)${wait}.`,
  });
}

function unavailable(failure: UpstreamFailure, message: string): NiceError {
  return new NiceError({
    ...fromUpstream(failure),
    retryAfterMs: failure.retryAfterMs,
    code: NiceErrorCode.Unavailable,
    retryable: true,
    message: withDetail(message, failure.upstreamError),
  });
}

/** The connection failed (refused, reset, closed, DNS): CXone did not answer. */
export function networkFailure(kind: NiceExchangeKind, error: unknown): NiceError {
  const cause = NiceNetworkCause.from(error);
  return new NiceError({
    kind,
    cause,
    code: NiceErrorCode.Unavailable,
    retryable: true,
    message: `Could not reach CXone for the ${kind} request (${cause.code ?? cause.name}); it will be retried.`,
  });
}

/** An attempt or the caller's deadline passed before CXone answered. */
export function timeoutFailure(kind: NiceExchangeKind | undefined, afterMs: number, error?: unknown): NiceError {
  return new NiceError({
    kind,
    cause: error === undefined ? undefined : NiceNetworkCause.from(error),
    code: NiceErrorCode.Timeout,
    retryable: true,
    message: `CXone did not answer the ${kind ?? 'signal'} request within ${Math.max(0, Math.round(afterMs))} ms.`,
  });
}

/**
 * The caller aborted (e.g. shutdown). Reported as a retryable timeout: nothing is known about
 * the outcome, and a later attempt (the retry worker) may finish the job.
 */
export function abortedFailure(kind: NiceExchangeKind | undefined): NiceError {
  return new NiceError({
    kind,
    code: NiceErrorCode.Timeout,
    retryable: true,
    message: `The ${kind ?? 'signal'} request was aborted by the caller before CXone answered.`,
  });
}

/** Input rejected before any request (more than 9 params, a param too long, empty contact id). */
export function badInput(message: string): NiceError {
  return new NiceError({ code: NiceErrorCode.BadRequest, retryable: false, message });
}

/** Configuration that cannot work (e.g. no way to learn the API endpoint). */
export function misconfigured(kind: NiceExchangeKind, message: string): NiceError {
  return new NiceError({ kind, code: NiceErrorCode.Unavailable, retryable: false, message });
}
