/**
 * One HTTP exchange with CXone over an injected undici dispatcher: a bounded time (abort signal
 * into undici, so an abandoned request frees its socket), a bounded body read that tolerates
 * empty, HTML and malformed bodies, and one `onUpstream` hook call per exchange. With tracing on,
 * each exchange is one client span (HTTP semantic conventions; `url.full` without the query
 * string) whose W3C `traceparent` travels in the request's headers.
 */
import { type Dispatcher } from 'undici';
import { inSpan, injectTraceContext, markError, SpanKind, type Tracing } from '../common/tracing.js';
import { abortedFailure, networkFailure, redactSecrets, timeoutFailure, type NiceExchangeKind } from './errors.js';
import { type NiceHooks } from './types.js';

/** Source of the current time (epoch ms); injected so token expiry and deadlines are testable. */
export interface Clock {
  now(): number;
}

/** The real clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** The logger the client writes to; a pino logger fits. Never given a secret or a token. */
export interface NiceLogger {
  debug(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Discards everything. */
export const silentLogger: NiceLogger = { debug: () => undefined, warn: () => undefined };

/** What one exchange sends. */
export interface UpstreamRequest {
  readonly kind: NiceExchangeKind;
  readonly url: URL;
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
  /** Time allowed for connect + headers + body. */
  readonly timeoutMs: number;
  /** The caller's abort signal. */
  readonly signal?: AbortSignal | undefined;
}

/** A parsed response body: JSON when it parses, a text snippet otherwise, or nothing. */
export type ResponseBody =
  | { readonly type: 'empty' }
  | { readonly type: 'json'; readonly value: unknown }
  | { readonly type: 'text'; readonly text: string };

/** What one exchange received. */
export interface UpstreamResponse {
  readonly status: number;
  readonly body: ResponseBody;
  /** CXone's `CorrelationId` header, sanitized. */
  readonly correlationId: string | undefined;
  /** Raw `Retry-After` header value, if any. */
  readonly retryAfter: string | undefined;
}

/** Bodies beyond this are not CXone's answers; the rest is discarded unread. */
const MAX_BODY_BYTES = 64 * 1024;

/** Makes exchanges over one dispatcher and reports each to the hooks. */
export class UpstreamHttp {
  readonly #dispatcher: Dispatcher;
  readonly #hooks: NiceHooks;
  readonly #log: NiceLogger;
  readonly #tracing: Tracing | undefined;

  constructor(dispatcher: Dispatcher, hooks: NiceHooks, log: NiceLogger, tracing?: Tracing) {
    this.#dispatcher = dispatcher;
    this.#hooks = hooks;
    this.#log = log;
    this.#tracing = tracing;
  }

  /** Sends one request; rejects with a `NiceError` (timeout, aborted, unavailable) when no answer came. */
  async exchange(request: UpstreamRequest): Promise<UpstreamResponse> {
    const tracing = this.#tracing;
    if (tracing === undefined) return this.#exchange(request, request.headers);
    const { url } = request;
    // The query string is left out: discovery's carries the CXone tenant id, a query-transport
    // signal's the caller's p1..p9. The path (with the contact id) is the resource.
    const attributes = {
      'http.request.method': request.method,
      'url.full': `${url.origin}${url.pathname}`,
      'server.address': url.hostname,
      'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      'cxone.exchange': request.kind,
    };
    return inSpan(tracing, `${request.method} ${request.kind}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
      const headers = { ...request.headers };
      injectTraceContext(tracing, headers);
      const response = await this.#exchange(request, headers);
      span.setAttribute('http.response.status_code', response.status);
      if (response.status >= 400) markError(span, String(response.status));
      return response;
    });
  }

  async #exchange(request: UpstreamRequest, headers: Readonly<Record<string, string>>): Promise<UpstreamResponse> {
    const started = performance.now();
    let outcome: number | 'error' = 'error';
    if (request.signal?.aborted === true) throw abortedFailure(request.kind);
    // Nothing is sent (so nothing is reported) when the time is already up.
    if (request.timeoutMs <= 0) throw timeoutFailure(request.kind, 0);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, request.timeoutMs);
    const onCallerAbort = (): void => controller.abort();
    request.signal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      const response = await this.#dispatcher.request({
        origin: request.url.origin,
        path: `${request.url.pathname}${request.url.search}`,
        method: request.method,
        headers: { ...headers },
        body: request.body,
        signal: controller.signal,
        headersTimeout: request.timeoutMs,
        bodyTimeout: request.timeoutMs,
      });
      const body = await readBody(response.body, header(response.headers, 'content-type'));
      outcome = response.statusCode;
      return {
        status: response.statusCode,
        body,
        correlationId: sanitizeHeader(header(response.headers, 'correlationid')),
        retryAfter: header(response.headers, 'retry-after'),
      };
    } catch (error) {
      if (timedOut) throw timeoutFailure(request.kind, request.timeoutMs, error);
      if (isAborted(request.signal)) throw abortedFailure(request.kind);
      const code = (error as { code?: unknown }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
        throw timeoutFailure(request.kind, request.timeoutMs, error);
      }
      throw networkFailure(request.kind, error);
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onCallerAbort);
      this.#report(request.kind, outcome, started);
    }
  }

  #report(kind: NiceExchangeKind, outcome: number | 'error', started: number): void {
    try {
      this.#hooks.onUpstream?.({ kind, outcome, ms: performance.now() - started });
    } catch (error) {
      // A broken metrics hook must not fail a handoff.
      this.#log.warn({ kind, err: { name: (error as Error).name } }, 'nice onUpstream hook threw');
    }
  }
}

// A function, so TypeScript does not assume `aborted` kept the value it had before an `await`.
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Reads at most `MAX_BODY_BYTES`, then classifies: empty, JSON (when it parses) or text. */
async function readBody(stream: AsyncIterable<Buffer> & { destroy(): void }, contentType: string | undefined): Promise<ResponseBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= MAX_BODY_BYTES) {
      stream.destroy();
      break;
    }
  }
  const text = Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8').trim();
  if (text === '') return { type: 'empty' };
  const looksJson = /json/i.test(contentType ?? '') || text.startsWith('{') || text.startsWith('[');
  if (looksJson) {
    try {
      return { type: 'json', value: JSON.parse(text) as unknown };
    } catch {
      // Malformed JSON is kept as text; the caller decides what a missing field means.
    }
  }
  return { type: 'text', text };
}

/** Header values we echo into errors: printable, short. */
function sanitizeHeader(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const clean = value.replace(/[^\x21-\x7e]/g, '').slice(0, 128);
  return clean === '' ? undefined : clean;
}

/**
 * `Retry-After` as ms from `nowMs`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3). Past dates
 * give 0; anything unparsable gives `undefined`.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * A short, single-line, secret-free excerpt of an upstream error body: the OAuth
 * `error`/`error_description` (or CXone's `message`) when JSON, the HTML `<title>` or the text
 * otherwise. Known secrets and anything after `Bearer`/`Basic` are redacted, because a proxy's
 * debug page may echo our request headers.
 */
export function errorSnippet(body: ResponseBody, secrets: readonly string[]): string | undefined {
  let text: string;
  switch (body.type) {
    case 'empty':
      return undefined;
    case 'json':
      text = jsonErrorText(body.value);
      break;
    case 'text': {
      const title = /<title[^>]*>([^<]*)<\/title>/i.exec(body.text)?.[1];
      text = title ?? body.text.replace(/<[^>]*>/g, ' ');
      break;
    }
  }
  return redact(text, secrets);
}

function jsonErrorText(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  const record = value as Record<string, unknown>;
  const parts = ['error', 'error_description', 'message', 'Message', 'errorMessage']
    .map((key) => record[key])
    .filter((part): part is string => typeof part === 'string');
  return parts.length > 0 ? parts.join(': ') : JSON.stringify(value);
}

const SNIPPET_CHARS = 200;

/** Removes secrets, credentials after auth schemes and control characters; caps the length. */
export function redact(text: string, secrets: readonly string[]): string | undefined {
  const clean = redactSecrets(text, secrets)
    .replace(/\b(bearer|basic)\s+[^\s"',;<]+/gi, '$1 [redacted]')
    .replace(/\b(access_token|refresh_token|id_token|client_secret|password)(["'\s:=]+)[^\s"',;&<]+/gi, '$1$2[redacted]')
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (clean === '') return undefined;
  return clean.length > SNIPPET_CHARS ? `${clean.slice(0, SNIPPET_CHARS)}…` : clean;
}
