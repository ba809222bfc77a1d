/**
 * The feed of the `handoffChanged` subscription in PostgreSQL mode: a notified change is completed
 * with the handoff's immutable fields (loaded once, tenant scoped) and published in arrival order,
 * and nothing is loaded for a tenant nobody subscribes to.
 */
import { describe, expect, it } from 'vitest';
import { HANDOFF_CHANGED, HandoffFeed } from '../../src/graphql/handoff-feed.js';
import { InProcessPubSub } from '../../src/graphql/pub-sub.js';
import { type Handoff } from '../../src/handoff/model.js';
import { type HandoffChange } from '../../src/handoff/ports.js';
import { recordingLogger } from './handoff-fakes.js';

const ID = '3f2b8c1e-8d7a-4b8e-9a51-2f6f7a0c9d11';
const stored: Handoff = {
  id: ID,
  tenantId: 'acme',
  contactId: '1001',
  state: 'SIGNALED',
  params: ['queue-7'],
  context: { intent: 'billing' },
  idempotencyKey: 'k1',
  sharedId: 'crm-1',
  conversationId: 'conv-1',
  attempts: 1,
  lastError: null,
  createdAt: new Date('2025-03-01T10:00:00Z'),
  updatedAt: new Date('2025-03-01T10:00:02Z'),
  signaledAt: new Date('2025-03-01T10:00:02Z'),
};
const pending: HandoffChange = {
  id: ID,
  tenantId: 'acme',
  contactId: '1001',
  state: 'PENDING',
  attempts: 0,
  lastError: null,
  updatedAt: new Date('2025-03-01T10:00:00Z'),
  signaledAt: null,
};
const signaled: HandoffChange = { ...pending, state: 'SIGNALED', attempts: 1, updatedAt: stored.updatedAt, signaledAt: stored.signaledAt };

/** A loader whose answers the test releases by hand, recording what it was asked. */
function manualLoader() {
  const calls: [string, string][] = [];
  const pendingLoads: ((handoff: Handoff | null) => void)[] = [];
  return {
    calls,
    release: (handoff: Handoff | null) => pendingLoads.shift()?.(handoff),
    handoffs: {
      get: (tenantId: string, id: string) => {
        calls.push([tenantId, id]);
        return new Promise<Handoff | null>((resolve) => pendingLoads.push(resolve));
      },
    },
  };
}

describe('HandoffFeed', () => {
  it('publishes each notified version, completed with the immutable fields loaded once, in arrival order', async () => {
    const pubSub = new InProcessPubSub();
    const loader = manualLoader();
    const feed = new HandoffFeed({ pubSub, handoffs: loader.handoffs, log: recordingLogger() });
    const iterator = pubSub.subscribe(HANDOFF_CHANGED, 'acme')[Symbol.asyncIterator]();

    feed.accept(pending);
    feed.accept(signaled);
    // The row is already SIGNALED when it is read; the PENDING version is still what arrives first.
    loader.release(stored);
    await feed.settled();

    expect(loader.calls).toEqual([['acme', ID]]);
    expect(await iterator.next()).toEqual({ done: false, value: { ...stored, state: 'PENDING', attempts: 0, updatedAt: pending.updatedAt, signaledAt: null } });
    expect(await iterator.next()).toEqual({ done: false, value: stored });
  });

  it('loads nothing for a tenant without subscribers', async () => {
    const pubSub = new InProcessPubSub();
    const loader = manualLoader();
    const feed = new HandoffFeed({ pubSub, handoffs: loader.handoffs, log: recordingLogger() });
    pubSub.subscribe(HANDOFF_CHANGED, 'globex')[Symbol.asyncIterator]();
    feed.accept(pending);
    await feed.settled();
    expect(loader.calls).toEqual([]);
  });

  it('skips a change whose handoff cannot be loaded, logs it, and loads again for the next change', async () => {
    const pubSub = new InProcessPubSub();
    const log = recordingLogger();
    let failures = 1;
    const feed = new HandoffFeed({
      pubSub,
      log,
      handoffs: {
        get: async () => {
          if (failures-- > 0) throw new Error('store unavailable');
          return stored;
        },
      },
    });
    const iterator = pubSub.subscribe(HANDOFF_CHANGED, 'acme')[Symbol.asyncIterator]();
    feed.accept(pending);
    await feed.settled();
    feed.accept(signaled);
    await feed.settled();
    expect(await iterator.next()).toEqual({ done: false, value: stored });
    expect(log.entries.filter((e) => e.level === 'warn')).toHaveLength(1);
  });
});
