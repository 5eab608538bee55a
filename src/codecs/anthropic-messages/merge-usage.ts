import type { Usage } from '../../spec/index.js';

/** Later usage reports of a stream replace the fields they set (the StreamPart contract). */
export function mergeUsageReports(current: Usage, next: Usage): Usage {
  const merged: Usage = { ...current };
  for (const [field, value] of Object.entries(next) as [keyof Usage, number | undefined][]) if (value !== undefined) merged[field] = value;
  return merged;
}
