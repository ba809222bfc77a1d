/**
 * The REST Handoff API, PolyAI-compatible (README "Handoff API (PolyAI-compatible)", the OpenAPI
 * document `docs/handoff-api.openapi.json`): a CXone Studio snippet or agent desktop written against
 * PolyAI's `GET /v1/{account_id}/{project_id}/handoff_state?id=…|shared_id=…` (header `x-api-key`)
 * works against the gateway's base URL unchanged.
 *
 * - Auth: `x-api-key` is one of the tenant's keys, `read` or `signal` (a signal key may read too,
 *   the rule `keyScopeAllows` states for GraphQL; every scope may read). Missing or unknown: 401.
 * - Lookup: `shared_id` (wins when both are given; `id` is then ignored) matches a handoff's
 *   `sharedId` or its CXone contact id; `id` matches its `conversationId` or its handoff id. The
 *   latest matching handoff answers. Neither given (or both empty): 400; a value that no stored id
 *   can have (not 1..128 printable ASCII, or given twice): 400.
 * - Scope: the account and project name a tenant (`polyai` in the tenants file). A project that is
 *   not the key's tenant's reads exactly like a handoff that does not exist: 404, one message, so
 *   a key learns nothing about other tenants.
 * - Answer: `{ id, data, shared_id }` (see `toHandoffState`). Errors: `{ "message": "…" }` (PolyAI's
 *   error shape is not documented; this one is inferred and kept simple).
 *
 * Limits: the gateway has no rate limit on GraphQL either; this route shares the server's limits
 * (header size and timeouts of Node's HTTP server, fastify's router bounding path segments to 100
 * characters) and its own bound on the query values. Keys are never logged or echoed.
 */
import { randomUUID } from 'node:crypto';
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type Tracing } from '../common/tracing.js';
import { EXTERNAL_ID_PATTERN } from '../common/vocabulary.js';
import { type TenantRegistry } from '../config/tenant-registry.js';
import { StoreUnavailableError } from '../handoff/errors.js';
import { type Handoff, type HandoffOperations, type ScreenPopLookup } from '../handoff/model.js';
import { callerForKey } from './auth.js';
import { inServerSpan } from './tracing.js';

/** The route, as PolyAI spells it. */
export const HANDOFF_API_ROUTE = '/v1/:accountId/:projectId/handoff_state';

/** The key a handoff's own fields take in `data`; a context key of this name is replaced. */
export const GATEWAY_DATA_KEY = 'gateway';

/** The public messages, one per outcome (404 is one message whatever was not found: no oracle). */
export const HANDOFF_API_MESSAGES = {
  missingKey: 'Missing x-api-key header.',
  unknownKey: 'Invalid API key.',
  noId: 'Either id or shared_id must be provided.',
  notFound: 'No handoff state found for this id in this project.',
  unavailable: 'The handoff store is unavailable; retry later.',
} as const;

export interface HandoffApiDeps {
  readonly tenants: Pick<TenantRegistry, 'findKey' | 'ownerOfPolyAiProject'>;
  readonly handoffs: Pick<HandoffOperations, 'findForScreenPop'>;
  /** OpenTelemetry: a server span per request (`tracing.ts`); absent: off. */
  readonly tracing?: Tracing | undefined;
}

type HandoffApiRequest = FastifyRequest<{ Params: { accountId: string; projectId: string }; Querystring: Record<string, unknown> }>;

/** The route template, as OpenTelemetry's `http.route` and the span name carry it. */
const HANDOFF_API_ROUTE_TEMPLATE = '/v1/{account_id}/{project_id}/handoff_state';

/** The answer of the Handoff API (PolyAI's shape). */
export interface HandoffState {
  /** The voice agent's conversation id when it gave one, else the handoff id. */
  readonly id: string;
  readonly data: Record<string, unknown>;
  /** The explicit shared id when one was given, else the CXone contact id. */
  readonly shared_id: string;
}

/**
 * `data` of the answer: the handoff's context as the voice agent wrote it (its keys at the top
 * level when it is a JSON object, under `context` when it is another JSON value, nothing when it is
 * null), plus the handoff's own fields under `gateway`.
 */
export function toHandoffState(h: Handoff): HandoffState {
  const context = h.context;
  const fromContext: Record<string, unknown> =
    context === null || context === undefined
      ? {}
      : typeof context === 'object' && !Array.isArray(context)
        ? { ...(context as Record<string, unknown>) }
        : { context };
  return {
    id: h.conversationId ?? h.id,
    data: {
      ...fromContext,
      [GATEWAY_DATA_KEY]: {
        handoffId: h.id,
        contactId: h.contactId,
        sharedId: h.sharedId,
        conversationId: h.conversationId,
        state: h.state,
        params: [...h.params],
        createdAt: h.createdAt.toISOString(),
        signaledAt: h.signaledAt?.toISOString() ?? null,
      },
    },
    shared_id: h.sharedId ?? h.contactId,
  };
}

type Lookup = { readonly ok: true; readonly lookup: ScreenPopLookup } | { readonly ok: false; readonly message: string };

/** `shared_id` wins; an empty value counts as absent (a snippet templating an empty variable). */
function lookupOf(query: Record<string, unknown>): Lookup {
  for (const [param, as] of [
    ['shared_id', 'sharedId'],
    ['id', 'id'],
  ] as const) {
    const value = query[param];
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string') return { ok: false, message: `${param} must be given once.` };
    if (!EXTERNAL_ID_PATTERN.test(value)) {
      return { ok: false, message: `${param} must be 1..128 printable ASCII characters, without leading or trailing spaces.` };
    }
    return { ok: true, lookup: as === 'sharedId' ? { sharedId: value } : { id: value } };
  }
  return { ok: false, message: HANDOFF_API_MESSAGES.noId };
}

function answer(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  // Handoff data is per caller and may be personal: no cache may keep it.
  return reply.code(status).type('application/json; charset=utf-8').header('cache-control', 'no-store').send(JSON.stringify(body));
}

export function useHandoffApi(app: FastifyInstance, deps: HandoffApiDeps): void {
  const { tracing } = deps;
  app.get<{ Params: { accountId: string; projectId: string }; Querystring: Record<string, unknown> }>(HANDOFF_API_ROUTE, async (request, reply) => {
    if (tracing === undefined) return await handoffState(request, reply, deps);
    return await inServerSpan(tracing, `GET ${HANDOFF_API_ROUTE_TEMPLATE}`, request, reply, { 'http.route': HANDOFF_API_ROUTE_TEMPLATE }, () => handoffState(request, reply, deps));
  });
}

/** One Handoff API request: key, query, tenant's project, then the latest matching handoff. */
async function handoffState(request: HandoffApiRequest, reply: FastifyReply, deps: HandoffApiDeps): Promise<FastifyReply> {
  const key = request.headers['x-api-key'];
  if (typeof key !== 'string' || key === '') return answer(reply, 401, { message: HANDOFF_API_MESSAGES.missingKey });
  const caller = callerForKey(key, deps.tenants);
  if (caller === null) return answer(reply, 401, { message: HANDOFF_API_MESSAGES.unknownKey });

  const parsed = lookupOf(request.query);
  if (!parsed.ok) return answer(reply, 400, { message: parsed.message });

  const log = request.log.child({ tenantId: caller.tenant.id });
  const { accountId, projectId } = request.params;
  const tenant = deps.tenants.ownerOfPolyAiProject(accountId, projectId);
  if (tenant === undefined || tenant.id !== caller.tenant.id) return answer(reply, 404, { message: HANDOFF_API_MESSAGES.notFound });

  let handoff: Handoff | null;
  try {
    handoff = await deps.handoffs.findForScreenPop(tenant.id, parsed.lookup);
  } catch (error) {
    if (error instanceof StoreUnavailableError) {
      log.warn({ err: { message: error.message } }, 'handoff api: store unavailable');
      return answer(reply, 503, { message: HANDOFF_API_MESSAGES.unavailable });
    }
    const correlationId = randomUUID();
    log.error({ err: error, correlationId }, 'handoff api: unexpected error');
    return answer(reply, 500, { message: `Internal server error (correlation id ${correlationId}).` });
  }
  if (handoff === null) return answer(reply, 404, { message: HANDOFF_API_MESSAGES.notFound });
  log.debug({ contactId: handoff.contactId, handoffId: handoff.id }, 'handoff api read');
  return answer(reply, 200, toHandoffState(handoff));
}
