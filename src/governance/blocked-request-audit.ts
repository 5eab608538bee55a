import type { AuditSink } from '../admin/audit-sink.js';
import type { RequestObserver } from '../pipeline/hooks.js';

/** Error codes that mean governance refused the request. */
const BLOCKING_CODES: ReadonlySet<string> = new Set(['invalid_api_key', 'key_expired', 'key_inactive', 'model_not_allowed', 'provider_not_allowed', 'rate_limit_exceeded', 'concurrency_limit_exceeded', 'budget_exceeded']);

/** Appends one `request.blocked` audit event per request that governance refused (never the key's value). */
export function blockedRequestAudit(audit: AuditSink): RequestObserver {
  return {
    onRequestEnd(context) {
      const error = context.error;
      if (error === undefined || !BLOCKING_CODES.has(error.code) || context.served !== undefined) return;
      audit.append({
        actor: context.principal === undefined ? 'anonymous' : `key:${context.principal.keyId}`,
        action: 'request.blocked',
        target: context.principal?.keyId,
        details: { request_id: context.id, code: error.code, status: error.status, message: error.message, model: context.requestedModel, path: context.path, client: context.clientAddress },
      });
    },
  };
}
