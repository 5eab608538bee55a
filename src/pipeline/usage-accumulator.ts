import type { Usage } from '../spec/index.js';

/** Merges usage reports of a stream: later reports replace the fields they set. */
export function mergeUsage(current: Usage | undefined, next: Usage): Usage {
  if (current === undefined) return { ...next };
  const merged: Usage = { ...current };
  for (const [field, value] of Object.entries(next) as [keyof Usage, number | undefined][]) if (value !== undefined) merged[field] = value;
  return merged;
}

/**
 * The usage of several requests together (the turns of a conducted request). Input and output
 * tokens are unknown when one of them is unknown; the other counters add up what was reported.
 */
export function sumUsage(usages: readonly (Usage | undefined)[]): Usage | undefined {
  if (usages.length === 0) return undefined;
  const total: Usage = { inputTokens: 0, outputTokens: 0 };
  for (const usage of usages) {
    if (usage === undefined) {
      total.inputTokens = undefined;
      total.outputTokens = undefined;
      continue;
    }
    for (const [field, value] of Object.entries(usage) as [keyof Usage, unknown][]) {
      if (field === 'units' || field === 'inputTokens' || field === 'outputTokens' || typeof value !== 'number') continue;
      (total as unknown as Record<string, number>)[field] = ((total[field] as number | undefined) ?? 0) + value;
    }
    total.inputTokens = total.inputTokens === undefined || usage.inputTokens === undefined ? undefined : total.inputTokens + usage.inputTokens;
    total.outputTokens = total.outputTokens === undefined || usage.outputTokens === undefined ? undefined : total.outputTokens + usage.outputTokens;
  }
  return total;
}
