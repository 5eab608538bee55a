import type { Logger } from '../../lib/logger.js';
import type { WebhookConfig } from '../../config/observability-schema.js';
import type { AnomalyAlert } from './anomaly-alert.js';
import type { BudgetAlert } from './budget-alert.js';
import { deliverWebhook } from './webhook.js';

export type GatewayAlert = AnomalyAlert | BudgetAlert;

/** How many alerts the channel remembers for the admin API. */
export const RECENT_ALERTS = 200;

/**
 * Where alerts go: a warning log line, the alert metric, and the webhook when configured
 * (delivered in the background, in order of raising). Anomaly alerts and governance's budget
 * threshold alerts share it.
 */
export class AlertChannel {
  private delivery: Promise<unknown> = Promise.resolve();
  /** The latest alerts, oldest first, for `GET /admin/alerts` (bounded: the newest RECENT_ALERTS). */
  private readonly latest: GatewayAlert[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly webhook: WebhookConfig | undefined,
    private readonly count: ((kind: string, scope: string) => void) | undefined,
  ) {}

  send(alert: GatewayAlert): void {
    this.latest.push(alert);
    if (this.latest.length > RECENT_ALERTS) this.latest.shift();
    this.logger.warn(alert.kind === 'budget_threshold' ? 'budget alert' : 'anomaly alert', { alert });
    this.count?.(alert.kind, alert.scope);
    const webhook = this.webhook;
    if (webhook !== undefined) this.delivery = this.delivery.then(() => deliverWebhook(webhook, alert.id, { type: 'tollgate.alert', alert }, this.logger));
  }

  /** The alerts raised since start-up, newest first (at most RECENT_ALERTS; this process only). */
  recent(): GatewayAlert[] {
    return this.latest.toReversed();
  }

  /** Waits for deliveries in progress (shutdown, tests). */
  async settle(): Promise<void> {
    await this.delivery;
  }
}
