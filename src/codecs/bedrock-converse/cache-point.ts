import type { ProviderOptions } from '../../spec/index.js';
import { isRecord, type ConverseContentBlock } from './wire-types.js';

/**
 * Bedrock prompt caching marks the end of a cached prefix with a `{cachePoint: {type: 'default'}}`
 * block placed after the content it covers (https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html).
 * In the spec it rides as `providerOptions.bedrock.cachePoint` on the part (or message, tool) it follows.
 */
export function cachePointOf(providerOptions: ProviderOptions | undefined): Record<string, unknown> | undefined {
  const value = providerOptions?.bedrock?.cachePoint;
  return isRecord(value) ? value : undefined;
}

/** Appends a cache point block after `blocks` when the options ask for one. */
export function pushCachePoint(blocks: ConverseContentBlock[], providerOptions: ProviderOptions | undefined): void {
  const cachePoint = cachePointOf(providerOptions);
  if (cachePoint !== undefined) blocks.push({ cachePoint });
}
