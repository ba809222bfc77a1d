/**
 * Domain errors of the handoff layer. The GraphQL layer translates each to its public code
 * (docs/architecture.md, "Errors"); nothing here knows about GraphQL.
 */

/** Same idempotency key, different input. */
export class IdempotencyConflictError extends Error {
  override readonly name = 'IdempotencyConflictError';
  constructor() {
    super('This idempotency key was already used with a different input; use a new key for a new handoff.');
  }
}

/** No handoff with that id for this tenant. */
export class HandoffNotFoundError extends Error {
  override readonly name = 'HandoffNotFoundError';
  constructor() {
    super('No handoff with this id.');
  }
}

/** `retryHandoff` on a handoff that is not FAILED or whose cause is final. */
export class NotRetryableError extends Error {
  override readonly name = 'NotRetryableError';
}

/** The store cannot be reached; the request was not accepted and may be retried later. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(options?: { cause?: unknown }) {
    super('The handoff store is unavailable; retry later.', options);
  }
}

/** A SIP INVITE that cannot be parsed; `field` names the part that is wrong. */
export class SipParseError extends Error {
  override readonly name = 'SipParseError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/** A `handoffs(after:)` cursor that this gateway did not hand out. */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  readonly field = 'after';
  constructor() {
    super('The cursor is not valid; pass a cursor from a previous page, or none for the first page.');
  }
}
