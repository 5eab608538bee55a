import type { CostCalculator } from '../pipeline/cost.js';
import type { Target } from '../pipeline/target.js';
import type { LineEstimate } from './batch-input.js';

/** An output bound no model reaches: asking for it returns the model's own output limit, when its price knows one. */
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/**
 * A batch's worst-case cost in USD: each line's prompt estimate plus its own output bound, or the
 * model's output limit when it sets none (the configured `governance.reserved_output_tokens` when
 * the limit is unknown), priced at the standard rate of the target `targetOf` names for its model
 * (batch rates are lower: the worst case stays an upper bound); an unpriced model's line counts
 * `unpricedUsd`, as a request of it would.
 */
export function worstCaseUsd(lines: readonly LineEstimate[], targetOf: (model: string) => Target, costs: CostCalculator | undefined, unpricedUsd: number): number {
  const targets = new Map<string, { target: Target; limit: number }>();
  let total = 0;
  for (const line of lines) {
    if (costs === undefined) {
      total += unpricedUsd;
      continue;
    }
    let entry = targets.get(line.model);
    if (entry === undefined) {
      const target = targetOf(line.model);
      const limit = costs.reservedOutput(target, UNBOUNDED);
      entry = { target, limit: limit >= UNBOUNDED ? costs.reservedOutput(target, undefined) : limit };
      targets.set(line.model, entry);
    }
    const output = line.maxOutputTokens === 0 ? 0 : line.maxOutputTokens === undefined ? entry.limit : costs.reservedOutput(entry.target, line.maxOutputTokens);
    total += costs.maxCost(entry.target, line.inputTokens, output) ?? unpricedUsd;
  }
  return total;
}
