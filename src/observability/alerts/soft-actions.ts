import type { RequestContext } from '../../pipeline/context.js';
import type { RequestStage, StageCall } from '../../pipeline/stages.js';
import { GatewayError } from '../../spec/index.js';
import type { SoftActionConfig } from '../../config/observability-schema.js';
import type { AnomalyAlert } from './anomaly-alert.js';

const MINUTE_MS = 60_000;

interface ActiveAction {
  readonly config: SoftActionConfig;
  readonly alertId: string;
  until: number;
  /** Throttle: start of the current minute and requests counted in it. */
  minute: number;
  requests: number;
}

/**
 * Anomaly alerts' automatic soft actions: when an alert names a virtual key with an entry in
 * `alerts.soft_actions` (or the `*` entry), that key is throttled to `max_requests_per_minute` or
 * sent to `downgrade_to` for `duration_seconds`. A stage of the `policy` phase, before dispatch: one
 * map lookup per request, and nothing at all for keys without an active action.
 */
export class SoftActions implements RequestStage {
  readonly name = 'soft-actions';
  readonly phase = 'policy';
  private readonly byKey = new Map<string, SoftActionConfig>();
  private readonly fallback: SoftActionConfig | undefined;
  private readonly active = new Map<string, ActiveAction>();

  constructor(
    configs: readonly SoftActionConfig[],
    private readonly now: () => number = Date.now,
  ) {
    for (const config of configs) if (config.virtual_key !== '*') this.byKey.set(config.virtual_key, config);
    this.fallback = configs.find((config) => config.virtual_key === '*');
  }

  /** Starts (or extends) the action of the key an alert is about; team and customer alerts act on no key. */
  onAlert(alert: AnomalyAlert): void {
    if (alert.scope !== 'virtual_key') return;
    const config = this.byKey.get(alert.scope_id) ?? this.fallback;
    if (config === undefined) return;
    const until = this.now() + config.duration_seconds * 1000;
    const current = this.active.get(alert.scope_id);
    if (current !== undefined && current.config === config) current.until = Math.max(current.until, until);
    else this.active.set(alert.scope_id, { config, alertId: alert.id, until, minute: 0, requests: 0 });
  }

  /** The action in force for a key now, if any (for tests and the admin view). */
  activeFor(keyId: string): { action: SoftActionConfig['action']; until: number; alertId: string } | undefined {
    const entry = this.current(keyId, this.now());
    return entry === undefined ? undefined : { action: entry.config.action, until: entry.until, alertId: entry.alertId };
  }

  /** Throttles (throws rate_limit_exceeded) or downgrades `call.model` for a key under an active action. */
  beforeDispatch(context: RequestContext, call: StageCall): undefined {
    const model = this.adjustModel(context, call.model);
    if (model !== undefined) call.model = model;
    return undefined;
  }

  /** Whether the request's key has no action in force (beforeDispatch then does nothing). */
  passes(context: RequestContext): boolean {
    const keyId = context.principal?.keyId;
    return keyId === undefined || this.active.size === 0 || this.current(keyId, this.now()) === undefined;
  }

  adjustModel(context: RequestContext, model: string): string | undefined {
    const keyId = context.principal?.keyId;
    if (keyId === undefined || this.active.size === 0) return undefined;
    const now = this.now();
    const entry = this.current(keyId, now);
    if (entry === undefined) return undefined;
    const { config } = entry;
    if (config.action === 'downgrade') {
      const target = config.downgrade_to!;
      if (target === model) return undefined;
      context.warnings.push(`model ${model} replaced by ${target} while anomaly alert ${entry.alertId} is active`);
      context.responseHeaders['x-tollgate-soft-action'] = 'downgrade';
      return target;
    }
    const minute = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    if (minute !== entry.minute) {
      entry.minute = minute;
      entry.requests = 0;
    }
    const limit = config.max_requests_per_minute!;
    if (entry.requests >= limit) {
      const retryAfterMs = Math.max(1, Math.min(minute + MINUTE_MS, entry.until) - now);
      throw new GatewayError('rate_limit_exceeded', `Rate limit exceeded: the key is throttled to ${limit} requests per minute while anomaly alert ${entry.alertId} is active; retry after ${Math.ceil(retryAfterMs / 1000)} s.`, {
        retryAfterMs,
        headers: { 'x-ratelimit-scope': 'key', 'x-ratelimit-limit-requests': String(limit), 'x-ratelimit-remaining-requests': '0', 'x-tollgate-soft-action': 'throttle' },
      });
    }
    entry.requests++;
    return undefined;
  }

  private current(keyId: string, now: number): ActiveAction | undefined {
    const entry = this.active.get(keyId);
    if (entry === undefined) return undefined;
    if (now < entry.until) return entry;
    this.active.delete(keyId);
    return undefined;
  }
}
