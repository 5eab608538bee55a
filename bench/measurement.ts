import type { LoadResult } from './load.js';
import type { TargetName } from './options.js';
import { median, summarizeLatencies } from './percentiles.js';
import type { ScenarioResult } from './report.js';

/**
 * Pools the rounds of one scenario against one target: latency samples from every round, total
 * successes over total measured time, the server's CPU time over every finished request.
 */
export class Measurement {
  private readonly latenciesMs: number[] = [];
  private readonly roundThroughputs: number[] = [];
  private readonly rssSamples: number[] = [];
  private succeeded = 0;
  private failed = 0;
  private firstFailure: string | undefined;
  private measuredMs = 0;
  private completedTotal = 0;
  private cpuMs: number | undefined = 0;
  private machineBusyTicks = 0;
  private machineTotalTicks = 0;

  constructor(
    private readonly scenario: string,
    private readonly target: TargetName,
    private readonly shape: { concurrency: number } | { offeredRate: number },
  ) {}

  /** Adds one round; `cpuMs` is the server process's CPU time during it (undefined when unknown). */
  add(outcome: LoadResult, cpuMs: number | undefined, rssSamples: readonly number[], machine?: { busy: number; total: number }): void {
    if (machine !== undefined) {
      this.machineBusyTicks += machine.busy;
      this.machineTotalTicks += machine.total;
    }
    for (const latency of outcome.latenciesMs) this.latenciesMs.push(latency);
    this.rssSamples.push(...rssSamples);
    this.succeeded += outcome.succeeded;
    this.failed += outcome.failed;
    this.firstFailure ??= outcome.firstFailure;
    this.measuredMs += outcome.durationMs;
    this.completedTotal += outcome.completedTotal;
    this.cpuMs = this.cpuMs === undefined || cpuMs === undefined ? undefined : this.cpuMs + cpuMs;
    this.roundThroughputs.push(outcome.succeeded / (outcome.durationMs / 1000));
  }

  result(): ScenarioResult {
    return {
      scenario: this.scenario,
      ...this.shape,
      target: this.target,
      throughput: this.succeeded / (this.measuredMs / 1000),
      roundThroughputs: this.roundThroughputs,
      latency: summarizeLatencies(this.latenciesMs),
      failed: this.failed,
      ...(this.firstFailure === undefined ? {} : { firstFailure: this.firstFailure }),
      ...(this.cpuMs === undefined || this.completedTotal === 0 ? {} : { cpuPerRequestMs: this.cpuMs / this.completedTotal }),
      ...(this.rssSamples.length === 0 ? {} : { rss: { steadyBytes: median(this.rssSamples), peakBytes: Math.max(...this.rssSamples) } }),
      ...(this.machineTotalTicks === 0 ? {} : { machineBusy: this.machineBusyTicks / this.machineTotalTicks }),
    };
  }
}
