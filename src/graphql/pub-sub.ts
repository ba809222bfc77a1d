/**
 * An in-process implementation of type-graphql's `PubSub`: the per-gateway fan-out between whatever
 * reports a change (the handoff service, or the PostgreSQL LISTEN client) and the open GraphQL
 * subscriptions. Topics follow `@graphql-yoga/subscription`'s convention, so `topicId` in a
 * `@Subscription` narrows a subscriber to `${routingKey}:${id}` (the gateway uses the tenant id).
 *
 * Each subscriber has a bounded queue. A subscriber that falls `maxQueue` events behind (a stalled
 * socket) is ended with SERVICE_UNAVAILABLE rather than allowed to grow the heap; its client
 * subscribes again and reads the current state with a query.
 */
import { type PubSub } from 'type-graphql';
import { ServiceUnavailableError } from './errors.js';

/** Options of `InProcessPubSub`. */
export interface PubSubOptions {
  /** Most undelivered events one subscriber may hold before it is ended (default 1,000). */
  readonly maxQueue?: number;
}

/** What `subscribe` hands out: an async iterable whose iterator unsubscribes on `return()`. */
interface Subscriber {
  push(payload: unknown): void;
  end(): void;
}

/** The topic a (routing key, id) pair names; `id` undefined means the bare routing key. */
function topicOf(routingKey: string, id: unknown): string {
  return id === undefined ? routingKey : `${routingKey}:${String(id)}`;
}

export class InProcessPubSub implements PubSub {
  readonly #topics = new Map<string, Set<Subscriber>>();
  readonly #maxQueue: number;
  #closed = false;

  constructor(options: PubSubOptions = {}) {
    this.#maxQueue = options.maxQueue ?? 1_000;
  }

  /**
   * `publish(routingKey, payload)` or `publish(routingKey, id, payload)` (as `@graphql-yoga/subscription`
   * reads its arguments). Synchronous: the payload is queued for every current subscriber.
   */
  publish(routingKey: string, ...args: unknown[]): void {
    const [id, payload] = args.length >= 2 ? [args[0], args[1]] : [undefined, args[0]];
    const subscribers = this.#topics.get(topicOf(routingKey, id));
    if (subscribers === undefined) return;
    for (const subscriber of [...subscribers]) subscriber.push(payload);
  }

  subscribe(routingKey: string, dynamicId?: unknown): AsyncIterable<unknown> {
    const topic = topicOf(routingKey, dynamicId);
    return { [Symbol.asyncIterator]: () => this.#open(topic) };
  }

  /** Whether anyone listens on the topic (lets a publisher skip work nobody would see). */
  hasSubscribers(routingKey: string, dynamicId?: unknown): boolean {
    return (this.#topics.get(topicOf(routingKey, dynamicId))?.size ?? 0) > 0;
  }

  /** Open subscriptions, all topics together (a metric). */
  get size(): number {
    let count = 0;
    for (const subscribers of this.#topics.values()) count += subscribers.size;
    return count;
  }

  /** Ends every subscription (their iterators finish) and refuses new ones. */
  close(): void {
    this.#closed = true;
    for (const subscribers of [...this.#topics.values()]) {
      for (const subscriber of [...subscribers]) subscriber.end();
    }
  }

  #open(topic: string): AsyncIterator<unknown> {
    const queue: unknown[] = [];
    const waiting: ((result: IteratorResult<unknown>) => void)[] = [];
    let failed: Error | null = null;
    let done = false;

    const finish = (): void => {
      if (done) return;
      done = true;
      const subscribers = this.#topics.get(topic);
      subscribers?.delete(subscriber);
      if (subscribers?.size === 0) this.#topics.delete(topic);
      // Waiters exist only while the queue is empty; each of them is told the stream ended.
      for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
    };

    const subscriber: Subscriber = {
      push: (payload) => {
        if (done) return;
        const resolve = waiting.shift();
        if (resolve) return resolve({ value: payload, done: false });
        if (queue.length >= this.#maxQueue) {
          failed = new ServiceUnavailableError(
            `This subscription fell ${this.#maxQueue} events behind and was ended; subscribe again and query the current state.`,
          );
          finish();
          return;
        }
        queue.push(payload);
      },
      end: finish,
    };

    if (this.#closed) {
      done = true;
    } else {
      const subscribers = this.#topics.get(topic) ?? new Set<Subscriber>();
      subscribers.add(subscriber);
      this.#topics.set(topic, subscribers);
    }

    return {
      next: async () => {
        if (queue.length > 0) return { value: queue.shift(), done: false };
        if (failed !== null) {
          const error = failed;
          failed = null;
          throw error;
        }
        if (done) return { value: undefined, done: true };
        return await new Promise<IteratorResult<unknown>>((resolve) => waiting.push(resolve));
      },
      return: async () => {
        queue.length = 0;
        failed = null;
        finish();
        return { value: undefined, done: true };
      },
    };
  }
}
