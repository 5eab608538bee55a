import type { HealthReport, KeyHealthReport, TargetHealthReport } from '../pipeline/capabilities.js';
import type { HealthRegistry } from './health-registry.js';

/**
 * Circuit state, latency and in-flight counts of every target and key seen, as served at
 * `GET /health/providers`. Metrics read the same report (cheap: one pass over the registry).
 */
export type { HealthReport, KeyHealthReport, TargetHealthReport };

export function healthReport(health: HealthRegistry, now: number): HealthReport {
  const targets: TargetHealthReport[] = [];
  for (const entry of health.allTargets()) {
    const state = entry.breaker.state(now);
    const estimate = entry.latency.estimate;
    targets.push({
      target: entry.ref,
      provider: entry.provider,
      model: entry.model,
      state,
      ...(state === 'closed' ? {} : { reason: entry.breaker.reason ?? 'unknown', retryInMs: Math.ceil(entry.breaker.remainingMs(now)) }),
      latencyMs: estimate === undefined ? null : Math.round(estimate * 10) / 10,
      inFlight: entry.inFlight,
      consecutiveFailures: entry.breaker.consecutiveFailures,
      window: entry.breaker.window(now),
    });
  }
  const keys: KeyHealthReport[] = [];
  for (const entry of health.allKeys()) {
    const state = entry.breaker.state(now);
    keys.push({
      provider: entry.provider,
      keyId: entry.keyId,
      state,
      ...(state === 'closed' ? {} : { reason: entry.breaker.reason ?? 'unknown', retryInMs: Math.ceil(entry.breaker.remainingMs(now)) }),
      inFlight: entry.inFlight,
      consecutiveFailures: entry.breaker.consecutiveFailures,
    });
  }
  targets.sort((left, right) => left.target.localeCompare(right.target));
  keys.sort((left, right) => left.provider.localeCompare(right.provider) || left.keyId.localeCompare(right.keyId));
  return { targets, keys };
}
