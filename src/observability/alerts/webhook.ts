import { createHmac } from 'node:crypto';
import { request } from 'undici';
import type { Logger } from '../../lib/logger.js';
import type { WebhookConfig } from '../../config/observability-schema.js';

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, keyed with the webhook secret. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Posts one JSON event, signed when a secret is set, retrying network errors, 429 and 5xx with
 * exponential backoff. `x-tollgate-event-id` stays the same across retries so receivers can dedupe.
 * Resolves true once delivered; never throws.
 */
export async function deliverWebhook(config: WebhookConfig, eventId: string, payload: unknown, logger: Logger, backoffMs = 500): Promise<boolean> {
  const body = JSON.stringify(payload);
  for (let attempt = 0; attempt <= config.retries; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** (attempt - 1)));
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'tollgate-alerts', 'x-tollgate-event-id': eventId, 'x-tollgate-timestamp': timestamp };
    if (config.secret !== undefined) headers['x-tollgate-signature'] = signWebhook(config.secret, timestamp, body);
    try {
      const response = await request(config.url, { method: 'POST', headers, body, headersTimeout: config.timeout_ms, bodyTimeout: config.timeout_ms });
      await response.body.dump();
      if (response.statusCode < 300) return true;
      if (response.statusCode !== 429 && response.statusCode < 500) {
        logger.warn('alert webhook refused', { event_id: eventId, status: response.statusCode });
        return false;
      }
    } catch (error) {
      if (attempt === config.retries) logger.warn('alert webhook unreachable', { event_id: eventId, error: (error as Error).message });
    }
  }
  logger.warn('alert webhook gave up', { event_id: eventId, attempts: config.retries + 1 });
  return false;
}
