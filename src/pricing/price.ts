import type { FemtoUsd } from './money.js';

/**
 * The rates of a prompt longer than a threshold. Gemini and Anthropic bill the whole request at
 * higher rates once the prompt (cached and written tokens included) passes a size, e.g. 200,000 tokens.
 * @example { "above_input_tokens": 200000, "input": 6, "output": 22.5, "cached_input": 0.6, "cache_write": 7.5, "cache_write_1h": 12 }
 */
export interface LongContextEntry {
  /** The tier applies when the prompt has more tokens than this. */
  above_input_tokens: number;
  input: number | string;
  output: number | string;
  /** Default: this tier's `input`, as in the standard tier. */
  cached_input?: number | string;
  cache_write?: number | string;
  cache_write_1h?: number | string;
  reasoning?: number | string;
  input_audio?: number | string;
  output_audio?: number | string;
  cached_audio_input?: number | string;
  input_image?: number | string;
  output_image?: number | string;
}

/**
 * A price as written in `data/pricing.json` and in the config's `pricing` section: USD per million
 * tokens. Only `input` and `output` are required; the others default as `ModelPrice` explains.
 * @example { "input": 3, "output": 15, "cached_input": 0.3, "cache_write": 3.75, "cache_write_1h": 6, "batch_input": 1.5, "batch_output": 7.5 }
 */
export interface PriceEntry {
  input?: number | string;
  output?: number | string;
  /** Prompt tokens read from the provider's cache. Default: `input`. */
  cached_input?: number | string;
  /** Prompt tokens written to the provider's cache (5-minute tier). Default: `input`. */
  cache_write?: number | string;
  /** Prompt tokens written to a 1-hour cache. Default: `cache_write`. */
  cache_write_1h?: number | string;
  /** Reasoning tokens, when a provider bills them apart from output. Default: `output`. */
  reasoning?: number | string;
  /** Input tokens of the provider's asynchronous batch API. Default: `input`. */
  batch_input?: number | string;
  /** Output tokens of the provider's asynchronous batch API. Default: `output`. */
  batch_output?: number | string;
  /** Audio prompt tokens (of `input`). Default: billed as text input. */
  input_audio?: number | string;
  /** Audio output tokens (of `output`). Default: billed as text output. */
  output_audio?: number | string;
  /** Audio prompt tokens read from the cache. Default: `cached_input`. */
  cached_audio_input?: number | string;
  /** Image prompt tokens (of `input`). Default: billed as text input. */
  input_image?: number | string;
  /** Image output tokens (of `output`). Default: billed as text output. */
  output_image?: number | string;
  /**
   * USD per generated image: one price, or prices by quality and size keyed `"<quality>/<size>"`,
   * `"<size>"` or `"<quality>"` (the most specific match wins; `"default"` for the rest).
   * @example { "standard/1024x1024": 0.04, "hd/1024x1024": 0.08, "standard/1792x1024": 0.08, "hd/1792x1024": 0.12 }
   */
  per_image?: number | string | Readonly<Record<string, number | string>>;
  /** USD per search unit (Cohere's rerank: one search per query of up to 100 documents). */
  per_search?: number | string;
  /** USD per million input characters (text-to-speech models billed per character). */
  per_million_characters?: number | string;
  /** USD per input character (text-to-speech; the config's unit, beside the data's `per_million_characters`). */
  per_character?: number | string;
  /** USD per second of audio (transcription models billed by duration). */
  per_second?: number | string;
  /** USD per request on top of the tokens (Perplexity's request fee). */
  per_request?: number | string;
  /** Higher rates for long prompts (several tiers as a list, ascending); absent when the model has one price whatever the prompt's length. */
  long_context?: LongContextEntry | readonly LongContextEntry[];
  /** Where the price was read (project file entries). */
  source?: string;
  /** When it was read, YYYY-MM-DD (project file entries). */
  as_of?: string;
  /** The most output tokens the model produces in one answer; caps what a budget reservation assumes. */
  max_output_tokens?: number;
}

/** The unit-price fields of a `PriceEntry`: an entry may carry only these, without token prices. */
export const UNIT_PRICE_FIELDS = ['per_image', 'per_search', 'per_character', 'per_million_characters', 'per_second'] as const;

/** The per-token price fields a `PriceEntry` may carry, in one place for validation and merging. */
export const PRICE_FIELDS = ['input', 'output', 'cached_input', 'cache_write', 'cache_write_1h', 'reasoning', 'batch_input', 'batch_output', 'input_audio', 'output_audio', 'cached_audio_input', 'input_image', 'output_image', 'per_image', 'per_search', 'per_character', 'per_million_characters', 'per_second', 'per_request'] as const;
export type PriceField = (typeof PRICE_FIELDS)[number];
/** The per-token fields of a long-context tier. */
export const LONG_CONTEXT_PRICE_FIELDS = ['input', 'output', 'cached_input', 'cache_write', 'cache_write_1h', 'reasoning', 'input_audio', 'output_audio', 'cached_audio_input', 'input_image', 'output_image'] as const;
/** Provenance fields a project-file entry carries (ignored by pricing). */
export const PROVENANCE_FIELDS = ['source', 'as_of'] as const;

/** One tier's exact rates in femto-USD per token, defaults applied. */
export interface TierRates {
  readonly input: FemtoUsd;
  readonly output: FemtoUsd;
  readonly cachedInput: FemtoUsd;
  readonly cacheWrite: FemtoUsd;
  readonly cacheWrite1h: FemtoUsd;
  /** Undefined when reasoning tokens are billed as output (every provider today). */
  readonly reasoning: FemtoUsd | undefined;
  /** Modality rates; undefined when those tokens are billed as text. */
  readonly inputAudio: FemtoUsd | undefined;
  readonly outputAudio: FemtoUsd | undefined;
  readonly cachedAudioInput: FemtoUsd | undefined;
  readonly inputImage: FemtoUsd | undefined;
  readonly outputImage: FemtoUsd | undefined;
}

/** Prices per unit other than tokens (femto-USD per image, per character, per second, per search). */
export interface UnitRates {
  /** The image price that applies when no quality/size variant matches (`per_image`'s plain number or `default`). */
  readonly perImage: FemtoUsd | undefined;
  /** Every per-image price keyed as `per_image` is, lower-case (a plain number under `default`); undefined without `per_image`. */
  readonly perImageVariants: ReadonlyMap<string, FemtoUsd> | undefined;
  /** Exact femto-USD per search unit. */
  readonly perSearch: FemtoUsd | undefined;
  readonly perCharacter: FemtoUsd | undefined;
  readonly perSecond: FemtoUsd | undefined;
  readonly perRequest: FemtoUsd | undefined;
}

/**
 * A resolved model price: exact femto-USD per token for every kind of token, defaults applied.
 * Built once at start-up; `costOf` only multiplies and adds.
 */
export interface ModelPrice extends TierRates, UnitRates {
  /** The catalog key the price came from, e.g. `openai/gpt-4o`, for logs and the admin API. */
  readonly key: string;
  /**
   * Where the prices came from, layers joined by `+` in the order they were applied:
   * `genai-prices` (the maintained data), `shipped` (the project file data/pricing.json),
   * `override` (config `pricing`), e.g. `genai-prices+shipped+override`.
   */
  readonly origin: string;
  /** Batch API rates (input and output; cache rates stay those of the standard tier). */
  readonly batchInput: FemtoUsd;
  readonly batchOutput: FemtoUsd;
  /** The rates of prompts with more than `aboveInputTokens` tokens (the first of `tiers`). */
  readonly longContext: (TierRates & { readonly aboveInputTokens: number }) | undefined;
  /** Every long-context tier, ascending by threshold; a prompt is billed at the last one it passes. */
  readonly tiers: readonly (TierRates & { readonly aboveInputTokens: number })[];
  /** The model's output limit in tokens, when the catalog knows it. */
  readonly maxOutputTokens: number | undefined;
  /** False for an entry with unit prices only: its token rates are zero and do not price tokens. */
  readonly tokenRated: boolean;
}
