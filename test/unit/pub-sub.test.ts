/** The in-process pubsub behind subscriptions: topics by id, unsubscribe on return, bounded queues, close, one hand-over per event-loop turn. */
import { describe, expect, it } from 'vitest';
import { InProcessPubSub } from '../../src/graphql/pub-sub.js';

describe('InProcessPubSub', () => {
  it('delivers a payload published with an id only to subscribers of that id, in order', async () => {
    const pubSub = new InProcessPubSub();
    const acme = pubSub.subscribe('CHANGED', 'acme')[Symbol.asyncIterator]();
    const globex = pubSub.subscribe('CHANGED', 'globex')[Symbol.asyncIterator]();
    pubSub.publish('CHANGED', 'acme', 1);
    pubSub.publish('CHANGED', 'globex', 'g');
    pubSub.publish('CHANGED', 'acme', 2);
    expect(await acme.next()).toEqual({ value: 1, done: false });
    expect(await acme.next()).toEqual({ value: 2, done: false });
    expect(await globex.next()).toEqual({ value: 'g', done: false });
  });

  it('resolves a waiting next() when a payload arrives, and routes a bare routing key', async () => {
    const pubSub = new InProcessPubSub();
    const iterator = pubSub.subscribe('PLAIN')[Symbol.asyncIterator]();
    const waiting = iterator.next();
    pubSub.publish('PLAIN', { a: 1 });
    expect(await waiting).toEqual({ value: { a: 1 }, done: false });
  });

  it('unsubscribes on return(), ending a waiting next()', async () => {
    const pubSub = new InProcessPubSub();
    const iterator = pubSub.subscribe('CHANGED', 'acme')[Symbol.asyncIterator]();
    expect(pubSub.hasSubscribers('CHANGED', 'acme')).toBe(true);
    expect(pubSub.size).toBe(1);
    const waiting = iterator.next();
    await iterator.return?.();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(pubSub.hasSubscribers('CHANGED', 'acme')).toBe(false);
    expect(pubSub.size).toBe(0);
  });

  it('ends a subscriber that falls maxQueue events behind with SERVICE_UNAVAILABLE, after what it had queued', async () => {
    const pubSub = new InProcessPubSub({ maxQueue: 2 });
    const iterator = pubSub.subscribe('CHANGED', 'acme')[Symbol.asyncIterator]();
    for (const n of [1, 2, 3, 4]) pubSub.publish('CHANGED', 'acme', n);
    expect(pubSub.size).toBe(0);
    expect(await iterator.next()).toEqual({ value: 1, done: false });
    expect(await iterator.next()).toEqual({ value: 2, done: false });
    await expect(iterator.next()).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('close() ends every subscription and refuses new ones', async () => {
    const pubSub = new InProcessPubSub();
    const iterator = pubSub.subscribe('CHANGED', 'acme')[Symbol.asyncIterator]();
    const waiting = iterator.next();
    pubSub.close();
    expect(await waiting).toEqual({ value: undefined, done: true });
    const late = pubSub.subscribe('CHANGED', 'acme')[Symbol.asyncIterator]();
    expect(await late.next()).toEqual({ value: undefined, done: true });
    expect(pubSub.size).toBe(0);
  });

  it('hands an event to one subscriber per event-loop turn, so other work runs between two hand-overs', async () => {
    const pubSub = new InProcessPubSub();
    const order: string[] = [];
    const delivered = ['a', 'b', 'c'].map(async (name) => {
      const iterator = pubSub.subscribe('CHANGED', 'acme')[Symbol.asyncIterator]();
      const result = await iterator.next();
      order.push(`${name}:${String(result.value)}`);
    });
    pubSub.publish('CHANGED', 'acme', 1);
    // Queued after the publish, as an I/O callback would be: it must not wait for every subscriber.
    setImmediate(() => order.push('other work'));
    await Promise.all(delivered);
    expect(order).toEqual(['a:1', 'other work', 'b:1', 'c:1']);
  });
});
