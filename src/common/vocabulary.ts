/**
 * The gateway's shared vocabulary, each defined once. TypeScript types, zod enums, GraphQL enums,
 * SQL checks and test tables are derived from these lists, so adding a state or a code is one edit
 * here (plus a migration where the database checks it).
 */

/** The states of a handoff (see docs/architecture.md, "Handoff lifecycle"). */
export const HANDOFF_STATES = ['PENDING', 'SIGNALED', 'FAILED'] as const;
export type HandoffState = (typeof HANDOFF_STATES)[number];

/** Codes of CXone failures, as the CXone client raises them and a handoff's `lastError.code` keeps them. */
export const CXONE_ERROR_CODES = [
  'CXONE_CONTACT_NOT_FOUND',
  'CXONE_BAD_REQUEST',
  'CXONE_AUTH_FAILED',
  'CXONE_UNAVAILABLE',
  'CXONE_THROTTLED',
  'CXONE_TIMEOUT',
  // Not sent: the tenant's circuit breaker is open after too many 429/503 answers (src/nice/circuit-breaker.ts).
  'CXONE_CIRCUIT_OPEN',
] as const;
export type CxoneErrorCode = (typeof CXONE_ERROR_CODES)[number];

/** Every code a handoff's `lastError.code` can hold: the CXone codes plus the gateway's own. */
export const HANDOFF_ERROR_CODES = [...CXONE_ERROR_CODES, 'RETRIES_EXHAUSTED'] as const;
export type HandoffErrorCode = (typeof HANDOFF_ERROR_CODES)[number];

/** Codes after which `retryHandoff` may try again: the cause was transient. */
export const RETRYABLE_HANDOFF_ERROR_CODES = ['RETRIES_EXHAUSTED', 'CXONE_TIMEOUT', 'CXONE_UNAVAILABLE', 'CXONE_THROTTLED', 'CXONE_CIRCUIT_OPEN'] as const satisfies readonly HandoffErrorCode[];

/** What an API key may do: `signal` (voice-agent runtime) or `read` (Handoff API key, screen-pop). */
export const KEY_SCOPES = ['signal', 'read'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

/**
 * Whether a key of scope `have` may do what needs scope `need`: a `signal` key may also read its
 * own tenant's handoffs (the voice agent polls what it sent); a `read` key may only read. GraphQL
 * (`requireCaller`) and the REST Handoff API apply this one rule.
 */
export function keyScopeAllows(have: KeyScope, need: KeyScope): boolean {
  return need === 'read' || have === 'signal';
}

/**
 * Voice-agent-side identifiers a handoff may carry (`sharedId`, `conversationId`): 1..128 printable
 * ASCII characters, not starting or ending with a space. The Handoff API refuses lookups outside
 * this shape (nothing stored can match them).
 */
export const EXTERNAL_ID_PATTERN = /^[\x21-\x7E](?:[\x20-\x7E]{0,126}[\x21-\x7E])?$/;

/** Page size of `handoffs(first:)`: the default and the largest a caller may ask for. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** CXone contact ids are numbers; 20 digits covers a 64-bit id. */
export const CONTACT_ID_PATTERN = /^\d{1,20}$/;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Handoff ids are UUIDs; anything else cannot exist (and must never reach SQL as a uuid cast error). */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** Whether `value` is one of `list` (a type guard for the `as const` lists above). */
export function isOneOf<const T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}
