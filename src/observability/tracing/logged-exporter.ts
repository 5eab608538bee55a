import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../../lib/logger.js';

const QUIET_MS = 60_000;

/**
 * Reports failed exports in our own log. The SDK would hand them to its global error handler
 * (silent unless someone registers a global diagnostic logger, which we leave to the host), so
 * without this a wrong endpoint would go unnoticed. At most one line per minute; the count of
 * spans lost in between is included.
 */
export class LoggedExporter implements SpanExporter {
  private lastWarnedAt = -Infinity;
  private droppedSinceWarning = 0;

  constructor(
    private readonly inner: SpanExporter,
    private readonly logger: Logger,
    private readonly endpoint: string,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) this.warn(spans.length, result.error);
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  private warn(spans: number, error: Error | undefined): void {
    this.droppedSinceWarning += spans;
    const now = performance.now();
    if (now - this.lastWarnedAt < QUIET_MS) return;
    this.lastWarnedAt = now;
    // The endpoint is logged, the configured headers (credentials) never are.
    this.logger.warn('trace export failed', { endpoint: this.endpoint, spans_dropped: this.droppedSinceWarning, error: error?.message });
    this.droppedSinceWarning = 0;
  }
}
