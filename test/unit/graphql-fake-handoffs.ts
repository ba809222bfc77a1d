/**
 * An in-memory `HandoffOperations` for the GraphQL and HTTP unit suites: tenant-scoped, idempotent,
 * signals succeed at once. `failNext` makes the next call reject with a chosen error.
 */
import { randomUUID } from 'node:crypto';
import { HandoffNotFoundError, IdempotencyConflictError, NotRetryableError } from '../../src/handoff/errors.js';
import {
  type Call,
  type CallOperations,
  type Handoff,
  type HandoffOperations,
  type HandoffPage,
  type HandoffQuery,
  type ParsedInvite,
  type SignalRequest,
} from '../../src/handoff/model.js';

export class FakeHandoffs implements HandoffOperations, CallOperations {
  readonly handoffs: Handoff[] = [];
  readonly calls: Call[] = [];
  readonly signals: { tenantId: string; request: SignalRequest }[] = [];
  #fail: Error | null = null;

  /** The next operation rejects with `error`. */
  failNext(error: Error): void {
    this.#fail = error;
  }

  #maybeFail(): void {
    const error = this.#fail;
    this.#fail = null;
    if (error) throw error;
  }

  async signal(tenantId: string, request: SignalRequest): Promise<Handoff> {
    this.#maybeFail();
    const existing = request.idempotencyKey
      ? this.handoffs.find((h) => h.tenantId === tenantId && h.idempotencyKey === request.idempotencyKey)
      : undefined;
    if (existing) {
      const same =
        existing.contactId === request.contactId &&
        JSON.stringify(existing.params) === JSON.stringify(request.params) &&
        JSON.stringify(existing.context) === JSON.stringify(request.context);
      if (!same) throw new IdempotencyConflictError();
      return existing;
    }
    this.signals.push({ tenantId, request });
    const now = new Date(Date.UTC(2026, 0, 1, 0, 0, this.handoffs.length));
    const handoff: Handoff = {
      id: randomUUID(),
      tenantId,
      contactId: request.contactId,
      state: 'SIGNALED',
      params: request.params,
      context: request.context,
      idempotencyKey: request.idempotencyKey,
      attempts: 1,
      lastError: null,
      createdAt: now,
      updatedAt: now,
      signaledAt: now,
    };
    this.handoffs.push(handoff);
    return handoff;
  }

  async status(tenantId: string, contactId: string): Promise<Handoff | null> {
    this.#maybeFail();
    return this.handoffs.filter((h) => h.tenantId === tenantId && h.contactId === contactId).at(-1) ?? null;
  }

  async get(tenantId: string, id: string): Promise<Handoff | null> {
    this.#maybeFail();
    return this.handoffs.find((h) => h.tenantId === tenantId && h.id === id) ?? null;
  }

  async list(tenantId: string, query: HandoffQuery): Promise<HandoffPage> {
    this.#maybeFail();
    const all = this.handoffs
      .filter((h) => h.tenantId === tenantId && (!query.state || h.state === query.state) && (!query.contactId || h.contactId === query.contactId))
      .reverse();
    const start = query.after ? all.findIndex((h) => h.id === query.after) + 1 : 0;
    const items = all.slice(start, start + query.first);
    return { items, cursors: items.map((h) => h.id), hasNextPage: start + query.first < all.length };
  }

  async retry(tenantId: string, id: string): Promise<Handoff> {
    this.#maybeFail();
    const handoff = await this.get(tenantId, id);
    if (!handoff) throw new HandoffNotFoundError();
    if (handoff.state !== 'FAILED') throw new NotRetryableError('only FAILED handoffs can be retried');
    return handoff;
  }

  async registerCall(tenantId: string, invite: ParsedInvite): Promise<Call> {
    this.#maybeFail();
    const call: Call = {
      tenantId,
      contactId: invite.contactId,
      pseudoNumber: invite.pseudoNumber,
      from: invite.from,
      sipCallId: invite.callId,
      receivedAt: new Date('2026-01-01T00:00:00Z'),
      masterContactId: invite.masterContactId,
      cxoneContext: invite.cxoneContext,
      warnings: invite.warnings,
    };
    this.calls.push(call);
    return call;
  }

  async getCall(tenantId: string, contactId: string): Promise<Call | null> {
    return this.calls.filter((c) => c.tenantId === tenantId && c.contactId === contactId).at(-1) ?? null;
  }
}
