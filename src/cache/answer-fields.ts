import type { ProviderOptions } from '../spec/index.js';

/** Fields of a dialect's `extra` that never change the answer (billing, storage and tracing switches). */
const INERT_EXTRA = new Set(['metadata', 'store', 'service_tier', 'prompt_cache_key', 'prompt_cache_retention', 'safety_identifier', 'stream_options', 'background']);

/** The fields of a dialect's `extra` that change the answer; undefined when none. */
export function answerExtra(extra: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (extra === undefined) return undefined;
  let kept: Record<string, unknown> | undefined;
  for (const key of Object.keys(extra)) if (!INERT_EXTRA.has(key)) (kept ??= {})[key] = extra[key];
  return kept;
}

/** Provider options without prompt-caching marks (they change the bill, not the answer); undefined when nothing is left. */
export function answerOptions(options: ProviderOptions | undefined): Record<string, unknown> | undefined {
  if (options === undefined) return undefined;
  let kept: Record<string, Record<string, unknown>> | undefined;
  for (const family of Object.keys(options)) {
    const values = options[family]!;
    for (const name of Object.keys(values)) {
      if (name === 'cacheControl' || values[name] === undefined) continue;
      ((kept ??= {})[family] ??= {})[name] = values[name];
    }
  }
  return kept;
}
