import type { CircuitBreakerConfig } from '../config/routing-schema.js';

import type { CircuitState } from '../pipeline/capabilities.js';

export type { CircuitState };

/** A change of a breaker's own making (not one applied from another replica), for shared routing state. */
export type BreakerChange = { readonly state: 'open'; readonly until: number; readonly reason: string } | { readonly state: 'closed' };

const BUCKETS = 10;

/**
 * A circuit breaker for one target or key. Closed: traffic flows while failures are counted (in a
 * row, and as a share of a sliding window kept in ten buckets so memory stays constant). It opens
 * on `consecutive_failures` in a row or an `error_ratio` over at least `min_requests`; after
 * `open_ms` it is half-open and lets exactly one probe through: success closes it, failure re-opens.
 * `trip(until)` opens it for a set time regardless (an auth failure, a `Retry-After`).
 */
export class CircuitBreaker {
  private openUntil = 0;
  private opened = false;
  private probing = false;
  private consecutive = 0;
  private readonly successes = new Uint32Array(BUCKETS);
  private readonly failures = new Uint32Array(BUCKETS);
  private readonly bucketStarts = new Float64Array(BUCKETS).fill(-Infinity);
  /** Why it last opened, for `GET /health/providers`. */
  reason: string | undefined;
  /** Hears every open and close this breaker decides itself (set by shared routing state). */
  onChange: ((change: BreakerChange) => void) | undefined;

  constructor(private config: CircuitBreakerConfig) {}

  /** New thresholds on a config reload; the state (open or not, counts) is kept. */
  reconfigure(config: CircuitBreakerConfig): void {
    this.config = config;
  }

  state(now: number): CircuitState {
    if (!this.opened) return 'closed';
    return now < this.openUntil ? 'open' : 'half-open';
  }

  /** Whether a new attempt may start now (a half-open circuit admits one probe at a time). */
  allows(now: number): boolean {
    if (!this.opened) return true;
    return now >= this.openUntil && !this.probing;
  }

  /** Milliseconds until the circuit lets a probe through (0 when it already does). */
  remainingMs(now: number): number {
    return this.opened ? Math.max(0, this.openUntil - now) : 0;
  }

  /** Call when an attempt is sent; in half-open state it becomes the probe. */
  begin(now: number): void {
    if (this.opened && now >= this.openUntil) this.probing = true;
  }

  /** The probe never reported (request abandoned): let another one through. */
  abandon(): void {
    this.probing = false;
  }

  success(now: number): void {
    this.count(now, true);
    this.consecutive = 0;
    // A success only closes the circuit once the open period is over (a late answer from before
    // the trip must not cancel a Retry-After or an auth cool-down).
    if (this.opened && now >= this.openUntil) {
      this.opened = false;
      this.reason = undefined;
      this.reset();
      this.onChange?.({ state: 'closed' });
    }
    this.probing = false;
  }

  failure(now: number, reason: string): void {
    this.count(now, false);
    this.consecutive++;
    const wasProbe = this.probing;
    this.probing = false;
    if (!this.config.enabled) return;
    if (wasProbe || (this.opened && now >= this.openUntil)) {
      this.open(now + this.config.open_ms, `probe failed: ${reason}`);
      return;
    }
    if (this.opened) return;
    if (this.consecutive >= this.config.consecutive_failures) {
      this.open(now + this.config.open_ms, `${this.consecutive} failures in a row, last: ${reason}`);
      return;
    }
    const { requests, failed } = this.window(now);
    if (requests >= this.config.min_requests && failed / requests >= this.config.error_ratio) {
      this.open(now + this.config.open_ms, `${failed} of ${requests} requests failed, last: ${reason}`);
    }
  }

  /**
   * An active health check succeeded: the target is demonstrably back, so the circuit closes now,
   * even before the open period is over, with its counts cleared.
   */
  recover(now: number): void {
    this.count(now, true);
    this.consecutive = 0;
    if (!this.opened) return;
    this.opened = false;
    this.probing = false;
    this.reason = undefined;
    this.reset();
    this.onChange?.({ state: 'closed' });
  }

  /**
   * Another replica opened this circuit (or holds its half-open probe): open here until `until`
   * without telling anyone (it is not this breaker's own decision). Kept if already open for longer.
   */
  holdOpen(until: number, reason: string): void {
    if (this.opened && this.openUntil >= until) return;
    this.opened = true;
    this.openUntil = until;
    this.probing = false;
    this.reason = reason;
  }

  /** Another replica's probe or health check succeeded: closed here too, counts cleared, nobody told. */
  closeFromElsewhere(): void {
    if (!this.opened) return;
    this.opened = false;
    this.probing = false;
    this.reason = undefined;
    this.reset();
  }

  /** Whether the circuit is open and until when (for shared state). */
  get openUntilMs(): number | undefined {
    return this.opened ? this.openUntil : undefined;
  }

  /** Opens the circuit until `until` (kept if it is already open for longer). */
  trip(until: number, reason: string): void {
    if (this.opened && this.openUntil >= until) return;
    this.open(until, reason);
  }

  /** Requests and failures in the sliding window, for the health report. */
  window(now: number): { requests: number; failed: number } {
    const oldest = now - this.config.window_ms;
    let requests = 0;
    let failed = 0;
    for (let index = 0; index < BUCKETS; index++) {
      if (this.bucketStarts[index]! <= oldest) continue;
      requests += this.successes[index]! + this.failures[index]!;
      failed += this.failures[index]!;
    }
    return { requests, failed };
  }

  get consecutiveFailures(): number {
    return this.consecutive;
  }

  private open(until: number, reason: string): void {
    this.opened = true;
    this.openUntil = until;
    this.probing = false;
    this.reason = reason;
    this.onChange?.({ state: 'open', until, reason });
  }

  private reset(): void {
    this.successes.fill(0);
    this.failures.fill(0);
    this.bucketStarts.fill(-Infinity);
  }

  private count(now: number, ok: boolean): void {
    const width = this.config.window_ms / BUCKETS;
    const slot = Math.floor(now / width);
    const index = ((slot % BUCKETS) + BUCKETS) % BUCKETS;
    const start = slot * width;
    if (this.bucketStarts[index] !== start) {
      this.bucketStarts[index] = start;
      this.successes[index] = 0;
      this.failures[index] = 0;
    }
    if (ok) this.successes[index]!++;
    else this.failures[index]!++;
  }
}
