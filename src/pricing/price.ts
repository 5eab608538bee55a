import type { FemtoUsd } from './money.js';

/**
 * A price as written in `data/pricing.json` and in the config's `pricing` section: USD per million
 * tokens. Only `input` and `output` are required; the others default as `ModelPrice` explains.
 * @example { "input": 3, "output": 15, "cached_input": 0.3, "cache_write": 3.75, "cache_write_1h": 6 }
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
}

/** The price fields a `PriceEntry` may carry, in one place for validation and merging. */
export const PRICE_FIELDS = ['input', 'output', 'cached_input', 'cache_write', 'cache_write_1h', 'reasoning'] as const;
export type PriceField = (typeof PRICE_FIELDS)[number];

/**
 * A resolved model price: exact femto-USD per token for every kind of token, defaults applied.
 * Built once at start-up; `costOf` only multiplies and adds.
 */
export interface ModelPrice {
  /** The catalog key the price came from, e.g. `openai/gpt-4o`, for logs and the admin API. */
  readonly key: string;
  /** `shipped` (data/pricing.json), `override` (config), or `override+shipped` when merged. */
  readonly origin: 'shipped' | 'override' | 'override+shipped';
  readonly input: FemtoUsd;
  readonly output: FemtoUsd;
  readonly cachedInput: FemtoUsd;
  readonly cacheWrite: FemtoUsd;
  readonly cacheWrite1h: FemtoUsd;
  /** Undefined when reasoning tokens are billed as output (every provider today). */
  readonly reasoning: FemtoUsd | undefined;
}
