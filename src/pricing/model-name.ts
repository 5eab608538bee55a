/**
 * Version suffixes providers append to a model's name for a dated snapshot. A snapshot is priced
 * like its family name unless the catalog lists it apart:
 * `gpt-4o-2024-08-06`, `claude-3-5-haiku-20241022`, `claude-3-5-sonnet-v2@20241022` (Vertex),
 * `gpt-4-0613`, `mistral-large-2411`, `grok-4-0709`, `gemini-2.0-flash-001`, `mistral-large-latest`.
 */
const VERSION_SUFFIX = /(?:-\d{4}-\d{2}-\d{2}|[-@]\d{8}|-\d{4}|-\d{3}|-latest)$/;

/**
 * The names to try for `model`, most specific first: the name itself, then with each trailing
 * version suffix removed in turn. Lower-cased, as catalog keys are.
 * @example modelNameCandidates('gpt-4o-2024-08-06') // ['gpt-4o-2024-08-06', 'gpt-4o']
 */
export function modelNameCandidates(model: string): string[] {
  const candidates = [model.toLowerCase()];
  for (;;) {
    const last = candidates[candidates.length - 1]!;
    const shorter = last.replace(VERSION_SUFFIX, '');
    if (shorter === last || shorter.length === 0) return candidates;
    candidates.push(shorter);
  }
}

/** Splits a catalog key `provider/model` at its first slash (model names may hold slashes). */
export function splitPriceKey(key: string): { provider: string; model: string } | undefined {
  const slash = key.indexOf('/');
  if (slash <= 0 || slash === key.length - 1) return undefined;
  return { provider: key.slice(0, slash), model: key.slice(slash + 1) };
}
