import type { Strategy, Target } from '../pipeline/target.js';
import type { TargetHealth } from './health-registry.js';

/**
 * Picks one of the first `count` (≥ 1) eligible targets by the group's strategy; returns its index.
 * `targets[i]` and `healths[i]` describe the same target. Only eligible targets are passed (open
 * circuits and targets without a usable key already left out), so weights are normalised over what
 * can actually serve. Parallel arrays, filled by the caller into scratch space, so choosing
 * allocates nothing.
 */
export function choose(strategy: Strategy, targets: readonly Target[], healths: readonly TargetHealth[], count: number, random: () => number): number {
  if (count === 1) return 0;
  if (strategy === 'latency') return powerOfTwoChoices(healths, count, random);
  if (strategy === 'least-busy') return leastBusy(targets, healths, count, random);
  return weightedIndex(targets, count, random, undefined, 0);
}

/**
 * Weighted random choice among the first `count` targets (only those whose in-flight count is
 * `onlyInFlight`, when given); when every weight is 0, uniform.
 */
function weightedIndex(targets: readonly Target[], count: number, random: () => number, healths: readonly TargetHealth[] | undefined, onlyInFlight: number): number {
  let total = 0;
  let members = 0;
  for (let index = 0; index < count; index++) {
    if (healths !== undefined && healths[index]!.inFlight !== onlyInFlight) continue;
    total += Math.max(0, targets[index]!.weight);
    members++;
  }
  if (total <= 0) {
    let nth = Math.floor(random() * members);
    for (let index = 0; index < count; index++) {
      if (healths !== undefined && healths[index]!.inFlight !== onlyInFlight) continue;
      if (nth-- === 0) return index;
    }
    return count - 1;
  }
  let point = random() * total;
  let last = 0;
  for (let index = 0; index < count; index++) {
    if (healths !== undefined && healths[index]!.inFlight !== onlyInFlight) continue;
    last = index;
    point -= Math.max(0, targets[index]!.weight);
    if (point < 0) return index;
  }
  return last;
}

/**
 * Power of two choices: two distinct targets at random, the one with the lower
 * peak-EWMA × (in-flight + 1) wins. A target never measured scores 0 so it gets tried soon.
 */
function powerOfTwoChoices(healths: readonly TargetHealth[], count: number, random: () => number): number {
  const first = Math.floor(random() * count);
  let second = Math.floor(random() * (count - 1));
  if (second >= first) second++;
  return load(healths[second]!) < load(healths[first]!) ? second : first;
}

function load(health: TargetHealth): number {
  return (health.latency.estimate ?? 0) * (health.inFlight + 1);
}

/** Fewest requests in flight; ties broken by weighted random choice. */
function leastBusy(targets: readonly Target[], healths: readonly TargetHealth[], count: number, random: () => number): number {
  let fewest = Infinity;
  for (let index = 0; index < count; index++) fewest = Math.min(fewest, healths[index]!.inFlight);
  return weightedIndex(targets, count, random, healths, fewest);
}
