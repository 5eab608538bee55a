import type { TargetName } from './options.js';
import { median, type LatencySummary } from './percentiles.js';

export const TARGET_LABELS: Record<TargetName, string> = {
  direct: 'direct upstream',
  bare: 'bare Node proxy',
  tollgate: 'Tollgate',
  'tollgate-nolog': 'Tollgate, logging off',
  'tollgate-redis-pg': 'Tollgate, Redis ledger + PostgreSQL',
  'tollgate-workers2': 'Tollgate --workers 2',
  'tollgate-redis-pg-workers2': 'Tollgate --workers 2, Redis ledger + PostgreSQL',
  'cache-hit': 'Tollgate, cache hits',
  'cache-hit-workers2': 'Tollgate --workers 2, cache hits',
  'cache-miss': 'Tollgate, cache misses',
  'cache-off': 'Tollgate, cache off (the misses\' requests)',
};

/** One target under one scenario. */
export interface ScenarioResult {
  /** `c=1`, `c=50`, `2000 req/s`. */
  scenario: string;
  /** Closed-loop concurrency, or undefined for the fixed-rate scenario. */
  concurrency?: number;
  /** Offered load of the fixed-rate scenario. */
  offeredRate?: number;
  target: TargetName;
  /** Successful requests per second over the measured windows of all rounds. */
  throughput: number;
  /** The same, per round (their spread shows how noisy the machine was). */
  roundThroughputs: number[];
  latency: LatencySummary;
  failed: number;
  firstFailure?: string;
  /** CPU time (user + system) the target's own server process spent per request, warm-up included. */
  cpuPerRequestMs?: number;
  /** RSS of the target's server process during the measured window (fixed-rate scenario only). */
  rss?: { steadyBytes: number; peakBytes: number };
  /**
   * Share of the machine's CPU time (all cores, from /proc/stat) that was busy during the windows,
   * whoever used it: the target, the load generator, the upstream, anything else. Near 100%, a
   * target cannot go faster by using more cores (`--workers`): there are none to spare.
   */
  machineBusy?: number;
}

/** A target from issue #2, checked against this run's own numbers. */
export interface TargetCheck {
  name: string;
  measured: string;
  goal: string;
  /** undefined when the run lacks the scenarios the check needs. */
  met: boolean | undefined;
}

const MB = 1024 * 1024;

export function resultsTable(results: readonly ScenarioResult[]): string {
  const lines = [
    '| Scenario | Target | Throughput (req/s) | p50 (ms) | p99 (ms) | max (ms) | Errors | Server CPU per request (µs) | Machine busy | RSS steady / peak (MB) |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const result of results) {
    const rss = result.rss === undefined ? '' : `${(result.rss.steadyBytes / MB).toFixed(0)} / ${(result.rss.peakBytes / MB).toFixed(0)}`;
    lines.push(
      `| ${result.scenario} | ${TARGET_LABELS[result.target]} | ${result.throughput.toFixed(0)}${spread(result.roundThroughputs)} | ${ms(result.latency.p50)} | ${ms(result.latency.p99)} | ${ms(result.latency.max)} | ${result.failed} | ${result.cpuPerRequestMs === undefined ? 'n/a' : (result.cpuPerRequestMs * 1000).toFixed(0)} | ${result.machineBusy === undefined ? 'n/a' : `${(result.machineBusy * 100).toFixed(0)}%`} | ${rss} |`,
    );
  }
  return lines.join('\n');
}

/** p50 at concurrency 1 of each proxy minus the direct upstream's: the time the proxy itself adds. */
export function addedLatencyTable(results: readonly ScenarioResult[]): string {
  const lines = ['| Proxy | added p50 at c=1 (ms) | added p99 at c=1 (ms) |', '|---|--:|--:|'];
  const direct = find(results, 'direct', 1);
  if (direct === undefined) return '(needs the direct target at concurrency 1)';
  for (const target of ['bare', 'tollgate'] as const) {
    const proxy = find(results, target, 1);
    if (proxy === undefined) continue;
    lines.push(`| ${TARGET_LABELS[target]} | ${ms(proxy.latency.p50 - direct.latency.p50)} | ${ms(proxy.latency.p99 - direct.latency.p99)} |`);
  }
  return lines.join('\n');
}

/** The three ratios issue #2 sets as targets and issue #5's logging cost, measured within this run. */
export function checkTargets(results: readonly ScenarioResult[], highConcurrency: number): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const bareHigh = find(results, 'bare', highConcurrency);
  const tollgateHigh = find(results, 'tollgate', highConcurrency);
  const share = bareHigh !== undefined && tollgateHigh !== undefined ? tollgateHigh.throughput / bareHigh.throughput : undefined;
  checks.push({
    name: `Tollgate throughput vs bare proxy at c=${highConcurrency}`,
    measured: share === undefined ? 'n/a' : `${(share * 100).toFixed(0)}% (${tollgateHigh!.throughput.toFixed(0)} vs ${bareHigh!.throughput.toFixed(0)} req/s)`,
    goal: '≥ 60%',
    met: share === undefined ? undefined : share >= 0.6,
  });

  const direct = find(results, 'direct', 1);
  const bare = find(results, 'bare', 1);
  const tollgate = find(results, 'tollgate', 1);
  if (direct !== undefined && bare !== undefined && tollgate !== undefined) {
    const bareAdded = bare.latency.p50 - direct.latency.p50;
    const tollgateAdded = tollgate.latency.p50 - direct.latency.p50;
    const ratio = tollgateAdded / bareAdded;
    checks.push({
      name: 'Tollgate added p50 vs bare proxy added p50 at c=1',
      measured: `${ratio.toFixed(2)}× (${ms(tollgateAdded)} vs ${ms(bareAdded)} ms)`,
      goal: '≤ 1.5×',
      met: ratio <= 1.5,
    });
  } else {
    checks.push({ name: 'Tollgate added p50 vs bare proxy added p50 at c=1', measured: 'n/a', goal: '≤ 1.5×', met: undefined });
  }

  const withoutLogs = find(results, 'tollgate-nolog', highConcurrency);
  const kept = withoutLogs !== undefined && tollgateHigh !== undefined ? tollgateHigh.throughput / withoutLogs.throughput : undefined;
  checks.push({
    name: `Tollgate throughput with logging vs without at c=${highConcurrency} (issue #5)`,
    measured: kept === undefined ? 'n/a' : `${(kept * 100).toFixed(0)}% (${tollgateHigh!.throughput.toFixed(0)} vs ${withoutLogs!.throughput.toFixed(0)} req/s)`,
    goal: '≥ 90%',
    met: kept === undefined ? undefined : kept >= 0.9,
  });

  if (find(results, 'tollgate-redis-pg', highConcurrency) !== undefined || find(results, 'tollgate-workers2', highConcurrency) !== undefined || find(results, 'tollgate-redis-pg-workers2', highConcurrency) !== undefined) {
  const shared = find(results, 'tollgate-redis-pg', highConcurrency);
  const sharedShare = shared !== undefined && tollgateHigh !== undefined ? shared.throughput / tollgateHigh.throughput : undefined;
  checks.push({
    name: `Redis ledger + PostgreSQL vs the embedded default at c=${highConcurrency} (issue #22)`,
    measured: sharedShare === undefined ? 'n/a' : `${(sharedShare * 100).toFixed(0)}% (${shared!.throughput.toFixed(0)} vs ${tollgateHigh!.throughput.toFixed(0)} req/s)`,
    goal: '≥ 70%',
    met: sharedShare === undefined ? undefined : sharedShare >= 0.7,
  });
  const workers = find(results, 'tollgate-workers2', highConcurrency);
  const gain = workers !== undefined && tollgateHigh !== undefined ? workers.throughput / tollgateHigh.throughput : undefined;
  checks.push({
    name: `--workers 2 vs one process at c=${highConcurrency} (issue #22)`,
    // A second worker can only use a core the one process left idle: the machine's busy share
    // while one process ran says how much room there was (the load generator and the upstream share the cores).
    measured:
      gain === undefined
        ? 'n/a'
        : `${gain.toFixed(2)}× (${workers!.throughput.toFixed(0)} vs ${tollgateHigh!.throughput.toFixed(0)} req/s; CPU per request ${cpuText(workers!)} vs ${cpuText(tollgateHigh!)} µs` +
          (tollgateHigh!.machineBusy === undefined ? ')' : `; machine ${(tollgateHigh!.machineBusy * 100).toFixed(0)}% busy with one process)`),
    goal: '> 1× (a gain)',
    met: gain === undefined ? undefined : gain > 1,
  });
  const sharedWorkers = find(results, 'tollgate-redis-pg-workers2', highConcurrency);
  if (sharedWorkers !== undefined) {
    const sharedGain = shared !== undefined ? sharedWorkers.throughput / shared.throughput : undefined;
    checks.push({
      name: `--workers 2 vs one process, both on Redis + PostgreSQL, at c=${highConcurrency} (issue #22)`,
      measured: sharedGain === undefined ? 'n/a' : `${sharedGain.toFixed(2)}× (${sharedWorkers.throughput.toFixed(0)} vs ${shared!.throughput.toFixed(0)} req/s; CPU per request ${cpuText(sharedWorkers)} vs ${cpuText(shared!)} µs)`,
      goal: '> 1× (a gain)',
      met: sharedGain === undefined ? undefined : sharedGain > 1,
    });
  }
  }
  const hitsHigh = find(results, 'cache-hit', highConcurrency);
  if (hitsHigh !== undefined) {
    const pooled = bareHigh === undefined ? undefined : hitsHigh.throughput / bareHigh.throughput;
    const paired = bareHigh === undefined ? undefined : pairedRatio(hitsHigh, bareHigh);
    const ratio = paired?.median ?? pooled;
    checks.push({
      name: `Cache hits' throughput vs bare proxy at c=${highConcurrency} (issue #17${paired === undefined ? '' : '; median of the rounds\' ratios'})`,
      measured: ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}×${paired === undefined ? '' : ` (rounds ${paired.min.toFixed(2)}–${paired.max.toFixed(2)}×)`} (${hitsHigh.throughput.toFixed(0)} vs ${bareHigh!.throughput.toFixed(0)} req/s)`,
      goal: '≥ 1.5×',
      met: ratio === undefined ? undefined : ratio >= 1.5,
    });
  }
  const hitsWorkers = find(results, 'cache-hit-workers2', highConcurrency);
  if (hitsWorkers !== undefined) {
    const ratio = bareHigh === undefined ? undefined : hitsWorkers.throughput / bareHigh.throughput;
    checks.push({
      name: `Cache hits under --workers 2 vs bare proxy at c=${highConcurrency} (issue #17; the bare proxy and its upstream are two processes)`,
      measured: ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}× (${hitsWorkers.throughput.toFixed(0)} vs ${bareHigh!.throughput.toFixed(0)} req/s)`,
      goal: '≥ 1.5×',
      met: ratio === undefined ? undefined : ratio >= 1.5,
    });
  }
  const hitsLow = find(results, 'cache-hit', 1);
  if (hitsLow !== undefined) checks.push({ name: 'Cache hit p99 at c=1 (issue #17)', measured: `${ms(hitsLow.latency.p99)} ms`, goal: '< 1 ms', met: hitsLow.latency.p99 < 1 });
  const missesHigh = find(results, 'cache-miss', highConcurrency);
  if (missesHigh !== undefined) {
    // The same requests with the cache off when measured (`cache-off`); else the gateway's usual request.
    const off = find(results, 'cache-off', highConcurrency) ?? tollgateHigh;
    const paired = off === undefined ? undefined : pairedRatio(missesHigh, off);
    const kept = off === undefined ? undefined : (paired?.median ?? missesHigh.throughput / off.throughput);
    checks.push({
      name: `Cache misses' throughput vs cache off at c=${highConcurrency} (issue #17${off?.target === 'cache-off' ? '; the same requests' : ''}${paired === undefined ? '' : '; median of the rounds\' ratios'})`,
      measured: kept === undefined ? 'n/a' : `${(kept * 100).toFixed(0)}%${paired === undefined ? '' : ` (rounds ${(paired.min * 100).toFixed(0)}–${(paired.max * 100).toFixed(0)}%)`} (${missesHigh.throughput.toFixed(0)} vs ${off!.throughput.toFixed(0)} req/s; CPU per request ${cpuText(missesHigh)} vs ${cpuText(off!)} µs)`,
      goal: '≥ 97%',
      met: kept === undefined ? undefined : kept >= 0.97,
    });
  }

  const fixedRate = results.find((result) => result.target === 'tollgate' && result.offeredRate !== undefined);
  checks.push({
    name: fixedRate === undefined ? 'Tollgate steady RSS at the fixed rate' : `Tollgate steady RSS at ${fixedRate.offeredRate} req/s`,
    measured: fixedRate?.rss === undefined ? 'n/a' : `${(fixedRate.rss.steadyBytes / MB).toFixed(0)} MB (peak ${(fixedRate.rss.peakBytes / MB).toFixed(0)} MB)`,
    goal: '< 150 MB',
    met: fixedRate?.rss === undefined ? undefined : fixedRate.rss.steadyBytes < 150 * MB,
  });
  return checks;
}

export function checksTable(checks: readonly TargetCheck[]): string {
  const lines = ['| Target | Measured | Goal | Met |', '|---|---|---|---|'];
  for (const check of checks) lines.push(`| ${check.name} | ${check.measured} | ${check.goal} | ${check.met === undefined ? 'not measured' : check.met ? 'yes' : 'NO'} |`);
  return lines.join('\n');
}

/**
 * `a`'s throughput over `b`'s as the median of the rounds' ratios, with their range; undefined
 * under three rounds. The targets take turns in every round, so a round's two windows ran seconds
 * apart: on a shared machine whose speed drifts by tens of percent from one minute to the next,
 * pairing them cancels the drift that pooling every round's requests keeps (one slow round of one
 * target moves the pooled ratio; the median of the pairs, not).
 */
export function pairedRatio(a: ScenarioResult, b: ScenarioResult): { median: number; min: number; max: number } | undefined {
  const rounds = Math.min(a.roundThroughputs.length, b.roundThroughputs.length);
  if (rounds < 3) return undefined;
  const ratios = a.roundThroughputs.slice(0, rounds).map((throughput, round) => throughput / b.roundThroughputs[round]!);
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

function find(results: readonly ScenarioResult[], target: TargetName, concurrency: number): ScenarioResult | undefined {
  return results.find((result) => result.target === target && result.concurrency === concurrency);
}

function spread(values: readonly number[]): string {
  if (values.length < 2) return '';
  return ` (${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)})`;
}

function ms(value: number): string {
  return Number.isNaN(value) ? 'n/a' : value.toFixed(3);
}

function cpuText(result: ScenarioResult): string {
  return result.cpuPerRequestMs === undefined ? 'n/a' : (result.cpuPerRequestMs * 1000).toFixed(0);
}
