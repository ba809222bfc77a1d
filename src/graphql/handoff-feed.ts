/**
 * What feeds the `handoffChanged` subscription: handoff versions published on the gateway's pubsub
 * under the topic `HANDOFF_CHANGED:<tenantId>`, so a subscriber only ever receives its own tenant's
 * handoffs.
 *
 * Two sources, one per store kind (never both, so no change is delivered twice):
 * - embedded store (one gateway): the handoff service's `handoffChanged` events, complete snapshots
 *   → `publish`;
 * - shared PostgreSQL (N replicas): the LISTEN client's notifications, which carry a change's
 *   mutable fields → `accept` completes them with the handoff's immutable fields (loaded once per
 *   handoff, tenant scoped) and publishes them in the order they arrived.
 */
import { type Handoff, type HandoffOperations } from '../handoff/model.js';
import { type Logger } from '../common/logger.js';
import { type HandoffChange } from '../handoff/ports.js';
import { type InProcessPubSub } from './pub-sub.js';

/** Routing key of the `handoffChanged` subscription; the topic id is the tenant id. */
export const HANDOFF_CHANGED = 'HANDOFF_CHANGED';

export interface HandoffFeedDeps {
  readonly pubSub: InProcessPubSub;
  /** Loads a handoff of a tenant (for its immutable fields). */
  readonly handoffs: Pick<HandoffOperations, 'get'>;
  readonly log: Logger;
  /** How many handoffs' immutable fields are remembered (default 1,000). */
  readonly cacheSize?: number;
}

/** The fields a handoff never changes after creation. */
type ImmutablePart = Pick<Handoff, 'id' | 'tenantId' | 'contactId' | 'params' | 'context' | 'idempotencyKey' | 'sharedId' | 'conversationId' | 'createdAt'>;

export class HandoffFeed {
  readonly #pubSub: InProcessPubSub;
  readonly #handoffs: Pick<HandoffOperations, 'get'>;
  readonly #log: Logger;
  readonly #cacheSize: number;
  readonly #immutable = new Map<string, Promise<ImmutablePart | null>>();
  /** Publishes of `accept` run one after another, so loads never reorder what a subscriber sees. */
  #tail: Promise<void> = Promise.resolve();

  constructor(deps: HandoffFeedDeps) {
    this.#pubSub = deps.pubSub;
    this.#handoffs = deps.handoffs;
    this.#log = deps.log;
    this.#cacheSize = deps.cacheSize ?? 1_000;
  }

  /** Publishes a complete, committed version of a handoff to its tenant's subscribers. */
  publish(handoff: Handoff): void {
    this.#pubSub.publish(HANDOFF_CHANGED, handoff.tenantId, handoff);
  }

  /** Whether anyone on this gateway subscribes to the tenant's handoffs. */
  hasSubscribers(tenantId: string): boolean {
    return this.#pubSub.hasSubscribers(HANDOFF_CHANGED, tenantId);
  }

  /** Publishes a change another replica (or this one) committed; skipped when the tenant has no subscriber. */
  accept(change: HandoffChange): void {
    if (!this.hasSubscribers(change.tenantId)) return;
    const base = this.#immutablePart(change);
    this.#tail = this.#tail.then(async () => {
      const part = await base;
      if (part !== null) this.publish({ ...part, ...change });
    });
  }

  /** Resolves when every accepted change has been published (tests, shutdown). */
  async settled(): Promise<void> {
    await this.#tail;
  }

  #immutablePart(change: HandoffChange): Promise<ImmutablePart | null> {
    const key = `${change.tenantId}\u0000${change.id}`;
    const cached = this.#immutable.get(key);
    if (cached !== undefined) return cached;
    const loading = this.#handoffs.get(change.tenantId, change.id).then(
      (handoff) => {
        if (handoff === null) {
          this.#immutable.delete(key);
          return null;
        }
        const { id, tenantId, contactId, params, context, idempotencyKey, sharedId, conversationId, createdAt } = handoff;
        return { id, tenantId, contactId, params, context, idempotencyKey, sharedId, conversationId, createdAt };
      },
      (error: unknown) => {
        this.#immutable.delete(key);
        this.#log.warn(
          { err: error instanceof Error ? { message: error.message } : undefined, tenantId: change.tenantId, handoffId: change.id },
          'could not load a changed handoff for its subscribers; this change is not delivered',
        );
        return null;
      },
    );
    this.#immutable.set(key, loading);
    // Insertion order: the first key is the oldest.
    if (this.#immutable.size > this.#cacheSize) {
      const oldest = this.#immutable.keys().next();
      if (oldest.done !== true) this.#immutable.delete(oldest.value);
    }
    return loading;
  }
}
