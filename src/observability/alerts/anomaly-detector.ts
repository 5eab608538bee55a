import type { AlertsConfig } from '../../config/observability-schema.js';
import type { AnomalyAlert } from './anomaly-alert.js';

export interface UsageEvent {
  keyId: string | null;
  teamId: string | null;
  customerId: string | null;
  costUsd: number | null;
  /** Hash of the prompt, for loop detection (chat requests from a key). */
  promptHash: string | undefined;
}

interface ScopeState {
  /** Index of the current window (epoch ms / window length). */
  window: number;
  requests: number;
  spendUsd: number;
  baselineRequests: number;
  baselineSpendUsd: number;
  /** Completed windows folded into the baseline. */
  windows: number;
  /** Hour-of-day (UTC) profile, when seasonal baselines are on. */
  seasonal: SeasonalProfile | undefined;
}

/** Per hour-of-day slot: EWMA of requests and spend per window, and how many windows it has seen. */
interface SeasonalProfile {
  requests: Float64Array;
  spendUsd: Float64Array;
  windows: Uint16Array;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

interface LoopState {
  first: number;
  count: number;
}

const MAX_TRACKED = 50_000;
const MAX_EMPTY_WINDOWS_FOLDED = 48;

/**
 * Per virtual key, team and customer: an EWMA baseline of requests and spend per window (plus a
 * per-hour-of-day profile, see `expected`); an alert when the current window exceeds the baseline by `factor` (once the scope has `min_windows` of
 * history and the window passes the noise floor). Also flags a key sending the same prompt
 * `loop_repeats` times within `loop_window_seconds`. Alerts for one scope and kind are raised at
 * most once per `dedupe_seconds`. The clock is injectable for tests.
 */
export class AnomalyDetector {
  private readonly scopes = new Map<string, ScopeState>();
  private readonly loops = new Map<string, LoopState>();
  private readonly lastRaised = new Map<string, number>();
  private readonly windowMs: number;
  /** Windows a slot needs (min_days of that hour) before its profile counts; undefined when seasonal baselines are off. */
  private readonly seasonalMinWindows: number | undefined;

  constructor(
    private readonly config: AlertsConfig,
    private readonly raise: (alert: AnomalyAlert) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.windowMs = config.window_seconds * 1000;
    // A profile by hour of day only means something for windows of at most an hour.
    const seasonal = config.seasonal.enabled && this.windowMs <= HOUR_MS;
    this.seasonalMinWindows = seasonal ? config.seasonal.min_days * Math.max(1, Math.floor(HOUR_MS / this.windowMs)) : undefined;
  }

  observe(event: UsageEvent): void {
    const now = this.now();
    if (event.keyId !== null) this.observeScope('virtual_key', event.keyId, event.costUsd, now);
    if (event.teamId !== null) this.observeScope('team', event.teamId, event.costUsd, now);
    if (event.customerId !== null) this.observeScope('customer', event.customerId, event.costUsd, now);
    if (event.keyId !== null && event.promptHash !== undefined) this.observeLoop(event.keyId, event.promptHash, now);
  }

  private observeScope(scope: AnomalyAlert['scope'], id: string, costUsd: number | null, now: number): void {
    const key = `${scope}:${id}`;
    const window = Math.floor(now / this.windowMs);
    let state = this.scopes.get(key);
    if (state === undefined) {
      if (this.scopes.size >= MAX_TRACKED) this.scopes.delete(this.scopes.keys().next().value!);
      const seasonal = this.seasonalMinWindows === undefined ? undefined : { requests: new Float64Array(24), spendUsd: new Float64Array(24), windows: new Uint16Array(24) };
      state = { window, requests: 0, spendUsd: 0, baselineRequests: 0, baselineSpendUsd: 0, windows: 0, seasonal };
      this.scopes.set(key, state);
    }
    if (window > state.window) this.roll(state, window);
    state.requests++;
    state.spendUsd += costUsd ?? 0;
    if (state.windows < this.config.min_windows) return;

    const { factor, min_requests, min_spend_usd } = this.config;
    const baseline = this.expected(state);
    const measures: AnomalyAlert['measures'] = [];
    if (state.requests >= min_requests && state.requests > factor * baseline.requests) measures.push({ measure: 'requests', observed: state.requests, baseline: round(baseline.requests) });
    // Compared in nano-dollars so float noise in the sums cannot tip the balance.
    if (state.spendUsd >= min_spend_usd && Math.round(state.spendUsd * 1e9) > Math.round(factor * baseline.spendUsd * 1e9)) measures.push({ measure: 'spend_usd', observed: round(state.spendUsd), baseline: round(baseline.spendUsd) });
    if (measures.length === 0) return;
    const windowStart = state.window * this.windowMs;
    const described = measures.map((item) => `${item.measure} ${item.observed} vs baseline ${item.baseline}`).join(', ');
    this.emit(`usage_spike:${key}`, now, {
      id: `usage_spike:${key}:${windowStart}`,
      kind: 'usage_spike',
      scope,
      scope_id: id,
      time: new Date(now).toISOString(),
      window_start: new Date(windowStart).toISOString(),
      measures,
      message: `${scope} ${id}: usage is more than ${factor}x its baseline this window (${described}).`,
    });
  }

  /**
   * What the current window is compared with: the overall EWMA, or, once this hour of day has
   * `min_days` of history, the larger of it and the hour's own EWMA. So a key that is busy every
   * morning does not alert at 9:00 against a quiet night, and a key whose level rose for good
   * stops alerting once its recent baseline has caught up.
   */
  private expected(state: ScopeState): { requests: number; spendUsd: number } {
    const profile = state.seasonal;
    if (profile === undefined) return { requests: state.baselineRequests, spendUsd: state.baselineSpendUsd };
    const slot = this.slotOf(state.window);
    if (profile.windows[slot]! < this.seasonalMinWindows!) return { requests: state.baselineRequests, spendUsd: state.baselineSpendUsd };
    return { requests: Math.max(state.baselineRequests, profile.requests[slot]!), spendUsd: Math.max(state.baselineSpendUsd, profile.spendUsd[slot]!) };
  }

  /** Hour of day (UTC, 0–23) in which a window starts. */
  private slotOf(window: number): number {
    return Math.floor(((window * this.windowMs) % DAY_MS) / HOUR_MS);
  }

  /** Folds the finished window, and any empty ones after it, into the baseline (and into their hour-of-day slots). */
  private roll(state: ScopeState, window: number): void {
    const alpha = this.config.ewma_alpha;
    const seasonalAlpha = this.config.seasonal.alpha;
    const fold = (index: number, requests: number, spend: number) => {
      state.baselineRequests = state.windows === 0 ? requests : alpha * requests + (1 - alpha) * state.baselineRequests;
      state.baselineSpendUsd = state.windows === 0 ? spend : alpha * spend + (1 - alpha) * state.baselineSpendUsd;
      state.windows++;
      const profile = state.seasonal;
      if (profile === undefined) return;
      const slot = this.slotOf(index);
      const first = profile.windows[slot] === 0;
      profile.requests[slot] = first ? requests : seasonalAlpha * requests + (1 - seasonalAlpha) * profile.requests[slot]!;
      profile.spendUsd[slot] = first ? spend : seasonalAlpha * spend + (1 - seasonalAlpha) * profile.spendUsd[slot]!;
      if (profile.windows[slot]! < 65_535) profile.windows[slot]!++;
    };
    fold(state.window, state.requests, state.spendUsd);
    const empty = Math.min(window - state.window - 1, MAX_EMPTY_WINDOWS_FOLDED);
    for (let index = 0; index < empty; index++) fold(state.window + 1 + index, 0, 0);
    state.window = window;
    state.requests = 0;
    state.spendUsd = 0;
  }

  private observeLoop(keyId: string, promptHash: string, now: number): void {
    const key = `${keyId}\u0000${promptHash}`;
    const windowMs = this.config.loop_window_seconds * 1000;
    let state = this.loops.get(key);
    if (state === undefined || now - state.first > windowMs) {
      if (state === undefined && this.loops.size >= MAX_TRACKED) this.loops.delete(this.loops.keys().next().value!);
      state = { first: now, count: 0 };
      this.loops.set(key, state);
    }
    state.count++;
    if (state.count < this.config.loop_repeats) return;
    this.emit(`prompt_loop:virtual_key:${keyId}`, now, {
      id: `prompt_loop:virtual_key:${keyId}:${state.first}`,
      kind: 'prompt_loop',
      scope: 'virtual_key',
      scope_id: keyId,
      time: new Date(now).toISOString(),
      window_start: new Date(state.first).toISOString(),
      measures: [{ measure: 'repeats', observed: state.count, baseline: 0 }],
      message: `virtual_key ${keyId} sent the same prompt ${state.count} times within ${this.config.loop_window_seconds}s.`,
    });
  }

  private emit(dedupeKey: string, now: number, alert: AnomalyAlert): void {
    const last = this.lastRaised.get(dedupeKey);
    if (last !== undefined && now - last < this.config.dedupe_seconds * 1000) return;
    if (this.lastRaised.size >= MAX_TRACKED) this.lastRaised.delete(this.lastRaised.keys().next().value!);
    this.lastRaised.set(dedupeKey, now);
    this.raise(alert);
  }
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
