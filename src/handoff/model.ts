/**
 * The handoff domain's model: plain data that the store returns (through the ports in `ports.ts`),
 * the services hand out, and the GraphQL layer maps to its types.
 */
import { type HandoffErrorCode, type HandoffState } from '../common/vocabulary.js';

export interface HandoffError {
  readonly code: HandoffErrorCode;
  /** Safe to show a caller: never a secret, token or upstream body verbatim. */
  readonly message: string;
  readonly upstreamStatus: number | null;
  readonly at: Date;
}

export interface Handoff {
  readonly id: string;
  readonly tenantId: string;
  readonly contactId: string;
  readonly state: HandoffState;
  /** p1..p9 in order, as sent to CXone. */
  readonly params: readonly string[];
  readonly context: unknown;
  readonly idempotencyKey: string | null;
  readonly attempts: number;
  readonly lastError: HandoffError | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly signaledAt: Date | null;
}

/** What `registerCall` recorded from a SIP INVITE. */
export interface Call {
  readonly tenantId: string;
  readonly contactId: string;
  readonly pseudoNumber: string;
  readonly from: string | null;
  readonly sipCallId: string | null;
  readonly receivedAt: Date;
  /** `X-InContact-MasterId`: the master contact of the (spawned) contact signalled; null when absent or bad. */
  readonly masterContactId: string | null;
  /** The parsed CXone context headers; null for calls recorded before the gateway kept them. */
  readonly cxoneContext: CxoneContext | null;
  /** One line per header that was present but could not be kept (see `ParsedInvite.warnings`). */
  readonly warnings: readonly string[];
}

/** The JSON CXone passes bot context in; each key is null when its header is absent or unusable. */
export interface CxoneContext {
  /** `X-CXone`: CXone's standard data. */
  readonly standard: unknown;
  /** `X-CXone-Custom`: the script's custom data (ivaParams). */
  readonly custom: unknown;
  /** `X-CXone-Extended`. */
  readonly extended: unknown;
}

/** Input of `signalContact`, already validated by the GraphQL layer. */
export interface SignalRequest {
  readonly contactId: string;
  readonly params: readonly string[];
  readonly context: unknown;
  readonly idempotencyKey: string | null;
}

export interface HandoffQuery {
  readonly first: number;
  /** Opaque cursor from a previous page. */
  readonly after: string | null;
  readonly state: HandoffState | null;
  readonly contactId: string | null;
}

export interface HandoffPage {
  readonly items: readonly Handoff[];
  /** Opaque cursor of each item, same order as `items`. */
  readonly cursors: readonly string[];
  readonly hasNextPage: boolean;
}

/** A SIP INVITE reduced to what the gateway keeps (see `sip-invite.ts`). */
export interface ParsedInvite {
  readonly requestUri: string;
  /** E.164 number from the Request-URI (or `To` when the URI has none). */
  readonly pseudoNumber: string;
  readonly from: string | null;
  readonly callId: string;
  /** The contact to signal: from the first of the tenant's contact-id headers present. */
  readonly contactId: string;
  /** `X-InContact-MasterId`, or null when absent or unusable (then a warning says why). */
  readonly masterContactId: string | null;
  readonly cxoneContext: CxoneContext;
  /** Headers that were present but not kept (bad master id or context JSON), one line each, never echoing values. */
  readonly warnings: readonly string[];
}

/**
 * What the GraphQL layer may ask of the handoff domain. Every method is scoped to one tenant: data
 * of another tenant is never returned (it reads as "not found").
 */
export interface HandoffOperations {
  /**
   * Records the handoff durably, then signals CXone, waiting up to the configured deadline.
   * Resolves to the handoff in its state then (PENDING when the deadline passed first).
   * Rejects with `IdempotencyConflictError` or `StoreUnavailableError`.
   */
  signal(tenantId: string, request: SignalRequest): Promise<Handoff>;
  /** Latest handoff of the tenant for that contact, or null. */
  status(tenantId: string, contactId: string): Promise<Handoff | null>;
  get(tenantId: string, id: string): Promise<Handoff | null>;
  list(tenantId: string, query: HandoffQuery): Promise<HandoffPage>;
  /** Re-runs a FAILED handoff whose cause is retryable; rejects with `HandoffNotFoundError` or `NotRetryableError`. */
  retry(tenantId: string, id: string): Promise<Handoff>;
}

/** What the GraphQL layer may ask of the calls `registerCall` recorded; scoped to one tenant likewise. */
export interface CallOperations {
  /** Records (upserts) the call facts of an INVITE already parsed and checked against the tenant. */
  registerCall(tenantId: string, invite: ParsedInvite): Promise<Call>;
  getCall(tenantId: string, contactId: string): Promise<Call | null>;
}
