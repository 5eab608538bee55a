/**
 * Peak-EWMA latency (as in Finagle and linkerd): a slower observation replaces the estimate at
 * once, a faster one pulls it down gradually, with a weight that decays with the time since the
 * last observation. So a target that just got slow is avoided immediately, and one that recovered
 * wins its traffic back over about `decayMs`.
 */
export class PeakEwma {
  private value = 0;
  private stamp = 0;
  private observed = false;

  constructor(private readonly decayMs: number) {}

  observe(latencyMs: number, now: number): void {
    if (!this.observed || latencyMs > this.value) {
      this.value = latencyMs;
    } else {
      const weight = Math.exp(-Math.max(0, now - this.stamp) / this.decayMs);
      this.value = this.value * weight + latencyMs * (1 - weight);
    }
    this.stamp = now;
    this.observed = true;
  }

  /** The estimate in milliseconds; undefined until the first observation. */
  get estimate(): number | undefined {
    return this.observed ? this.value : undefined;
  }
}
