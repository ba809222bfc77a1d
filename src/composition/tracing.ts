/**
 * Tracing on or off, from `TracingConfig`: off (`OTEL_TRACES_EXPORTER` unset or `none`) returns
 * `undefined` without loading anything of the SDK, and every layer then takes its untraced path;
 * on, the SDK module is imported dynamically and built with the configured exporter.
 */
import type { TracingConfig } from '../config/config.js';
// `import type`: an inline `type` import would be kept as a side-effect import and load the SDK.
import type * as TracingSdk from './tracing-sdk.js';
import type { TracingHandle } from './tracing-sdk.js';

/** Loads the SDK module; injected so a test can see whether it was asked for. */
export type SdkLoader = () => Promise<typeof TracingSdk>;

const loadSdk: SdkLoader = () => import('./tracing-sdk.js');

/** Starts tracing as configured; `undefined` when it is off. */
export async function startTracing(config: TracingConfig, load: SdkLoader = loadSdk): Promise<TracingHandle | undefined> {
  switch (config.exporter) {
    case 'none':
      return undefined;
    case 'console':
    case 'otlp': {
      const sdk = await load();
      return sdk.createSdkTracing({ serviceName: config.serviceName, exporter: sdk.createExporter(config), batch: config.exporter === 'otlp' });
    }
  }
}
