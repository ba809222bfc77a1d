/**
 * Where the `handoffChanged` subscription's events come from, chosen by the store kind. With the
 * embedded store this process makes every change, so the handoff service's events feed it; with
 * PostgreSQL the store NOTIFYs each committed change and only the LISTEN connection feeds it, so a
 * change made by this replica or another is delivered exactly once either way.
 */
import { type StoreConfig } from '../config/config.js';
import { HandoffFeed } from '../graphql/handoff-feed.js';
import { InProcessPubSub } from '../graphql/pub-sub.js';
import { type Handoff } from '../handoff/model.js';
import { type HandoffStore } from '../handoff/ports.js';
import { type Logger } from '../common/logger.js';

export interface SubscriptionFeed {
  /** The gateway's pubsub, for the schema and the WebSocket server. */
  readonly pubSub: InProcessPubSub;
  /** Called with every committed change the handoff service makes on this process. */
  handoffChanged(handoff: Handoff): void;
  /** Stops listening and drops the subscribers. */
  close(): Promise<void>;
}

export async function startSubscriptionFeed(store: StoreConfig, deps: { readonly handoffs: HandoffStore; readonly log: Logger }): Promise<SubscriptionFeed> {
  const pubSub = new InProcessPubSub();
  const feed = new HandoffFeed({ pubSub, handoffs: deps.handoffs, log: deps.log.child({ component: 'subscriptions' }) });
  switch (store.kind) {
    case 'pglite':
      return {
        pubSub,
        handoffChanged: (handoff) => feed.publish(handoff),
        close: async () => pubSub.close(),
      };
    case 'postgres': {
      // Loaded only here: it brings the pg driver, which an embedded gateway never uses (≈ 65 ms of start).
      const { listenForHandoffChanges } = await import('../store/handoff-notifications.js');
      const listener = await listenForHandoffChanges(
        { url: store.url, interested: (tenantId) => feed.hasSubscribers(tenantId), onChange: (change) => feed.accept(change) },
        { log: deps.log.child({ component: 'store' }) },
      );
      return {
        pubSub,
        handoffChanged: () => undefined,
        close: async () => {
          await listener.close();
          await feed.settled();
          pubSub.close();
        },
      };
    }
  }
}
