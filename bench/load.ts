/**
 * One measured load run with autocannon (in this process; the servers are children). Latency
 * percentiles come from autocannon's per-response times (sub-millisecond, unlike its own
 * histogram, which rounds to whole milliseconds); throughput from its count of 2xx answers over
 * the run. Each body is checked, so a run that returned GraphQL errors with HTTP 200 is caught.
 */
import autocannon from 'autocannon';
import { cpuMs } from './processes.js';

export interface LoadOptions {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  /** A fixed body, or one made per request (e.g. rotating contact ids). */
  readonly body?: string | (() => string);
  /** A path (and query) per request, instead of the one in `url`. */
  readonly path?: () => string;
  readonly connections: number;
  readonly seconds: number;
  /** A short unmeasured run first (JIT, connection set-up, caches). */
  readonly warmupSeconds: number;
  /** Open-loop rate over all connections (autocannon `overallRate`), req/s. */
  readonly overallRate?: number;
  /** Process id of the server under test, to report its CPU time per request. */
  readonly pid?: number;
  /** True when a response body is what the row expects. */
  readonly accept: (status: number, body: string) => boolean;
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** CPU time the server under test used per answered request (user + system), when `pid` was given. */
  readonly cpuMsPerRequest?: number;
  /** Answers that were not 2xx, did not pass `accept`, or never came (errors, timeouts). */
  readonly bad: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

async function once(options: LoadOptions, seconds: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let rejected = 0;
  const { body, path } = options;
  const perRequest = typeof body === 'function' || path !== undefined;
  const request: autocannon.Request = {
    method: options.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    ...(typeof body === 'string' ? { body } : {}),
    ...(perRequest
      ? {
          setupRequest: (current: autocannon.Request) => ({
            ...current,
            ...(typeof body === 'function' ? { body: body() } : {}),
            ...(path === undefined ? {} : { path: path() }),
          }),
        }
      : {}),
    onResponse: (status: number, responseBody: string) => {
      if (!options.accept(status, responseBody)) rejected += 1;
    },
  };
  const cpuBefore = options.pid === undefined ? 0 : cpuMs(options.pid);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: seconds,
        ...(options.overallRate === undefined ? {} : { overallRate: options.overallRate }),
        requests: [request],
      },
      (error: Error | null, done: autocannon.Result) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      latencies.push(responseTime);
    });
  });
  const cpu = options.pid === undefined ? undefined : cpuMs(options.pid) - cpuBefore;
  latencies.sort((a, b) => a - b);
  return {
    ...(cpu === undefined || latencies.length === 0 ? {} : { cpuMsPerRequest: cpu / latencies.length }),
    requestsPerSecond: result['2xx'] / (result.duration || seconds),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    requests: latencies.length,
    bad: result.errors + rejected,
  };
}

/** Warms up, then measures. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (options.warmupSeconds > 0) await once(options, options.warmupSeconds);
  return await once(options, options.seconds);
}

/** `{ data: ... }` without `errors`. */
export function isGraphqlData(status: number, body: string): boolean {
  return status === 200 && body.startsWith('{"data"') && !body.includes('"errors"');
}
