/**
 * Calls that `registerCall` recorded: the facts of a SIP INVITE (already parsed and checked against
 * the tenant by the GraphQL layer), kept per tenant and contact so screen-pop can show them beside
 * the handoff.
 */
import { type Logger } from '../common/logger.js';
import { type Call, type CallOperations, type ParsedInvite } from './model.js';
import { type HandoffStore } from './ports.js';

export interface CallServiceDeps {
  readonly store: Pick<HandoffStore, 'upsertCall' | 'getCall'>;
  readonly log: Logger;
  /** Epoch milliseconds (default `Date.now`). */
  readonly clock?: () => number;
}

export class CallService implements CallOperations {
  readonly #store: CallServiceDeps['store'];
  readonly #log: Logger;
  readonly #clock: () => number;

  constructor(deps: CallServiceDeps) {
    this.#store = deps.store;
    this.#log = deps.log.child({ component: 'handoff' });
    this.#clock = deps.clock ?? Date.now;
  }

  async registerCall(tenantId: string, invite: ParsedInvite): Promise<Call> {
    const call = await this.#store.upsertCall({
      tenantId,
      contactId: invite.contactId,
      pseudoNumber: invite.pseudoNumber,
      from: invite.from,
      sipCallId: invite.callId,
      receivedAt: new Date(this.#clock()),
      masterContactId: invite.masterContactId,
      cxoneContext: invite.cxoneContext,
      warnings: invite.warnings,
    });
    this.#log.info({ tenantId, contactId: invite.contactId, masterContactId: invite.masterContactId }, 'call registered');
    // The warnings name headers and problems, never their values.
    if (invite.warnings.length > 0) this.#log.warn({ tenantId, contactId: invite.contactId, warnings: invite.warnings }, 'call registered with unusable SIP headers');
    return call;
  }

  async getCall(tenantId: string, contactId: string): Promise<Call | null> {
    return await this.#store.getCall(tenantId, contactId);
  }
}
