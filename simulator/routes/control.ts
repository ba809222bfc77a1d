/**
 * The control API under `/_sim/` (hand-written; the read-only state collections behind it are
 * json-server's): create calls, end contacts, manage faults, reset.
 */
import { z } from 'zod';
import { validBody } from '../body.js';
import { apiError } from '../errors.js';
import { faultSpecSchema } from '../faults.js';
import { rateLimitSchema } from '../rate-limit.js';
import { contactTimeline, DEFAULT_SCRIPT } from '../timeline.js';
import { type RouteDeps } from '../options.js';
import { pathParam, type Reply, type RouteContext, type RouteDef } from '../pipeline.js';
import { parseSipTarget } from '../sip-agent.js';
import { buildInvite, newBranch, newCallId, newTag } from '../sip.js';

/** Caller number used when `POST /_sim/calls` gives no `from`. */
export const DEFAULT_CALLER = '+15557654321';

// The Request-URI host of an INVITE that is only returned, never sent: RFC 2606 reserves .invalid.
const PLACEHOLDER_TARGET = 'voice-agent.invalid';
const PLACEHOLDER_SIP_PORT = 5060;

const createCallSchema = z.strictObject({
  pseudoNumber: z.string().min(1),
  from: z.string().regex(/^\+?\d{3,15}$/, 'must be a phone number such as +15557654321').optional(),
  sipTarget: z.string().optional(),
});

export function controlRoutes(deps: RouteDeps): RouteDef[] {
  const route = (method: RouteDef['method'], path: string, handle: RouteDef['handle']): RouteDef => ({ method, path: `/_sim${path}`, shape: 'cxone', handle });
  return [
    route('post', '/calls', (ctx) => createCall(ctx, deps)),
    route('post', '/contacts/:contactId/end', (ctx) => endContact(ctx, deps)),
    route('get', '/contacts/:contactId/timeline', (ctx) => timeline(ctx, deps)),
    route('get', '/duplicates', () => ({ kind: 'json', status: 200, body: duplicates(deps) })),
    route('post', '/reset', () => {
      deps.state.reset();
      deps.sip.reset();
      return { kind: 'empty', status: 204 };
    }),
    route('get', '/faults', () => ({ kind: 'json', status: 200, body: deps.state.faults.list() })),
    route('post', '/faults', (ctx) => {
      const spec = validBody(ctx, faultSpecSchema);
      return spec.ok ? { kind: 'json', status: 201, body: deps.state.faults.add(spec.value) } : spec.reply;
    }),
    route('delete', '/faults', () => {
      deps.state.faults.clear();
      return { kind: 'empty', status: 204 };
    }),
    route('get', '/rate-limits', () => ({ kind: 'json', status: 200, body: deps.state.rateLimits.list() })),
    route('put', '/rate-limits/:businessUnit', (ctx) => setRateLimit(ctx, deps, true)),
    route('delete', '/rate-limits/:businessUnit', (ctx) => setRateLimit(ctx, deps, false)),
    route('delete', '/faults/:id', (ctx) => {
      const id = pathParam(ctx, 'id') ?? '';
      return /^\d+$/.test(id) && deps.state.faults.remove(Number(id)) ? { kind: 'empty', status: 204 } : apiError('fault_not_found', `No fault ${id}.`);
    }),
  ];
}

async function createCall(ctx: RouteContext, deps: RouteDeps): Promise<Reply> {
  const body = validBody(ctx, createCallSchema);
  if (!body.ok) return body.reply;
  const { pseudoNumber, from = DEFAULT_CALLER, sipTarget } = body.value;
  const unit = deps.state.businessUnitByPseudoNumber(pseudoNumber);
  if (unit === undefined) return apiError('pseudo_number_not_found', `No business unit owns the pseudo number ${pseudoNumber}.`);
  const target = sipTarget === undefined ? undefined : parseSipTarget(sipTarget);
  if (sipTarget !== undefined && target === undefined) {
    return apiError('invalid_request', 'Invalid request body: sipTarget: must be udp:host:port, such as udp:127.0.0.1:5062.');
  }

  const local = target === undefined ? { address: deps.sip.address, port: PLACEHOLDER_SIP_PORT } : await deps.sip.localEndpoint();
  const contact = deps.state.createContact(unit.businessUnit, pseudoNumber, from, deps.now());
  const invite = buildInvite({
    pseudoNumber,
    from,
    contactId: contact.id,
    masterContactId: contact.masterContactId,
    contactIdHeader: unit.contactIdHeader,
    context: unit.contexts?.[pseudoNumber],
    callId: newCallId(local.address),
    fromTag: newTag(),
    branch: newBranch(),
    local,
    target: target === undefined ? PLACEHOLDER_TARGET : `${target.host}:${target.port}`,
  });
  deps.state.addCall({
    contactId: contact.id,
    masterContactId: contact.masterContactId,
    callId: invite.callId,
    pseudoNumber,
    from,
    sipTarget: sipTarget ?? null,
    dialog: 'none',
  });
  if (target !== undefined) {
    deps.sip.start(invite, target, (callId, dialog) => deps.state.setDialog(callId, dialog)).catch((error: unknown) => {
      ctx.log.warn({ err: error, contactId: contact.id }, 'could not send the INVITE');
      deps.state.setDialog(invite.callId, 'terminated');
    });
  }
  ctx.log.info({ contactId: contact.id, businessUnit: unit.businessUnit, sip: target !== undefined }, 'call created');
  return {
    kind: 'json',
    status: 201,
    body: { contactId: contact.id, masterContactId: contact.masterContactId, callId: invite.callId, businessUnit: unit.businessUnit, invite: invite.text },
  };
}

/** What the contact's Studio script would have done with the signals CXone accepted. */
function timeline(ctx: RouteContext, deps: RouteDeps): Reply {
  const contactId = pathParam(ctx, 'contactId') ?? '';
  const contact = deps.state.contact(contactId);
  if (contact === undefined) return apiError('contact_not_found', `No contact ${contactId}.`);
  const script = deps.state.businessUnit(contact.businessUnit)?.scripts[contact.pseudoNumber] ?? DEFAULT_SCRIPT;
  return { kind: 'json', status: 200, body: contactTimeline(contact, deps.state.signalsOf(contactId), script, deps.now()) };
}

/** Signals that repeated an earlier signal's params for the same contact: the total and per contact. */
function duplicates(deps: RouteDeps): { total: number; contacts: Record<string, number> } {
  const seen = new Set<string>();
  const contacts: Record<string, number> = {};
  let total = 0;
  for (const signal of deps.state.allSignals()) {
    const key = `${signal.contactId} ${JSON.stringify(signal.params)}`;
    if (seen.has(key)) {
      contacts[signal.contactId] = (contacts[signal.contactId] ?? 0) + 1;
      total += 1;
    }
    seen.add(key);
  }
  return { total, contacts };
}

/** Sets (`PUT`, body as a seed's `rateLimit`) or removes (`DELETE`) a business unit's signal rate limit. */
function setRateLimit(ctx: RouteContext, deps: RouteDeps, put: boolean): Reply {
  const unit = pathParam(ctx, 'businessUnit') ?? '';
  if (deps.state.businessUnit(unit) === undefined) return apiError('not_found', `No business unit ${unit}.`);
  if (!put) return { kind: 'json', status: 200, body: deps.state.rateLimits.set(unit, null) };
  const spec = validBody(ctx, rateLimitSchema);
  return spec.ok ? { kind: 'json', status: 200, body: deps.state.rateLimits.set(unit, spec.value) } : spec.reply;
}

/** Ends a contact (202 also when it had already ended); hangs up its SIP dialog if it has one. */
function endContact(ctx: RouteContext, deps: RouteDeps): Reply {
  const contactId = pathParam(ctx, 'contactId') ?? '';
  if (deps.state.contact(contactId) === undefined) return apiError('contact_not_found', `No contact ${contactId}.`);
  if (deps.state.endContact(contactId, deps.now())) {
    const call = deps.state.callForContact(contactId);
    if (call !== undefined) deps.sip.end(call.callId);
  }
  return { kind: 'empty', status: 202 };
}
