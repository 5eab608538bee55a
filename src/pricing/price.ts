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
  /** Higher rates for long prompts; absent when the model has one price whatever the prompt's length. */
  long_context?: LongContextEntry;
  /** The most output tokens the model produces in one answer; caps what a budget reservation assumes. */
  max_output_tokens?: number;
  /** USD per character of input (text-to-speech). */
  per_character?: number | string;
  /** USD per second of audio (transcriptions, translations). */
  per_second?: number | string;
}

/** The per-unit price fields (USD per unit, not per million tokens); an entry may carry only these. */
export const UNIT_PRICE_FIELDS = ['per_character', 'per_second'] as const;

/** The per-token price fields a `PriceEntry` may carry, in one place for validation and merging. */
export const PRICE_FIELDS = ['input', 'output', 'cached_input', 'cache_write', 'cache_write_1h', 'reasoning', 'batch_input', 'batch_output'] as const;
export type PriceField = (typeof PRICE_FIELDS)[number];
/** The per-token fields of a long-context tier. */
export const LONG_CONTEXT_PRICE_FIELDS = ['input', 'output', 'cached_input', 'cache_write', 'cache_write_1h', 'reasoning'] as const;

/** One tier's exact rates in femto-USD per token, defaults applied. */
export interface TierRates {
  readonly input: FemtoUsd;
  readonly output: FemtoUsd;
  readonly cachedInput: FemtoUsd;
  readonly cacheWrite: FemtoUsd;
  readonly cacheWrite1h: FemtoUsd;
  /** Undefined when reasoning tokens are billed as output (every provider today). */
  readonly reasoning: FemtoUsd | undefined;
}

/**
 * A resolved model price: exact femto-USD per token for every kind of token, defaults applied.
 * Built once at start-up; `costOf` only multiplies and adds.
 */
export interface ModelPrice extends TierRates {
  /** The catalog key the price came from, e.g. `openai/gpt-4o`, for logs and the admin API. */
  readonly key: string;
  /** `shipped` (data/pricing.json), `override` (config), or `override+shipped` when merged. */
  readonly origin: 'shipped' | 'override' | 'override+shipped';
  /** Batch API rates (input and output; cache rates stay those of the standard tier). */
  readonly batchInput: FemtoUsd;
  readonly batchOutput: FemtoUsd;
  /** The rates of prompts with more than `aboveInputTokens` tokens. */
  readonly longContext: (TierRates & { readonly aboveInputTokens: number }) | undefined;
  /** The model's output limit in tokens, when the catalog knows it. */
  readonly maxOutputTokens: number | undefined;
  /** Exact femto-USD per character of input, when the model is billed by the character. */
  readonly perCharacter?: FemtoUsd | undefined;
  /** Exact femto-USD per second of audio, when the model is billed by the second. */
  readonly perSecond?: FemtoUsd | undefined;
}
