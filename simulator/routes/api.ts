/**
 * The CXone API routes the gateway uses (docs/architecture.md, "CXone wire contract"): signal a contact, end a contact, list active
 * contacts. Paths match case-insensitively under any `v{N}.0`; each checks, in order: the bearer
 * token (401), permission (403), input (400), the contact (404).
 */
import { apiError } from '../errors.js';
import { type RouteDeps } from '../options.js';
import { pathParam, type Reply, type RouteContext, type RouteDef } from '../pipeline.js';
import { type Grant } from '../state.js';
import { jsonBody } from '../body.js';

const BASE = '/incontactapi/services/:version';
const PARAM_NAMES = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9'] as const;

export function apiRoutes(deps: RouteDeps): RouteDef[] {
  return [
    { method: 'post', path: `${BASE}/interactions/:contactId/signal`, fault: 'signal', shape: 'cxone', handle: (ctx) => signal(ctx, deps) },
    { method: 'post', path: `${BASE}/contacts/:contactId/end`, fault: 'end', shape: 'cxone', handle: (ctx) => endContact(ctx, deps) },
    { method: 'get', path: `${BASE}/contacts/active`, shape: 'cxone', handle: (ctx) => activeContacts(ctx, deps) },
  ];
}

function signal(ctx: RouteContext, deps: RouteDeps): Reply {
  const checked = authorize(ctx, deps, 'signal');
  if ('reply' in checked) return checked.reply;
  const { grant, contactId, apiVersion } = checked;
  const params = signalParams(ctx, deps.behaviour.paramMaxLength);
  if (!Array.isArray(params)) return params;
  const contact = deps.state.contact(contactId);
  if (contact === undefined || contact.state !== 'active' || contact.businessUnit !== grant.businessUnit) {
    return contactNotFound(contactId);
  }
  const record = deps.state.recordSignal({
    contactId,
    businessUnit: grant.businessUnit,
    params,
    receivedAt: new Date(deps.now()).toISOString(),
    clientId: grant.clientId,
    apiVersion,
  });
  ctx.log.info({ contactId, signalId: record.id, params: params.length }, 'signal accepted');
  return { kind: 'empty', status: deps.behaviour.signalStatus };
}

function endContact(ctx: RouteContext, deps: RouteDeps): Reply {
  const checked = authorize(ctx, deps);
  if ('reply' in checked) return checked.reply;
  const { grant, contactId } = checked;
  const contact = deps.state.contact(contactId);
  if (contact?.businessUnit !== grant.businessUnit || !deps.state.endContact(contactId, deps.now())) return contactNotFound(contactId);
  const call = deps.state.callForContact(contactId);
  if (call !== undefined) deps.sip.end(call.callId);
  return { kind: 'empty', status: 202 };
}

function activeContacts(ctx: RouteContext, deps: RouteDeps): Reply {
  const checked = authorize(ctx, deps);
  if ('reply' in checked) return checked.reply;
  const contacts = deps.state.activeContacts(checked.grant.businessUnit).map((contact) => ({
    contactId: contact.id,
    fromAddress: contact.from,
    toAddress: contact.pseudoNumber,
    startDate: contact.startedAt,
    mediaTypeName: 'Call',
    contactStateName: 'Active',
  }));
  return { kind: 'json', status: 200, body: { resultSet: { totalRecords: contacts.length, activeContacts: contacts } } };
}

type Authorized = { readonly grant: Grant; readonly contactId: string; readonly apiVersion: string } | { readonly reply: Reply };

/** Version (404), bearer token (401), permission (403) and contact id format (400), in that order. */
function authorize(ctx: RouteContext, deps: RouteDeps, permission?: 'signal'): Authorized {
  const version = pathParam(ctx, 'version') ?? '';
  if (!/^v\d+\.0$/i.test(version)) return { reply: apiError('not_found', `No API version ${version}; use v{N}.0.`) };
  const token = /^Bearer\s+(\S+)\s*$/i.exec(ctx.req.headers.authorization ?? '')?.[1];
  const grant = token === undefined ? undefined : deps.state.grantForAccessToken(token);
  if (grant === undefined || grant.expiresAt <= deps.now()) {
    return { reply: apiError('unauthorized', 'Missing, unknown or expired access token.') };
  }
  if (permission !== undefined && !grant.permissions.includes(permission)) {
    return { reply: apiError('forbidden', `The access key lacks the ${permission} permission.`) };
  }
  const contactId = pathParam(ctx, 'contactId');
  if (contactId !== undefined && !/^\d{1,20}$/.test(contactId)) {
    return { reply: apiError('invalid_contact_id', 'The contact id must be digits.') };
  }
  return { grant, contactId: contactId ?? '', apiVersion: version.toLowerCase() };
}

/**
 * p1..p9 from the query string or, when the query has none of them, from a JSON object body; any
 * other parameter, a repeated one or one longer than the limit is a 400. Returns the values in
 * order up to the highest given, a gap as ''.
 */
function signalParams(ctx: RouteContext, maxLength: number): string[] | Reply {
  let source: Record<string, unknown> = ctx.req.query;
  if (!PARAM_NAMES.some((name) => name in ctx.req.query)) {
    const body = jsonBody(ctx);
    if (!body.ok) return body.reply;
    if (body.value !== undefined && (body.value === null || typeof body.value !== 'object' || Array.isArray(body.value))) {
      return apiError('invalid_parameter', 'A JSON body must be an object of p1..p9.');
    }
    source = { ...ctx.req.query, ...(body.value as Record<string, unknown> | undefined) };
  }
  const params: string[] = [];
  for (const [name, value] of Object.entries(source)) {
    const index = (PARAM_NAMES as readonly string[]).indexOf(name);
    if (index === -1) return apiError('invalid_parameter', `Unknown parameter ${name}; only p1..p9 are accepted.`);
    if (typeof value !== 'string') return apiError('invalid_parameter', `Parameter ${name} must be a single string.`);
    if (value.length > maxLength) return apiError('invalid_parameter', `Parameter ${name} is longer than ${maxLength} characters.`);
    params[index] = value;
  }
  return Array.from(params, (value) => value ?? '');
}

function contactNotFound(contactId: string): Reply {
  return apiError('contact_not_found', `Contact ${contactId} is not an active contact of this business unit.`);
}
