import type { Usage } from '../spec/index.js';

/** Merges usage reports of a stream: later reports replace the fields they set. */
export function mergeUsage(current: Usage | undefined, next: Usage): Usage {
  if (current === undefined) return { ...next };
  const merged: Usage = { ...current };
  for (const [field, value] of Object.entries(next) as [keyof Usage, number | undefined][]) if (value !== undefined) merged[field] = value;
  return merged;
}
