/**
 * `Handoff.call` reads through a DataLoader scoped to one execution, so an operation reads each
 * (tenant, contact) once however often it asks (issue 13, defect 3: 300 aliases of `call` were 300
 * store reads per subscriber per event).
 *
 * The scope of a loader is one execution:
 * - a query or mutation: its context (one per HTTP request);
 * - a subscription: each event it delivers (graphql-js executes the selection once per event with
 *   the event as `rootValue`); subscribers handed the same event share its loader, so N subscribers
 *   of a tenant cost one read per distinct contact per event, and no loader outlives its event, so
 *   no subscriber ever sees a call as it was at an earlier event.
 *
 * Loaders live in WeakMaps keyed by their scope object and are collected with it. The key names the
 * handoff's own tenant (never the caller's), as the resolver always did.
 */
import DataLoader from 'dataloader';
import { type GraphQLResolveInfo } from 'graphql';
import { type Call, type CallOperations } from '../handoff/model.js';

interface CallKey {
  readonly tenantId: string;
  readonly contactId: string;
}

export class CallLoaders {
  readonly #calls: Pick<CallOperations, 'getCall'>;
  readonly #byScope = new WeakMap<object, DataLoader<CallKey, Call | null, string>>();

  constructor(calls: Pick<CallOperations, 'getCall'>) {
    this.#calls = calls;
  }

  /** The call recorded for (tenant, contact), read at most once per execution (see the file comment). */
  async load(tenantId: string, contactId: string, context: object, info: Pick<GraphQLResolveInfo, 'operation' | 'rootValue'>): Promise<Call | null> {
    return await this.#loaderFor(scopeOf(context, info)).load({ tenantId, contactId });
  }

  #loaderFor(scope: object): DataLoader<CallKey, Call | null, string> {
    let loader = this.#byScope.get(scope);
    if (loader === undefined) {
      // The store reads one call at a time: the batch is one read per distinct key, side by side.
      // A failed read rejects its own keys only (an Error in its slot).
      loader = new DataLoader<CallKey, Call | null, string>(
        async (keys) => await Promise.all(keys.map(async ({ tenantId, contactId }) => await this.#calls.getCall(tenantId, contactId).catch((error: unknown) => toError(error)))),
        { cacheKeyFn: ({ tenantId, contactId }) => `${tenantId}\u0000${contactId}` },
      );
      this.#byScope.set(scope, loader);
    }
    return loader;
  }
}

/** A subscription's event (its `rootValue` per execution), else the request's context. */
function scopeOf(context: object, info: Pick<GraphQLResolveInfo, 'operation' | 'rootValue'>): object {
  const event = info.rootValue;
  if (info.operation.operation === 'subscription' && typeof event === 'object' && event !== null) return event;
  return context;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
