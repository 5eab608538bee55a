/**
 * Token usage of one request. `undefined` means the provider did not say: unknown is not zero.
 *
 * `inputTokens` is the whole prompt, *including* the cached-read and cache-write tokens, so
 * uncached input = inputTokens - cachedInputTokens - cacheWriteTokens. `outputTokens` includes
 * `reasoningTokens`.
 */
export interface Usage {
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  /** Prompt tokens read from the provider's prompt cache. */
  cachedInputTokens?: number | undefined;
  /** Prompt tokens written to the provider's prompt cache (5-minute tier unless stated). */
  cacheWriteTokens?: number | undefined;
  /** Of `cacheWriteTokens`, those written to a 1-hour cache. */
  cacheWrite1hTokens?: number | undefined;
  reasoningTokens?: number | undefined;
  /** Input characters, for models billed per character (text to speech). */
  characters?: number | undefined;
  /** Seconds of audio, for models billed by duration (transcription). */
  audioSeconds?: number | undefined;
}

export function totalTokens(usage: Usage): number | undefined {
  if (usage.inputTokens === undefined && usage.outputTokens === undefined) return undefined;
  return (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
}
