import { createHmac } from 'node:crypto';
import { request } from 'undici';
import type { AuditSink } from '../pipeline/audit-sink.js';
import type { Logger } from '../lib/logger.js';
import type { BudgetThresholdEvent, BudgetThresholdListener } from '../pipeline/capabilities.js';
import type { GovernanceSettings } from '../config/governance-schema.js';
import { usdOfNano } from './usd-units.js';
import type { LineInfo } from './limit-lines.js';
import type { CounterState, LimitLine, SpendStore } from './spend-store.js';
import type { AlertRecord, GovernanceStore } from './storage/governance-store.js';

/** Posts one webhook body; resolves with the HTTP status. Injectable for tests. */
export type WebhookSender = (url: string, body: string, headers: Record<string, string>) => Promise<number>;

export interface BudgetAlertsOptions {
  settings: GovernanceSettings['alerts'];
  store: GovernanceStore;
  spend: SpendStore;
  audit: AuditSink;
  logger: Logger;
  now: () => number;
  send?: WebhookSender;
  /** First retry delay; doubles on each attempt. */
  retryBaseMs?: number;
}

const defaultSender: WebhookSender = async (url, body, headers) => {
  const response = await request(url, { method: 'POST', body, headers, headersTimeout: 10_000, bodyTimeout: 10_000 });
  await response.body.dump();
  return response.statusCode;
};

/** `sha256=<hex>` of `<timestamp>.<body>` with the shared secret, as sent in `x-tollgate-signature`. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Budget thresholds (e.g. 50/80/95 %): once per budget window and threshold, the crossing is
 * recorded in storage, audited and posted to `governance.alerts.url`, signed with HMAC-SHA256 and
 * retried with exponential backoff up to `max_attempts`.
 */
export class BudgetAlerts {
  /** `counter@threshold` → end of the counter's window: alerts already fired, forgotten once their window ends. */
  private readonly fired = new Map<string, number>();
  private readonly deliveries = new Set<Promise<void>>();
  private readonly listeners: BudgetThresholdListener[] = [];
  private closed = false;

  constructor(private options: BudgetAlertsOptions) {}

  /** A reloaded config's `governance.alerts`; alerts already fired stay fired. */
  reconfigure(settings: GovernanceSettings['alerts']): void {
    this.options = { ...this.options, settings };
  }

  /** Also hands every crossing to `listener` (the observability alert channel). */
  subscribe(listener: BudgetThresholdListener): void {
    this.listeners.push(listener);
  }

  load(records: readonly AlertRecord[]): void {
    for (const record of records) this.fired.set(`${record.counter}@${record.threshold}`, record.windowEnd);
  }

  /** Forgets fired alerts of windows that ended by `now` (their counters are new in the next window). */
  prune(now: number): void {
    for (const [name, windowEnd] of this.fired) if (windowEnd <= now) this.fired.delete(name);
  }

  /** Alerts remembered as fired (for tests). */
  get remembered(): number {
    return this.fired.size;
  }

  /** A counter's state; a remote ledger's promise is marked handled (it is awaited later, or not at all when an earlier line throws). */
  private peek(counter: string): CounterState | Promise<CounterState> {
    const state = this.options.spend.peek(counter);
    if (state instanceof Promise) state.catch(() => undefined);
    return state;
  }

  /** Checks the budgets a settled attempt was charged to. */
  async check(infos: readonly LineInfo[], lines: readonly LimitLine[]): Promise<void> {
    // The memory ledger answers synchronously: no promise per budget line after every request. A
    // remote one (Redis, the primary under --workers) is asked for every line at once.
    let states: (CounterState | Promise<CounterState> | undefined)[] | undefined;
    for (let index = 0; index < infos.length; index++) {
      const info = infos[index]!;
      if (info.metric !== 'usd') continue;
      const thresholds = info.budget?.alert_thresholds ?? this.options.settings.thresholds;
      if (thresholds.length === 0) continue;
      const line = lines[index]!;
      states ??= infos.map((other, at) => (other.metric === 'usd' && (other.budget?.alert_thresholds ?? this.options.settings.thresholds).length > 0 ? this.peek(lines[at]!.counter) : undefined));
      const peeked = states[index]!;
      const state = peeked instanceof Promise ? await peeked : peeked;
      const ceiling = info.limit + state.credit;
      if (ceiling <= 0) continue;
      for (const threshold of thresholds) {
        // Nano-USD integers: the mark is rounded to one, so $0.08 spent of $0.1 crosses 0.8
        // (0.8 × 100,000,000 is 80,000,000.00000001 as a double).
        const mark = Math.round(threshold * ceiling);
        if (state.used < mark) continue;
        const name = `${line.counter}@${threshold}`;
        if (this.fired.has(name)) continue;
        this.fired.set(name, info.windowEnd);
        this.fire(info, line, threshold, state.used, ceiling);
      }
    }
  }

  /** Waits for deliveries in flight (on shutdown). */
  async drain(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.deliveries]);
  }

  private fire(info: LineInfo, line: LimitLine, threshold: number, spent: number, budget: number): void {
    const firedAt = new Date(this.options.now()).toISOString();
    const payload: BudgetThresholdEvent = {
      type: 'budget.threshold',
      level: info.level,
      scope: info.scope,
      entity: info.label,
      period: info.period ?? 'lifetime',
      rolling: info.rolling,
      threshold,
      // The ledger counts nano-USD (usd-units.ts).
      spent_usd: usdOfNano(spent),
      budget_usd: usdOfNano(budget),
      resets_at: Number.isFinite(info.windowEnd) ? new Date(info.windowEnd).toISOString() : null,
      fired_at: firedAt,
    };
    const record: AlertRecord = { counter: line.counter, threshold, windowEnd: info.windowEnd, firedAt, payload: { ...payload }, delivered: false, attempts: 0 };
    const delivery = this.claim(record)
      .then((claimed) => {
        if (!claimed) return;
        this.announce(info, payload);
        return this.deliver(record);
      })
      .catch((error: unknown) => this.options.logger.error('governance: budget alert failed', { scope: info.scope, error: (error as Error).message }));
    this.deliveries.add(delivery);
    void delivery.finally(() => this.deliveries.delete(delivery));
  }

  /**
   * Whether this process is the one to announce the crossing: every replica (and every worker of
   * `--workers`) that settles a request past the mark sees it, so the first to record it in the shared
   * storage announces it and the others stay quiet. Storage that cannot be reached does not silence an
   * alert: announced twice beats never.
   */
  private async claim(record: AlertRecord): Promise<boolean> {
    try {
      return await this.options.store.claimAlert(record);
    } catch (error) {
      this.options.logger.warn('governance: budget alert not recorded before it was sent', { scope: record.payload.scope, error: (error as Error).message });
      return true;
    }
  }

  /** The audit event and the listeners (the observability alert channel) of a crossing this process claimed. */
  private announce(info: LineInfo, payload: BudgetThresholdEvent): void {
    this.options.audit.append({ actor: 'governance', action: 'budget.alert', target: info.scope, details: { ...payload } });
    for (const listener of this.listeners) {
      try {
        listener(payload);
      } catch (error) {
        this.options.logger.error('governance: budget alert listener failed', { scope: info.scope, error: (error as Error).message });
      }
    }
  }

  /** Posts the claimed alert to the webhook, retrying, and stores how that went. */
  private async deliver(record: AlertRecord): Promise<void> {
    const { url, secret, max_attempts: maxAttempts } = this.options.settings;
    if (url === undefined) return;
    const send = this.options.send ?? defaultSender;
    const body = JSON.stringify(record.payload);
    let delay = this.options.retryBaseMs ?? 500;
    while (record.attempts < maxAttempts) {
      record.attempts++;
      const timestamp = String(Math.floor(this.options.now() / 1000));
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-tollgate-event': 'budget.threshold', 'x-tollgate-timestamp': timestamp };
      if (secret !== undefined) headers['x-tollgate-signature'] = signWebhook(secret, timestamp, body);
      try {
        const status = await send(url, body, headers);
        if (status >= 200 && status < 300) {
          record.delivered = true;
          break;
        }
      } catch {
        // Retried below.
      }
      if (this.closed || record.attempts >= maxAttempts) break;
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      delay *= 2;
    }
    await this.options.store.putAlert(record);
    if (!record.delivered) this.options.logger.warn('governance: budget alert webhook not delivered', { scope: record.payload.scope, attempts: record.attempts });
  }
}
