import type { RequestContext } from '../pipeline/context.js';
import type { AttemptOutcome, RequestObserver } from '../pipeline/hooks.js';
import { buildRecords } from './log/build-record.js';
import type { RequestRecord } from './log/request-record.js';
import type { GatewayMetrics } from './metrics/gateway-metrics.js';

export interface ObserverParts {
  /** Undefined when the request log is off. */
  write: ((records: RequestRecord[]) => void) | undefined;
  metrics: GatewayMetrics | undefined;
  /** Other consumers of finished requests (anomaly alerts). */
  listeners: readonly ((context: RequestContext, record: RequestRecord) => void)[];
  logContent: boolean;
  maxContentBytes: number;
}

/** Turns each finished request into log records, metric updates and listener calls; all cheap and synchronous. */
export function observabilityObserver(parts: ObserverParts): RequestObserver {
  const { write, metrics, listeners, logContent, maxContentBytes } = parts;
  const wantsContent = (context: RequestContext) => logContent && context.principal?.logContent !== false && context.chatRequest?.gateway?.logContent !== false && !optedOut(context);
  return {
    onRequestStart(context: RequestContext) {
      metrics?.requestStarted(context);
      if (write !== undefined && wantsContent(context)) context.captureOutput = true;
    },
    onAttempt(_context: RequestContext, outcome: AttemptOutcome) {
      metrics?.attemptFinished(outcome);
    },
    onRequestEnd(context: RequestContext) {
      metrics?.requestFinished(context);
      if (write === undefined && listeners.length === 0) return;
      const records = buildRecords(context, { content: write !== undefined && wantsContent(context), maxContentBytes });
      for (const listener of listeners) listener(context, records[0]!);
      write?.(records);
    },
  };
}

/** `x-tollgate-log-content: false` turns content logging off for one request, whatever the dialect. */
function optedOut(context: RequestContext): boolean {
  const header = context.headers['x-tollgate-log-content'];
  return typeof header === 'string' && /^(false|0|off|no)$/i.test(header.trim());
}
