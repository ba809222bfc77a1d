/**
 * The CXone API routes the gateway uses (docs/architecture.md, "CXone wire contract"): signal a contact, end a contact, list active
 * contacts. Paths match case-insensitively under any `v{N}.0`; each checks, in order: the bearer
 * token (401), permission (403), input (400), the contact (404).
 */
import { apiError } from '../errors.js';
import { type RouteDeps } from '../options.js';
import { pathParam, type Reply, type RouteContext, type RouteDef } from '../pipeline.js';
import { type Grant, type SignalTransport } from '../state.js';
import { jsonBody } from '../body.js';
import { MAX_SIGNAL_PARAMS, SIGNAL_PARAM_NAMES, signalParamLength } from '../../src/common/signal-limits.js';

const BASE = '/incontactapi/services/:version';

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
  // CXone limits per business unit before it looks at the request.
  const limited = deps.state.rateLimits.take(grant.businessUnit, deps.now());
  if (limited !== undefined) {
    ctx.log.info({ businessUnit: grant.businessUnit }, 'signal throttled by the rate limit');
    const reply = apiError('too_many_requests', `The business unit's signal rate limit is exceeded; slow down.`);
    return limited.retryAfterSeconds === null ? reply : { ...reply, headers: { ...reply.headers, 'Retry-After': String(limited.retryAfterSeconds) } };
  }
  const received = signalParams(ctx, deps.behaviour.paramMaxLength);
  if ('kind' in received) return received;
  const { params, transport } = received;
  const contact = deps.state.contact(contactId);
  if (contact === undefined || contact.state !== 'active' || contact.businessUnit !== grant.businessUnit) {
    return contactNotFound(contactId, deps);
  }
  const record = deps.state.recordSignal({
    contactId,
    businessUnit: grant.businessUnit,
    params,
    transport,
    receivedAt: new Date(deps.now()).toISOString(),
    clientId: grant.clientId,
    apiVersion,
  });
  ctx.log.info({ contactId, signalId: record.id, params: params.length, transport }, 'signal accepted');
  return { kind: 'empty', status: deps.behaviour.signalStatus };
}

function endContact(ctx: RouteContext, deps: RouteDeps): Reply {
  const checked = authorize(ctx, deps);
  if ('reply' in checked) return checked.reply;
  const { grant, contactId } = checked;
  const contact = deps.state.contact(contactId);
  if (contact?.businessUnit !== grant.businessUnit || !deps.state.endContact(contactId, deps.now())) return contactNotFound(contactId, deps);
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
 * p1..p9 from the query string or from a JSON object body (NICE's SDK and connector send the body;
 * generated API clients the query), recorded in order up to the highest given, a gap as ''.
 *
 * Like a strict front end, and so that nothing is silently dropped: params both in the query and
 * in the body are refused (CXone's precedence is not documented), as is a body that is not JSON,
 * any name other than p1..p9 (p10 included: at most MAX_SIGNAL_PARAMS), a repeated name, a value
 * that is not one string, and one longer than `maxLength` characters.
 */
function signalParams(ctx: RouteContext, maxLength: number): { readonly params: string[]; readonly transport: SignalTransport } | Reply {
  const body = jsonBody(ctx);
  if (!body.ok) return body.reply;
  if (body.value === undefined && hasBody(ctx)) {
    return apiError('unsupported_media_type', 'Send p1..p9 as a JSON object body with Content-Type: application/json (or in the query string).');
  }
  if (body.value !== undefined && (body.value === null || typeof body.value !== 'object' || Array.isArray(body.value))) {
    return apiError('invalid_parameter', 'A JSON body must be an object of p1..p9.');
  }
  const query: Record<string, unknown> = ctx.req.query;
  const fromBody = (body.value ?? {}) as Record<string, unknown>;
  const inQuery = Object.keys(query).length > 0;
  const inBody = Object.keys(fromBody).length > 0;
  if (inQuery && inBody) {
    return apiError('invalid_parameter', 'Parameters arrived both in the query string and in the JSON body; send p1..p9 one way only (the JSON body, as NICE\'s SDK does).');
  }
  const source = inBody ? fromBody : query;
  const params: string[] = [];
  for (const [name, value] of Object.entries(source)) {
    const index = (SIGNAL_PARAM_NAMES as readonly string[]).indexOf(name);
    if (index === -1) return apiError('invalid_parameter', `Unknown parameter ${name}; only p1..p${MAX_SIGNAL_PARAMS} are accepted.`);
    if (typeof value !== 'string') return apiError('invalid_parameter', `Parameter ${name} must be a single string.`);
    if (signalParamLength(value) > maxLength) return apiError('invalid_parameter', `Parameter ${name} is longer than ${maxLength} characters.`);
    params[index] = value;
  }
  return { params: Array.from(params, (value) => value ?? ''), transport: inBody ? 'body' : inQuery ? 'query' : 'none' };
}

/** Whether the request carries a body (a declared non-zero length, or chunked). */
function hasBody(ctx: RouteContext): boolean {
  const { headers } = ctx.req;
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? '0') > 0;
}

function contactNotFound(contactId: string, deps: RouteDeps): Reply {
  return { ...apiError('contact_not_found', `Contact ${contactId} is not an active contact of this business unit.`), status: deps.profile.contactNotFoundStatus };
}
