import type { Strategy, Target } from '../pipeline/target.js';
import type { TargetHealth } from './health-registry.js';

/** A target still eligible for this request, with its shared health. */
export interface Candidate {
  readonly target: Target;
  readonly health: TargetHealth;
}

/**
 * Picks one of `candidates` (non-empty) by the group's strategy; returns its index. Candidates are
 * only the eligible ones (open circuits and exhausted keys already left out), so weights are
 * normalised over what can actually serve.
 */
export function choose(strategy: Strategy, candidates: readonly Candidate[], random: () => number): number {
  if (candidates.length === 1) return 0;
  if (strategy === 'latency') return powerOfTwoChoices(candidates, random);
  if (strategy === 'least-busy') return leastBusy(candidates, random);
  return weightedIndex(candidates, random);
}

/** Weighted random choice; when every weight is 0, uniform. */
export function weightedIndex(candidates: readonly Candidate[], random: () => number): number {
  let total = 0;
  for (const candidate of candidates) total += Math.max(0, candidate.target.weight);
  if (total <= 0) return Math.floor(random() * candidates.length);
  let point = random() * total;
  for (let index = 0; index < candidates.length; index++) {
    point -= Math.max(0, candidates[index]!.target.weight);
    if (point < 0) return index;
  }
  return candidates.length - 1;
}

/**
 * Power of two choices: two distinct candidates at random, the one with the lower
 * peak-EWMA × (in-flight + 1) wins. A target never measured scores 0 so it gets tried soon.
 */
function powerOfTwoChoices(candidates: readonly Candidate[], random: () => number): number {
  const first = Math.floor(random() * candidates.length);
  let second = Math.floor(random() * (candidates.length - 1));
  if (second >= first) second++;
  return load(candidates[second]!) < load(candidates[first]!) ? second : first;
}

function load(candidate: Candidate): number {
  return (candidate.health.latency.estimate ?? 0) * (candidate.health.inFlight + 1);
}

/** Fewest requests in flight; ties broken by weighted random choice. */
function leastBusy(candidates: readonly Candidate[], random: () => number): number {
  let fewest = Infinity;
  for (const candidate of candidates) fewest = Math.min(fewest, candidate.health.inFlight);
  const tied: Candidate[] = [];
  const indexes: number[] = [];
  candidates.forEach((candidate, index) => {
    if (candidate.health.inFlight === fewest) {
      tied.push(candidate);
      indexes.push(index);
    }
  });
  return indexes[weightedIndex(tied, random)]!;
}
