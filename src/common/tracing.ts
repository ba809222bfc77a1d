/**
 * The gateway's tracing surface (OpenTelemetry, issue 15 §4). Every layer that makes spans takes a
 * `Tracing` through its constructor or options, like a `Logger`; `undefined` means tracing is off
 * and the code takes its plain path (no span objects, no context switches, no header writes).
 *
 * Only `@opentelemetry/api` is imported here: a few kilobytes of interfaces and no-op defaults. The
 * SDK (provider, exporters, the AsyncLocalStorage context manager) is loaded by the composition
 * root, with a dynamic import, only when `OTEL_TRACES_EXPORTER` asks for it
 * (`src/composition/tracing-sdk.ts`).
 *
 * The active span travels in OpenTelemetry's context (`context.active()`), the one global the API
 * has by design: a span started around a GraphQL operation must parent the store and CXone spans
 * made three layers down without every signature carrying it. The SDK module registers the context
 * manager; the tracer and the propagator are still passed in, never taken from a global registry.
 */
import { context, type Attributes, type Context, type Span, SpanKind, SpanStatusCode, type TextMapPropagator, type Tracer, trace } from '@opentelemetry/api';

/** What the gateway needs of OpenTelemetry: a tracer and the W3C propagator (`traceparent`). */
export interface Tracing {
  readonly tracer: Tracer;
  readonly propagator: TextMapPropagator;
}

export { SpanKind };

/** Options of one span made by `inSpan`. */
export interface SpanOptions {
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  /** Parent context; default the active one. */
  readonly parent?: Context;
}

/**
 * Runs `work` inside a new active span that ends when `work` settles. A rejection marks the span
 * `ERROR` with `error.type` (`errorType(error)`), never the message or stack: messages of store and
 * driver errors may quote data, and spans leave the process.
 */
export async function inSpan<T>(tracing: Tracing, name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracing.tracer.startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, ...(options.attributes ? { attributes: options.attributes } : {}) }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    markError(span, errorType(error));
    throw error;
  } finally {
    span.end();
  }
}

/** Marks a span failed with `error.type` (a code, a status or an error class name: no free text). */
export function markError(span: Span, type: string): void {
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

/** A failure's stable name: its `code` when it has a string one (`CXONE_TIMEOUT`), else its class name. */
export function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code)) return code;
  return error instanceof Error ? error.name : 'unknown';
}

/** Whether a span is active (a traced operation is under way in this async context). */
export function inTrace(): boolean {
  return trace.getSpan(context.active()) !== undefined;
}

/** Writes the active trace context (`traceparent`, `tracestate`) into outgoing `headers`. */
export function injectTraceContext(tracing: Tracing, headers: Record<string, string>): void {
  tracing.propagator.inject(context.active(), headers, {
    set: (carrier, key, value) => {
      carrier[key] = value;
    },
  });
}

/** The context an incoming request's headers carry (`traceparent`), on top of the active one. */
export function extractTraceContext(tracing: Tracing, headers: Readonly<Record<string, string | string[] | undefined>>): Context {
  return tracing.propagator.extract(context.active(), headers, {
    keys: (carrier) => Object.keys(carrier),
    get: (carrier, key) => carrier[key.toLowerCase()],
  });
}
