/**
 * An in-process implementation of type-graphql's `PubSub`: the per-gateway fan-out between whatever
 * reports a change (the handoff service, or the PostgreSQL LISTEN client) and the open GraphQL
 * subscriptions. Topics follow `@graphql-yoga/subscription`'s convention, so `topicId` in a
 * `@Subscription` narrows a subscriber to `${routingKey}:${id}` (the gateway uses the tenant id).
 *
 * Each subscriber has a bounded queue. A subscriber that falls `maxQueue` events behind (a stalled
 * socket) is ended with SERVICE_UNAVAILABLE rather than allowed to grow the heap; its client
 * subscribes again and reads the current state with a query.
 *
 * Events are handed over one subscriber per event-loop turn (`setImmediate`), never all in one go:
 * delivering an event runs the subscriber's whole selection and serialises it, and 1,000 heavy
 * subscribers served back to back held the event loop for seconds while another tenant's
 * `signalContact` waited (issue 13). Between two hand-overs, I/O (other requests, the store) runs.
 * Each subscriber still sees its events in publish order.
 */
import { type PubSub } from 'type-graphql';
import { ServiceUnavailableError } from './errors.js';

/** Options of `InProcessPubSub`. */
export interface PubSubOptions {
  /** Most undelivered events one subscriber may hold before it is ended (default 1,000). */
  readonly maxQueue?: number;
}

/** One subscriber's side of the pubsub. */
interface Subscriber {
  push(payload: unknown): void;
  end(): void;
  /** Hands over what it can to waiting `next()` calls (one scheduler turn). */
  serve(): void;
  /** Whether it is already in the scheduler's queue. */
  ready: boolean;
}

interface Waiter {
  resolve(result: IteratorResult<unknown>): void;
  reject(error: unknown): void;
}

/** The topic a (routing key, id) pair names; `id` undefined means the bare routing key. */
function topicOf(routingKey: string, id: unknown): string {
  return id === undefined ? routingKey : `${routingKey}:${String(id)}`;
}

export class InProcessPubSub implements PubSub {
  readonly #topics = new Map<string, Set<Subscriber>>();
  readonly #maxQueue: number;
  #closed = false;
  /** Subscribers with something to hand over, served one per event-loop turn. */
  readonly #ready: Subscriber[] = [];
  #turnScheduled = false;

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

  #schedule(subscriber: Subscriber): void {
    if (subscriber.ready) return;
    subscriber.ready = true;
    this.#ready.push(subscriber);
    if (!this.#turnScheduled) {
      this.#turnScheduled = true;
      setImmediate(this.#turn);
    }
  }

  /** One subscriber per turn; the next turn is a new `setImmediate`, so I/O runs in between. */
  readonly #turn = (): void => {
    this.#turnScheduled = false;
    const subscriber = this.#ready.shift();
    if (subscriber !== undefined) {
      subscriber.ready = false;
      subscriber.serve();
    }
    if (this.#ready.length > 0 && !this.#turnScheduled) {
      this.#turnScheduled = true;
      setImmediate(this.#turn);
    }
  };

  #open(topic: string): AsyncIterator<unknown> {
    const queue: unknown[] = [];
    const waiting: Waiter[] = [];
    let failed: Error | null = null;
    let done = false;

    const finish = (): void => {
      if (done) return;
      done = true;
      const subscribers = this.#topics.get(topic);
      subscribers?.delete(subscriber);
      if (subscribers?.size === 0) this.#topics.delete(topic);
      // Waiting next() calls get what is queued, then the error or the end.
      if (waiting.length > 0) this.#schedule(subscriber);
    };

    const subscriber: Subscriber = {
      ready: false,
      push: (payload) => {
        if (done) return;
        if (queue.length >= this.#maxQueue) {
          failed = new ServiceUnavailableError(
            `This subscription fell ${this.#maxQueue} events behind and was ended; subscribe again and query the current state.`,
          );
          finish();
          return;
        }
        queue.push(payload);
        if (waiting.length > 0) this.#schedule(subscriber);
      },
      end: finish,
      serve: () => {
        const waiter = waiting.shift();
        if (waiter === undefined) return;
        if (queue.length > 0) {
          waiter.resolve({ value: queue.shift(), done: false });
        } else if (failed !== null) {
          const error = failed;
          failed = null;
          waiter.reject(error);
        } else if (done) {
          waiter.resolve({ value: undefined, done: true });
        } else {
          waiting.unshift(waiter);
          return;
        }
        if (waiting.length > 0 && (queue.length > 0 || done)) this.#schedule(subscriber);
      },
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
        if (queue.length === 0) {
          if (failed !== null) {
            const error = failed;
            failed = null;
            throw error;
          }
          if (done) return { value: undefined, done: true };
        }
        return await new Promise<IteratorResult<unknown>>((resolve, reject) => {
          waiting.push({ resolve, reject });
          if (queue.length > 0) this.#schedule(subscriber);
        });
      },
      return: async () => {
        queue.length = 0;
        failed = null;
        finish();
        // A return() while next() waits ends that next() at once.
        for (const waiter of waiting.splice(0)) waiter.resolve({ value: undefined, done: true });
        return { value: undefined, done: true };
      },
    };
  }
}
