import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeUsage as decodeAnthropicUsage } from '../../src/codecs/anthropic-messages/usage.js';
import { decodeUsage as decodeBedrockUsage } from '../../src/codecs/bedrock-converse/usage.js';
import { decodeUsage as decodeGeminiUsage } from '../../src/codecs/gemini/usage.js';
import type { GeminiUsageMetadata } from '../../src/codecs/gemini/wire.js';
import { decodeUsage as decodeChatUsage } from '../../src/codecs/openai-chat/usage.js';
import { decodeResponsesUsage } from '../../src/codecs/openai-responses/usage.js';
import { loadPricingCatalog } from '../../src/pricing/catalog.js';
import { costOf } from '../../src/pricing/cost.js';
import { formatUsd } from '../../src/pricing/money.js';
import type { Usage } from '../../src/spec/index.js';

/**
 * Golden costs: each provider's usage object as it arrives on the wire, decoded by the codec that
 * provider uses, priced with the catalog (genai-prices data). Expected amounts are worked out by hand from the
 * list prices (shown per line) and must match to the femto-dollar, hence to
 * the micro-dollar. A price change in the catalog fails here on purpose: update the arithmetic too.
 */
const catalog = loadPricingCatalog();

function priced(type: string, model: string, usage: Usage, at?: number): { exact: string; micro: bigint } {
  const price = catalog.lookup(type, type, model, at);
  assert.ok(price, `no price for ${type}/${model}`);
  const cost = costOf(usage, price);
  assert.equal(cost.known, true);
  return { exact: formatUsd(cost.femtoUsd), micro: (cost.femtoUsd + 500_000_000n) / 1_000_000_000n };
}

describe('golden costs per provider usage shape (shipped prices)', () => {
  it('OpenAI chat: cached tokens inside prompt_tokens at the cached rate (gpt-4o: 2.5 / 1.25 / 10)', () => {
    const usage = decodeChatUsage({ prompt_tokens: 12_000, completion_tokens: 800, total_tokens: 12_800, prompt_tokens_details: { cached_tokens: 10_240 }, completion_tokens_details: { reasoning_tokens: 0 } });
    // 1,760 × 2.5 + 10,240 × 1.25 + 800 × 10 = 4,400 + 12,800 + 8,000 µ$
    assert.deepEqual(priced('openai', 'gpt-4o-2024-08-06', usage), { exact: '0.0252', micro: 25_200n });
  });

  it('OpenAI Responses: cached input and reasoning inside output (o4-mini: 1.1 / 0.275 / 4.4)', () => {
    const usage = decodeResponsesUsage({ input_tokens: 5_000, input_tokens_details: { cached_tokens: 4_096 }, output_tokens: 3_000, output_tokens_details: { reasoning_tokens: 2_500 }, total_tokens: 8_000 });
    // 904 × 1.1 + 4,096 × 0.275 + 3,000 × 4.4 = 994.4 + 1,126.4 + 13,200 µ$
    assert.deepEqual(priced('openai', 'o4-mini', usage), { exact: '0.0153208', micro: 15_321n });
  });

  it('Azure OpenAI: the chat shape, priced like OpenAI (gpt-4o-mini: 0.15 / 0.075 / 0.6)', () => {
    const usage = decodeChatUsage({ prompt_tokens: 2_000, completion_tokens: 100, total_tokens: 2_100, prompt_tokens_details: { cached_tokens: 1_024 } });
    // 976 × 0.15 + 1,024 × 0.075 + 100 × 0.6 = 146.4 + 76.8 + 60 µ$
    assert.deepEqual(priced('azure', 'gpt-4o-mini', usage), { exact: '0.0002832', micro: 283n });
  });

  it('Anthropic prompt caching: reads, 5-minute and 1-hour writes outside input_tokens (claude-sonnet-4-5: 3 / 0.3 / 3.75 / 6 / 15)', () => {
    const usage = decodeAnthropicUsage({
      input_tokens: 50,
      cache_read_input_tokens: 10_000,
      cache_creation_input_tokens: 3_000,
      cache_creation: { ephemeral_5m_input_tokens: 2_000, ephemeral_1h_input_tokens: 1_000 },
      output_tokens: 400,
    });
    // 50 × 3 + 10,000 × 0.3 + 2,000 × 3.75 + 1,000 × 6 + 400 × 15 = 150 + 3,000 + 7,500 + 6,000 + 6,000 µ$
    assert.deepEqual(priced('anthropic', 'claude-sonnet-4-5-20250929', usage), { exact: '0.02265', micro: 22_650n });
  });

  it('Anthropic long context: a prompt over 200K tokens is billed at 6 / 0.6 / 22.5 throughout', () => {
    const usage = decodeAnthropicUsage({ input_tokens: 150_000, cache_read_input_tokens: 60_000, cache_creation_input_tokens: 0, output_tokens: 2_000 });
    // 150,000 × 6 + 60,000 × 0.6 + 2,000 × 22.5 = 900,000 + 36,000 + 45,000 µ$
    assert.deepEqual(priced('anthropic', 'claude-sonnet-4-5', usage), { exact: '0.981', micro: 981_000n });
  });

  it('Bedrock Converse: cache reads and writes outside inputTokens (global Claude Haiku 4.5: 1 / 0.1 / 1.25 / 5)', () => {
    const usage = decodeBedrockUsage({ inputTokens: 100, outputTokens: 200, cacheReadInputTokens: 5_000, cacheWriteInputTokens: 1_000, totalTokens: 6_300 });
    // 100 × 1 + 5,000 × 0.1 + 1,000 × 1.25 + 200 × 5 = 100 + 500 + 1,250 + 1,000 µ$
    assert.deepEqual(priced('bedrock', 'global.anthropic.claude-haiku-4-5-20251001-v1:0', usage), { exact: '0.00285', micro: 2_850n });
  });

  it('Gemini: cached content inside promptTokenCount, thoughts billed as output (gemini-2.5-flash: 0.3 / 0.03 / 2.5)', () => {
    const metadata: GeminiUsageMetadata = { promptTokenCount: 8_000, cachedContentTokenCount: 6_000, candidatesTokenCount: 500, thoughtsTokenCount: 1_500, totalTokenCount: 10_000 };
    // 2,000 × 0.3 + 6,000 × 0.03 + 2,000 × 2.5 = 600 + 180 + 5,000 µ$
    assert.deepEqual(priced('gemini', 'gemini-2.5-flash', decodeGeminiUsage(metadata)), { exact: '0.00578', micro: 5_780n });
  });

  it('Gemini long context: a prompt over 200K tokens is billed at 2.5 / 0.25 / 15 (gemini-2.5-pro)', () => {
    const metadata: GeminiUsageMetadata = { promptTokenCount: 250_000, cachedContentTokenCount: 100_000, candidatesTokenCount: 1_000, thoughtsTokenCount: 3_000, totalTokenCount: 254_000 };
    // 150,000 × 2.5 + 100,000 × 0.25 + 4,000 × 15 = 375,000 + 25,000 + 60,000 µ$
    assert.deepEqual(priced('gemini', 'gemini-2.5-pro', decodeGeminiUsage(metadata)), { exact: '0.46', micro: 460_000n });
  });

  it('DeepSeek: prompt_cache_hit_tokens at the cache-hit rate, standard hours and off-peak (deepseek-chat: 0.27 / 0.07 / 1.1; 00:30–16:30 UTC off-peak 0.135 / 0.035 / 0.55)', () => {
    const usage = decodeChatUsage({ prompt_tokens: 3_000, completion_tokens: 500, total_tokens: 3_500, prompt_cache_hit_tokens: 2_000, prompt_cache_miss_tokens: 1_000 });
    // genai-prices lists the standard price in force 00:30–16:30 UTC and the discount at other times.
    // 1,000 × 0.27 + 2,000 × 0.07 + 500 × 1.1 = 270 + 140 + 550 µ$
    assert.deepEqual(priced('deepseek', 'deepseek-chat', usage, Date.parse('2026-12-07T12:00:00Z')), { exact: '0.00096', micro: 960n });
    // 1,000 × 0.135 + 2,000 × 0.035 + 500 × 0.55 = 135 + 70 + 275 µ$
    assert.deepEqual(priced('deepseek', 'deepseek-chat', usage, Date.parse('2026-12-07T20:00:00Z')), { exact: '0.00048', micro: 480n });
  });

  it('xAI: cached prompt tokens and reasoning inside completion tokens (grok-4: 3 / 0.75 / 15)', () => {
    const usage = decodeChatUsage({ prompt_tokens: 1_000, completion_tokens: 300, total_tokens: 1_300, prompt_tokens_details: { cached_tokens: 800 }, completion_tokens_details: { reasoning_tokens: 200 } });
    // 200 × 3 + 800 × 0.75 + 300 × 15 = 600 + 600 + 4,500 µ$
    assert.deepEqual(priced('xai', 'grok-4-0709', usage), { exact: '0.0057', micro: 5_700n });
  });

  for (const [type, model, expected, micro, rates] of [
    ['groq', 'llama-3.3-70b-versatile', '0.00138', 1_380n, '0.59 / 0.79'],
    ['mistral', 'mistral-large-latest', '0.008', 8_000n, '2 / 6'],
    ['together', 'meta-llama/Llama-3.3-70B-Instruct-Turbo', '0.00176', 1_760n, '0.88 / 0.88'],
    ['cerebras', 'llama-3.3-70b', '0.00205', 2_050n, '0.85 / 1.2'],
    // Perplexity also bills each request: sonar-pro $14 per 1,000 requests, so 3,000 + 15,000 + 14,000 µ$.
    ['perplexity', 'sonar-pro', '0.032', 32_000n, '3 / 15 + 0.014 a request'],
    ['fireworks', 'accounts/fireworks/models/deepseek-v3', '0.0018', 1_800n, '0.9 / 0.9'],
    ['openrouter', 'openai/gpt-4o-mini', '0.00075', 750n, '0.15 / 0.6'],
  ] as const) {
    it(`${type}: plain OpenAI-style usage, 1,000 tokens in and out (${model}: ${rates})`, () => {
      const usage = decodeChatUsage({ prompt_tokens: 1_000, completion_tokens: 1_000, total_tokens: 2_000 });
      assert.deepEqual(priced(type, model, usage), { exact: expected, micro });
    });
  }
});
