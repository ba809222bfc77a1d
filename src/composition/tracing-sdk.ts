/**
 * The OpenTelemetry SDK side of tracing: a tracer provider with the gateway's resource and span
 * processor, the AsyncLocalStorage context manager (so the active span follows `await`s) and the
 * W3C trace-context propagator. Loaded only through `startTracing`'s dynamic import when tracing
 * is on; nothing else imports this module, so with tracing off none of the SDK is ever loaded.
 *
 * The SDK reads some OTEL_* variables itself when they are set (sampler, batch and OTLP exporter
 * tuning: README, "Tracing"); the gateway reads and validates the ones that decide whether and where
 * spans go (`TracingConfig`).
 */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type Tracing } from '../common/tracing.js';

/** Tracing with its SDK, to be shut down (flushing what is queued) when the gateway stops. */
export interface TracingHandle {
  readonly tracing: Tracing;
  /** Exports what is queued, then stops; the context manager is released if this handle set it. */
  shutdown(): Promise<void>;
}

/** What `createSdkTracing` builds around. */
export interface SdkTracingOptions {
  readonly serviceName: string;
  readonly exporter: SpanExporter;
  /** Batch spans before export (OTLP); `false` exports each span as it ends (console, tests). */
  readonly batch: boolean;
}

/** The instrumentation scope of every gateway span. */
export const TRACER_NAME = 'cxone-gateway';

/** Builds the SDK around `exporter` (tests pass an `InMemorySpanExporter`). */
export function createSdkTracing(options: SdkTracingOptions): TracingHandle {
  const processor: SpanProcessor = options.batch ? new BatchSpanProcessor(options.exporter) : new SimpleSpanProcessor(options.exporter);
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': options.serviceName })),
    spanProcessors: [processor],
  });
  // The one global OpenTelemetry needs (src/common/tracing.ts says why). A second gateway in the
  // same process finds it set and shares it; only the handle that set it releases it.
  const contextManager = new AsyncLocalStorageContextManager().enable();
  const owned = context.setGlobalContextManager(contextManager);
  if (!owned) contextManager.disable();
  return {
    tracing: { tracer: provider.getTracer(TRACER_NAME), propagator: new W3CTraceContextPropagator() },
    async shutdown() {
      try {
        await provider.shutdown();
      } finally {
        if (owned) context.disable();
      }
    },
  };
}

/** The exporter `OTEL_TRACES_EXPORTER` names. */
export function createExporter(config: { readonly exporter: 'console' } | { readonly exporter: 'otlp'; readonly url: string }): SpanExporter {
  switch (config.exporter) {
    case 'console':
      return new ConsoleSpanExporter();
    case 'otlp':
      return new OTLPTraceExporter({ url: config.url });
  }
}
