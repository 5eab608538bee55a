import type { RequestContext } from '../pipeline/context.js';
import type { RequestObserver } from '../pipeline/hooks.js';
import type { Logger } from '../server/logger.js';

/** One structured log line per pipeline request (never content, never secrets). */
export function accessLogObserver(logger: Logger): RequestObserver {
  return {
    onRequestEnd(context: RequestContext) {
      const served = context.served;
      const latency = (context.endedAt ?? performance.now()) - context.startedAt;
      const fields: Record<string, unknown> = {
        request_id: context.id,
        method: context.method,
        path: context.path,
        status: context.status,
        latency_ms: Math.round(latency * 100) / 100,
        model: context.requestedModel,
        provider: served?.provider.name,
        upstream_model: served?.model,
        attempts: context.attempts.length,
        stream: context.stream,
        virtual_key_id: context.principal?.keyId,
        input_tokens: context.usage?.inputTokens,
        output_tokens: context.usage?.outputTokens,
        cost_usd: context.cost?.known ? context.cost.usd : undefined,
      };
      if (context.error !== undefined) {
        fields.error_code = context.error.code;
        fields.error = context.error.message;
        if (context.error.code === 'internal_error') fields.cause = context.error.cause;
      }
      if (context.status >= 500) logger.warn('request failed', fields);
      else logger.info('request', fields);
    },
  };
}
