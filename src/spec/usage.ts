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
  /** Of `outputTokens`, those spent thinking (billed as output unless a price says otherwise). */
  reasoningTokens?: number | undefined;
  /** Of `inputTokens`, audio tokens (OpenAI `prompt_tokens_details.audio_tokens`, Gemini AUDIO modality). */
  inputAudioTokens?: number | undefined;
  /** Of `cachedInputTokens` (and of `inputAudioTokens`), cached audio tokens. */
  cachedAudioTokens?: number | undefined;
  /** Of `outputTokens`, audio tokens. */
  outputAudioTokens?: number | undefined;
  /** Of `inputTokens`, image tokens. */
  inputImageTokens?: number | undefined;
  /** Of `outputTokens`, image tokens (image-generating models). */
  outputImageTokens?: number | undefined;
  /** Images generated, for models billed per image. */
  images?: number | undefined;
  /** Input characters, for models billed per character (text to speech). */
  characters?: number | undefined;
  /** Seconds of audio, for models billed by duration (transcription). */
  audioSeconds?: number | undefined;
  /** What an operation billed other than tokens (images, rerank searches); priced per unit. */
  units?: BilledUnits;
}

/**
 * Units an operation billed besides tokens (set by the images and rerank endpoints). Images are priced by model, size and quality;
 * searches (Cohere's search units) per search.
 */
export interface BilledUnits {
  images?: number;
  /** The images' size (`1024x1024`) and quality (`hd`), which select the per-image price. */
  imageSize?: string;
  imageQuality?: string;
  searches?: number;
  /** The operation costs nothing unless the price list prices it (moderations). */
  freeUnlessPriced?: boolean;
}

export function totalTokens(usage: Usage): number | undefined {
  if (usage.inputTokens === undefined && usage.outputTokens === undefined) return undefined;
  return (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
}
