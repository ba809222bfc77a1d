/**
 * `registerCall`: the voice agent hands over the SIP INVITE it received; the gateway keeps the call
 * facts so a handoff can show them (`Handoff.call`).
 */
// type-graphql's decorators need the Reflect metadata API before this class is evaluated.
import 'reflect-metadata';
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { type TenantRegistry } from '../config/tenant-registry.js';
import { SipParseError } from '../handoff/errors.js';
import { type Call as CallRecord, type CallOperations, type ParsedInvite } from '../handoff/model.js';
import { Call } from './call.type.js';
import { type GatewayContext, requireCaller } from './context.js';
import { ForbiddenError, toGraphQLError } from './errors.js';
import { checkSipInviteSize, type InputLimits } from './validation.js';

/** `parseInvite` of `src/handoff/sip-invite.ts`: throws `SipParseError` on a malformed INVITE. */
export type InviteParser = (text: string, options: { readonly contactIdHeaders: readonly string[] }) => ParsedInvite;

@Resolver(() => Call)
export class CallResolver {
  readonly #calls: CallOperations;
  readonly #tenants: Pick<TenantRegistry, 'ownerOfNumber' | 'tenants'>;
  readonly #parseInvite: InviteParser;
  readonly #limits: InputLimits;

  constructor(deps: {
    readonly calls: CallOperations;
    readonly tenants: Pick<TenantRegistry, 'ownerOfNumber' | 'tenants'>;
    readonly parseInvite: InviteParser;
    readonly limits: InputLimits;
  }) {
    this.#calls = deps.calls;
    this.#tenants = deps.tenants;
    this.#parseInvite = deps.parseInvite;
    this.#limits = deps.limits;
  }

  @Mutation(() => Call, { description: "Records the call facts of a SIP INVITE sent to one of the caller's pseudo numbers." })
  async registerCall(@Arg('sipInvite', () => String) sipInvite: string, @Ctx() context: GatewayContext): Promise<CallRecord> {
    const caller = requireCaller(context, 'signal');
    checkSipInviteSize(sipInvite, this.#limits);
    try {
      const invite = this.#parse(sipInvite, caller.tenant.contactIdHeaders, caller.tenant.id);
      this.#checkOwner(invite.pseudoNumber, caller.tenant.id);
      const call = await this.#calls.registerCall(caller.tenant.id, invite);
      context.log.info({ contactId: call.contactId, masterContactId: call.masterContactId, sipCallId: call.sipCallId, warnings: call.warnings.length }, 'registerCall');
      return call;
    } catch (error) {
      throw toGraphQLError(error);
    }
  }

  /** An unknown number and another tenant's number get the same answer: no oracle on who owns what. */
  #checkOwner(pseudoNumber: string, tenantId: string): void {
    if (this.#tenants.ownerOfNumber(pseudoNumber)?.id !== tenantId) {
      throw new ForbiddenError("The INVITE's pseudo number is not one of this tenant's numbers.");
    }
  }

  /**
   * Parses with the caller's contact-id headers. When that fails, the INVITE may simply be meant for
   * another tenant whose headers differ: if it parses with another tenant's headers, the answer is
   * the one about its number (FORBIDDEN), not a complaint about a header the caller never uses.
   */
  #parse(text: string, contactIdHeaders: readonly string[], tenantId: string): ParsedInvite {
    try {
      return this.#parseInvite(text, { contactIdHeaders });
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
      const key = (headers: readonly string[]): string => headers.map((h) => h.toLowerCase()).join('\n');
      const others = new Map(this.#tenants.tenants.map((t) => [key(t.contactIdHeaders), t.contactIdHeaders]));
      others.delete(key(contactIdHeaders));
      for (const headers of others.values()) {
        let invite: ParsedInvite;
        try {
          invite = this.#parseInvite(text, { contactIdHeaders: headers });
        } catch {
          continue;
        }
        this.#checkOwner(invite.pseudoNumber, tenantId);
      }
      throw error;
    }
  }
}
