import type { ChatRequest } from '../../spec/index.js';

/** Adjusts an encoded OpenAI chat body, in place, for one provider's documented deviation. */
export type BodyQuirk = (body: Record<string, unknown>, request: ChatRequest) => void;

/** Renames a field when present (e.g. `seed` → Mistral's `random_seed`). */
export function renameField(from: string, to: string): BodyQuirk {
  return function rename(body) {
    if (!(from in body)) return;
    if (!(to in body)) body[to] = body[from];
    delete body[from];
  };
}

/** Drops fields the provider rejects rather than ignores. */
export function dropFields(...names: string[]): BodyQuirk {
  return function drop(body) {
    for (const name of names) delete body[name];
  };
}

/**
 * OpenAI renamed `max_tokens` to `max_completion_tokens`; most OpenAI-compatible servers only
 * know the old name, so every provider but OpenAI and Azure gets it.
 */
export const legacyMaxTokens: BodyQuirk = renameField('max_completion_tokens', 'max_tokens');

/** Servers that sample with top-k take it as `top_k` (callers of other dialects may ask for it). */
export const topK: BodyQuirk = function topK(body, request) {
  if (request.topK !== undefined && !('top_k' in body)) body.top_k = request.topK;
};
