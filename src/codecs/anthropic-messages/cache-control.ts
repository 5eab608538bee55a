import type { ProviderOptions } from '../../spec/index.js';
import { isRecord, type AnthropicCacheControl, type AnthropicCacheableBlock } from './wire-types.js';
import { invalidRequest, requireRecord, requireString } from './validate.js';

/**
 * Anthropic's `cache_control` marks ↔ `providerOptions.anthropic.cacheControl`. The mark is carried
 * as the caller sent it (type, ttl and whatever Anthropic adds later); the gateway neither adds
 * nor removes breakpoints, so the four-per-request limit stays the caller's to keep.
 */

/** The block's `cache_control`, validated as an object with a string `type`; undefined when absent. */
export function decodeCacheControl(block: Record<string, unknown>, param: string): AnthropicCacheControl | undefined {
  if (block.cache_control === undefined || block.cache_control === null) return undefined;
  const cacheControl = requireRecord(block.cache_control, `${param}.cache_control`);
  requireString(cacheControl.type, `${param}.cache_control.type`);
  return cacheControl;
}

/** `{ anthropic: { ...fields } }` without the undefined fields, or undefined when none is left. */
export function anthropicOptions(fields: Record<string, unknown>): ProviderOptions | undefined {
  const anthropic: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) anthropic[key] = value;
  return Object.keys(anthropic).length === 0 ? undefined : { anthropic };
}

/** `{ providerOptions }` holding the block's cache mark, or `{}`: spread into the decoded object. */
export function cacheControlOptions(block: Record<string, unknown>, param: string): { providerOptions?: ProviderOptions } {
  const providerOptions = anthropicOptions({ cacheControl: decodeCacheControl(block, param) });
  return providerOptions === undefined ? {} : { providerOptions };
}

/** The `anthropic` entry of a part's, message's or tool's provider options. */
export function anthropicOptionsOf(providerOptions: ProviderOptions | undefined): Record<string, unknown> {
  const anthropic = providerOptions?.anthropic;
  return isRecord(anthropic) ? anthropic : {};
}

/** The cache mark to send, when the provider options carry one. */
export function cacheControlOf(providerOptions: ProviderOptions | undefined): AnthropicCacheControl | undefined {
  const cacheControl = anthropicOptionsOf(providerOptions).cacheControl;
  if (cacheControl === undefined) return undefined;
  if (!isRecord(cacheControl)) throw invalidRequest('providerOptions.anthropic.cacheControl must be an object such as { type: "ephemeral" }.', undefined);
  return cacheControl;
}

/** Puts the mark from `providerOptions` on a wire block (in place) and returns the block. */
export function withCacheControl<Block extends AnthropicCacheableBlock>(block: Block, providerOptions: ProviderOptions | undefined): Block {
  const cacheControl = cacheControlOf(providerOptions);
  if (cacheControl !== undefined) block.cache_control = cacheControl;
  return block;
}
