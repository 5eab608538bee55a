import { request } from 'undici';
import type { CompiledRule } from './compiled-rule.js';

/** What a guardrail webhook is sent (docs/guardrails.md#webhook-contract). */
export interface WebhookPayload {
  phase: 'request' | 'response';
  rule: string;
  request_id: string;
  virtual_key_id: string | null;
  model: string;
  /** The prompt (request phase) or the answer's choices (response phase), as plain text per message. */
  messages: { role: string; text: string }[];
}

export interface WebhookVerdict {
  /** Whether the check lets the text through. */
  allowed: boolean;
  /** Why not: the webhook's own reason, or what went wrong reaching it (never a value from the text). */
  reason: string | undefined;
  /** True when the verdict is the rule's `on_error` policy rather than the webhook's answer. */
  failed: boolean;
}

const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * POSTs the text to the rule's webhook and reads `{ "action": "allow" | "block", "reason"?: string }`.
 * A timeout (`timeout_ms`), a non-2xx status or an unreadable answer is decided by `on_error`:
 * `allow` fails open, `block` fails closed.
 */
export async function checkWebhook(rule: CompiledRule, payload: WebhookPayload, signal: AbortSignal): Promise<WebhookVerdict> {
  const config = rule.config;
  const failed = (reason: string): WebhookVerdict => ({ allowed: config.on_error === 'allow', reason, failed: true });
  const timeout = AbortSignal.timeout(config.timeout_ms);
  try {
    const response = await request(config.url!, {
      method: 'POST',
      headers: { ...config.headers, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: AbortSignal.any([signal, timeout]),
      headersTimeout: config.timeout_ms,
      bodyTimeout: config.timeout_ms,
    });
    let text = '';
    for await (const chunk of response.body) {
      text += chunk;
      if (text.length > MAX_ANSWER_BYTES) {
        response.body.destroy();
        return failed('the webhook answered more than 64 KiB');
      }
    }
    if (response.statusCode < 200 || response.statusCode > 299) return failed(`the webhook answered HTTP ${response.statusCode}`);
    const answer = JSON.parse(text) as { action?: unknown; reason?: unknown };
    if (answer.action !== 'allow' && answer.action !== 'block') return failed('the webhook answered without `action: allow|block`');
    return { allowed: answer.action === 'allow', reason: typeof answer.reason === 'string' ? answer.reason.slice(0, 200) : undefined, failed: false };
  } catch (error) {
    if (timeout.aborted) return failed(`the webhook did not answer within ${config.timeout_ms} ms`);
    if (signal.aborted) throw error;
    return failed(`the webhook could not be reached (${(error as NodeJS.ErrnoException).code ?? (error as Error).name})`);
  }
}
