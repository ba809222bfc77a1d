/**
 * A graphql-ws client for tests: subscribes over a real WebSocket, records what arrives, and lets a
 * test wait (boundedly) for the next events, the subscription's error or the socket's close.
 *
 * ```ts
 * const sub = subscribe(stack.gatewayUrl, STACK_KEYS.read, HANDOFF_CHANGED, { contactId });
 * await waitForSubscriptions(stack.gateway, 1);   // the server registered it: no event can be missed
 * const [pending, signaled] = await sub.take(2);
 * await sub.dispose();
 * ```
 */
import { type Client, createClient } from 'graphql-ws';
import { vi } from 'vitest';
import WebSocket from 'ws';
import { type RunningGateway } from '../../src/main.js';

export const HANDOFF_CHANGED = /* GraphQL */ `
  subscription Changed($contactId: String) {
    handoffChanged(contactId: $contactId) {
      id contactId state params context attempts
      lastError { code message upstreamStatus }
      createdAt updatedAt signaledAt
    }
  }
`;

export interface ChangedHandoff {
  id: string;
  contactId: string;
  state: 'PENDING' | 'SIGNALED' | 'FAILED';
  params: string[];
  context: unknown;
  attempts: number;
  lastError: { code: string; message: string; upstreamStatus: number | null } | null;
  createdAt: string;
  updatedAt: string;
  signaledAt: string | null;
}

/** What ended a subscription: a GraphQL error list, a WebSocket close, or a normal completion. */
export type SubscriptionEnd =
  | { readonly kind: 'errors'; readonly errors: readonly { message: string; extensions?: Record<string, unknown> }[] }
  | { readonly kind: 'closed'; readonly code: number; readonly reason: string }
  | { readonly kind: 'complete' };

export interface Subscriber<T> {
  /** Everything received so far, in order. */
  readonly received: readonly T[];
  /** Resolves with the first `count` events once that many arrived; rejects after `timeoutMs` or if the subscription ends first. */
  take(count: number, timeoutMs?: number): Promise<T[]>;
  /** Resolves when the subscription ends (errors, close or completion); rejects after `timeoutMs`. */
  ended(timeoutMs?: number): Promise<SubscriptionEnd>;
  dispose(): Promise<void>;
}

/** Key as `connectionParams`: a string is sent as `{ Authorization: 'Bearer <key>' }`, an object as it is, null sends none. */
export type KeyParams = string | Record<string, unknown> | null;

function wsUrl(gatewayUrl: string): string {
  return `${gatewayUrl.replace(/^http/, 'ws')}/graphql`;
}

/** One graphql-ws connection that can carry several subscriptions (`subscribe` opens one connection each). */
export interface Connection {
  subscribe<T = { handoffChanged: ChangedHandoff }>(query?: string, variables?: Record<string, unknown>): Subscriber<T>;
  /** Resolves with the close code and reason once the socket closes; rejects after `timeoutMs`. */
  closed(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  dispose(): Promise<void>;
}

export function connect(gatewayUrl: string, key: KeyParams): Connection {
  let closeEvent: { code: number; reason: string } | null = null;
  const closeWaiters = new Set<() => void>();
  const subscribers = new Set<(code: number, reason: string) => void>();
  const client: Client = createClient({
    url: wsUrl(gatewayUrl),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    // Opened at once (not on the first subscribe), so a refused connection is seen as such.
    lazy: false,
    onNonLazyError: () => undefined,
    connectionParams: key === null ? undefined : typeof key === 'string' ? { Authorization: `Bearer ${key}` } : key,
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        closeEvent ??= { code, reason: String(reason) };
        for (const notify of [...subscribers]) notify(code, String(reason));
        for (const wake of [...closeWaiters]) wake();
      },
    },
  });
  return {
    subscribe: <T>(query: string = HANDOFF_CHANGED, variables: Record<string, unknown> = {}) => subscribeOn<T>(client, subscribers, query, variables),
    closed: async (timeoutMs = 5_000) =>
      await new Promise((resolve, reject) => {
        const wake = (): void => {
          if (closeEvent === null) return;
          clearTimeout(timer);
          closeWaiters.delete(wake);
          resolve(closeEvent);
        };
        const timer = setTimeout(() => {
          closeWaiters.delete(wake);
          reject(new Error(`the connection did not close within ${timeoutMs} ms`));
        }, timeoutMs);
        closeWaiters.add(wake);
        wake();
      }),
    dispose: async () => {
      await client.dispose();
    },
  };
}

export function subscribe<T = { handoffChanged: ChangedHandoff }>(
  gatewayUrl: string,
  key: KeyParams,
  query: string = HANDOFF_CHANGED,
  variables: Record<string, unknown> = {},
): Subscriber<T> {
  const subscribers = new Set<(code: number, reason: string) => void>();
  const client: Client = createClient({
    url: wsUrl(gatewayUrl),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: key === null ? undefined : typeof key === 'string' ? { Authorization: `Bearer ${key}` } : key,
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        for (const notify of [...subscribers]) notify(code, String(reason));
      },
    },
  });
  const subscriber = subscribeOn<T>(client, subscribers, query, variables);
  return {
    ...subscriber,
    received: subscriber.received,
    dispose: async () => {
      await subscriber.dispose();
      await client.dispose();
    },
  };
}

function subscribeOn<T>(client: Client, onClose: Set<(code: number, reason: string) => void>, query: string, variables: Record<string, unknown>): Subscriber<T> {
  const received: T[] = [];
  let end: SubscriptionEnd | null = null;
  const waiters = new Set<() => void>();
  const changed = (): void => {
    for (const wake of [...waiters]) wake();
  };
  onClose.add((code, reason) => {
    end ??= { kind: 'closed', code, reason };
    changed();
  });
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) {
          end ??= { kind: 'errors', errors: result.errors };
        } else if (result.data) {
          received.push(result.data);
        }
        changed();
      },
      error: (error) => {
        if (Array.isArray(error)) end ??= { kind: 'errors', errors: error as { message: string; extensions?: Record<string, unknown> }[] };
        else if (error && typeof error === 'object' && 'code' in error) {
          const { code, reason } = error as { code: number; reason: string };
          end ??= { kind: 'closed', code, reason: String(reason) };
        } else end ??= { kind: 'errors', errors: [{ message: String(error) }] };
        changed();
      },
      complete: () => {
        end ??= { kind: 'complete' };
        changed();
      },
    },
  );

  const until = async <R>(ready: () => R | undefined, timeoutMs: number, what: string): Promise<R> =>
    await new Promise<R>((resolve, reject) => {
      const check = (): void => {
        let value: R | undefined;
        try {
          value = ready();
        } catch (error) {
          finish();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (value === undefined) return;
        finish();
        resolve(value);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${JSON.stringify(received)}, end ${JSON.stringify(end)}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  return {
    received,
    take: async (count, timeoutMs = 5_000) =>
      await until(
        () => {
          if (received.length >= count) return received.slice(0, count);
          if (end !== null) throw new Error(`the subscription ended (${JSON.stringify(end)}) after ${received.length} of ${count} events`);
          return undefined;
        },
        timeoutMs,
        `${count} events`,
      ),
    ended: async (timeoutMs = 5_000) => await until(() => end ?? undefined, timeoutMs, 'the end of the subscription'),
    dispose: async () => {
      unsubscribe();
    },
  };
}

/** Current value of a metric of the gateway's registry (the series with `labels`, or the first). */
export async function gauge(gateway: RunningGateway, name: string, labels?: Record<string, string>): Promise<number> {
  const metric = gateway.metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  if (labels === undefined) return values[0]?.value ?? 0;
  const series = values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value));
  return series?.value ?? 0;
}

/**
 * Waits until the gateway has `count` subscriptions registered with its pubsub: from then on no
 * published change can be missed by them. Polls the `cxgw_subscriptions_active` gauge.
 */
export async function waitForSubscriptions(gateway: RunningGateway, count: number, timeoutMs = 10_000): Promise<void> {
  await vi.waitFor(
    async () => {
      const active = await gauge(gateway, 'cxgw_subscriptions_active');
      if (active !== count) throw new Error(`expected ${count} active subscriptions, the gateway has ${active}`);
    },
    { timeout: timeoutMs, interval: 10 },
  );
}
