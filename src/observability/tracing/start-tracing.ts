import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import type { OtlpConfig } from '../../config/observability-schema.js';
import type { RequestObserver } from '../../pipeline/hooks.js';
import type { Logger } from '../../lib/logger.js';
import { LoggedExporter } from './logged-exporter.js';
import { tracingObserver } from './tracing-observer.js';

export interface Tracing {
  /** Opens a server span per request and a client span per upstream attempt. */
  readonly observer: RequestObserver;
  /** Exports what is still queued, then stops the exporter. */
  close(): Promise<void>;
}

/**
 * Builds Tollgate's own tracer provider exporting to `settings.endpoint` over OTLP/HTTP (JSON).
 * The provider is deliberately not registered as the process-wide global: a host application or
 * another library may have its own, and ours must neither replace it nor be replaced by it.
 */
export function startTracing(settings: OtlpConfig, logger: Logger): Tracing {
  const exporter = new OTLPTraceExporter({ url: settings.endpoint, headers: settings.headers, timeoutMillis: settings.timeout_ms });
  const processor = new BatchSpanProcessor(new LoggedExporter(exporter, logger, withoutCredentials(settings.endpoint)), {
    scheduledDelayMillis: settings.export_delay_ms,
    maxQueueSize: settings.max_queue_size,
    maxExportBatchSize: Math.min(512, settings.max_queue_size),
    exportTimeoutMillis: settings.timeout_ms,
  });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.service_name }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sample_ratio) }),
    spanProcessors: [processor],
  });
  const tracer = provider.getTracer('tollgate');
  return {
    observer: tracingObserver(tracer, new W3CTraceContextPropagator()),
    async close() {
      await provider.shutdown().catch((error: unknown) => logger.warn('trace exporter failed to shut down', { error: error instanceof Error ? error.message : String(error) }));
    },
  };
}

/** The endpoint as logged: `user:password@` in a URL is a credential. */
function withoutCredentials(endpoint: string): string {
  const url = new URL(endpoint);
  return `${url.protocol}//${url.host}${url.pathname}`;
}
