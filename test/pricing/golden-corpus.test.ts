import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeUsage as anthropicUsage, mergeWireUsage } from '../../src/codecs/anthropic-messages/usage.js';
import type { AnthropicUsage } from '../../src/codecs/anthropic-messages/wire-types.js';
import { decodeUsage as bedrockUsage } from '../../src/codecs/bedrock-converse/usage.js';
import { decodeUsage as geminiUsage } from '../../src/codecs/gemini/usage.js';
import { decodeUsage as chatUsage } from '../../src/codecs/openai-chat/usage.js';
import { decodeResponsesUsage as responsesUsage } from '../../src/codecs/openai-responses/usage.js';
import { loadPricingCatalog } from '../../src/pricing/catalog.js';
import { costOf } from '../../src/pricing/cost.js';
import { formatUsd } from '../../src/pricing/money.js';
import type { Usage } from '../../src/spec/index.js';

/**
 * The golden corpus: usage shapes across providers and modalities, each priced by Tollgate (codec
 * → catalog → costOf) and compared exactly with the provider's published formula worked by hand
 * here from the published per-million prices (the `formula` of each case: tokens × USD per million
 * tokens, or units × USD each). Each case checks twice: the formula evaluated with exact decimal
 * arithmetic written in this file (no Tollgate code) equals the expected amount written by hand,
 * and Tollgate's exact amount equals it too, to the femto-dollar (so to far better than 1e-9).
 *
 * Prices are those of the maintained data (@pydantic/genai-prices 0.1.8) and of data/pricing.json for
 * what it adds (batch rates, per-image and per-character prices); a data update that changes one
 * fails here on purpose: check the provider's page and update the case.
 */

/** [count, USD per million tokens] or, with `each`, [count, USD per unit]. */
type Term = readonly [number, string] | readonly [number, string, 'each'];

interface Case {
  name: string;
  type: string;
  model: string;
  usage: Usage;
  formula: readonly Term[];
  expected: string;
  at?: string;
  batch?: boolean;
}

/** Exact decimal text → integer scaled by 10^24 (enough for any price here). */
const SCALE = 24;
function scaled(text: string): bigint {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole! + fraction.padEnd(SCALE, '0'));
}

/** The formula's total in USD as exact decimal text, trailing zeros trimmed. */
function evaluate(formula: readonly Term[]): string {
  let total = 0n;
  for (const [count, price, each] of formula) total += (BigInt(count) * scaled(price)) / (each === 'each' ? 1n : 1_000_000n);
  const digits = total.toString().padStart(SCALE + 1, '0');
  const whole = digits.slice(0, -SCALE);
  const fraction = digits.slice(-SCALE).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

const catalog = loadPricingCatalog();
const overridden = loadPricingCatalog({ 'openai/gpt-4o': { input: 2, output: 8 }, 'eu-openai/gpt-4o-mini': { cached_input: 0.05 } });
const AFTER_2026_03_13 = '2026-12-07T12:00:00Z';

const anthropicStream = (...events: unknown[]): Usage => anthropicUsage(events.reduce<AnthropicUsage>((usage, event) => mergeWireUsage(usage, event), {}));

const cases: Case[] = [
  // ── OpenAI: cached tokens are inside prompt_tokens; reasoning tokens inside completion_tokens ──
  { name: 'OpenAI gpt-4o plain', type: 'openai', model: 'gpt-4o', usage: chatUsage({ prompt_tokens: 1_000, completion_tokens: 500 }), formula: [[1_000, '2.5'], [500, '10']], expected: '0.0075' },
  { name: 'OpenAI gpt-4o cached inside prompt_tokens', type: 'openai', model: 'gpt-4o', usage: chatUsage({ prompt_tokens: 12_000, completion_tokens: 800, prompt_tokens_details: { cached_tokens: 10_240 } }), formula: [[1_760, '2.5'], [10_240, '1.25'], [800, '10']], expected: '0.0252' },
  { name: 'OpenAI dated snapshot gpt-4o-2024-08-06 (the data\'s match clause)', type: 'openai', model: 'gpt-4o-2024-08-06', usage: chatUsage({ prompt_tokens: 1_000, completion_tokens: 500 }), formula: [[1_000, '2.5'], [500, '10']], expected: '0.0075' },
  { name: 'OpenAI gpt-4o-mini cached', type: 'openai', model: 'gpt-4o-mini', usage: chatUsage({ prompt_tokens: 20_000, completion_tokens: 1_000, prompt_tokens_details: { cached_tokens: 5_000 } }), formula: [[15_000, '0.15'], [5_000, '0.075'], [1_000, '0.6']], expected: '0.003225' },
  { name: 'OpenAI gpt-4.1', type: 'openai', model: 'gpt-4.1', usage: chatUsage({ prompt_tokens: 3_000, completion_tokens: 200 }), formula: [[3_000, '2'], [200, '8']], expected: '0.0076' },
  { name: 'OpenAI gpt-5 reasoning tokens are output tokens', type: 'openai', model: 'gpt-5', usage: chatUsage({ prompt_tokens: 2_000, completion_tokens: 5_000, completion_tokens_details: { reasoning_tokens: 4_000 } }), formula: [[2_000, '1.25'], [5_000, '10']], expected: '0.0525' },
  { name: 'OpenAI Responses gpt-5-mini cached and reasoning', type: 'openai', model: 'gpt-5-mini', usage: responsesUsage({ input_tokens: 10_000, input_tokens_details: { cached_tokens: 8_000 }, output_tokens: 3_000, output_tokens_details: { reasoning_tokens: 2_500 } }), formula: [[2_000, '0.25'], [8_000, '0.025'], [3_000, '2']], expected: '0.0067' },
  { name: 'OpenAI gpt-5.4 at exactly 271,999 prompt tokens: standard tier', type: 'openai', model: 'gpt-5.4', usage: chatUsage({ prompt_tokens: 271_999, completion_tokens: 1_000 }), formula: [[271_999, '2.5'], [1_000, '15']], expected: '0.6949975' },
  { name: 'OpenAI gpt-5.4 at 272,000 prompt tokens: long-context tier for the whole request', type: 'openai', model: 'gpt-5.4', usage: chatUsage({ prompt_tokens: 272_000, completion_tokens: 1_000 }), formula: [[272_000, '5'], [1_000, '22.5']], expected: '1.3825' },
  { name: 'OpenAI gpt-5.4 long context counts cached tokens in the prompt size', type: 'openai', model: 'gpt-5.4', usage: chatUsage({ prompt_tokens: 300_000, completion_tokens: 2_000, prompt_tokens_details: { cached_tokens: 200_000 } }), formula: [[100_000, '5'], [200_000, '0.5'], [2_000, '22.5']], expected: '0.645' },
  { name: 'OpenAI o3 after its 2025-06-10 price cut', type: 'openai', model: 'o3', at: AFTER_2026_03_13, usage: responsesUsage({ input_tokens: 5_000, output_tokens: 10_000, output_tokens_details: { reasoning_tokens: 9_000 } }), formula: [[5_000, '2'], [10_000, '8']], expected: '0.09' },
  { name: 'OpenAI o3 before its 2025-06-10 price cut', type: 'openai', model: 'o3', at: '2025-05-01T00:00:00Z', usage: responsesUsage({ input_tokens: 5_000, output_tokens: 10_000, output_tokens_details: { reasoning_tokens: 9_000 } }), formula: [[5_000, '10'], [10_000, '40']], expected: '0.45' },
  { name: 'OpenAI Responses o4-mini cached and reasoning', type: 'openai', model: 'o4-mini', usage: responsesUsage({ input_tokens: 5_000, input_tokens_details: { cached_tokens: 4_096 }, output_tokens: 3_000, output_tokens_details: { reasoning_tokens: 2_500 } }), formula: [[904, '1.1'], [4_096, '0.275'], [3_000, '4.4']], expected: '0.0153208' },
  { name: 'OpenAI batch gpt-4o (50%: 1.25 / 5)', type: 'openai', model: 'gpt-4o', batch: true, usage: chatUsage({ prompt_tokens: 1_000_000, completion_tokens: 100_000 }), formula: [[1_000_000, '1.25'], [100_000, '5']], expected: '1.75' },
  { name: 'OpenAI batch gpt-4o-mini (0.075 / 0.3)', type: 'openai', model: 'gpt-4o-mini', batch: true, usage: chatUsage({ prompt_tokens: 200_000, completion_tokens: 50_000 }), formula: [[200_000, '0.075'], [50_000, '0.3']], expected: '0.03' },
  { name: 'OpenAI batch gpt-4.1 (1 / 4)', type: 'openai', model: 'gpt-4.1', batch: true, usage: chatUsage({ prompt_tokens: 100_000, completion_tokens: 10_000 }), formula: [[100_000, '1'], [10_000, '4']], expected: '0.14' },
  { name: 'OpenAI gpt-audio: audio tokens inside prompt and completion at the audio rates', type: 'openai', model: 'gpt-audio', usage: chatUsage({ prompt_tokens: 1_000, completion_tokens: 500, prompt_tokens_details: { audio_tokens: 600 }, completion_tokens_details: { audio_tokens: 400 } }), formula: [[400, '2.5'], [600, '32'], [100, '10'], [400, '64']], expected: '0.0468' },
  { name: 'OpenAI gpt-realtime: cached audio, cached text, audio, text in and out', type: 'openai', model: 'gpt-realtime', usage: { inputTokens: 10_000, cachedInputTokens: 5_000, inputAudioTokens: 8_000, cachedAudioTokens: 4_000, outputTokens: 2_000, outputAudioTokens: 1_500 }, formula: [[4_000, '0.4'], [1_000, '0.4'], [4_000, '32'], [1_000, '4'], [500, '16'], [1_500, '64']], expected: '0.238' },
  { name: 'OpenAI text-embedding-3-small', type: 'openai', model: 'text-embedding-3-small', usage: { inputTokens: 100_000, outputTokens: 0 }, formula: [[100_000, '0.02']], expected: '0.002' },
  { name: 'OpenAI text-embedding-3-large', type: 'openai', model: 'text-embedding-3-large', usage: { inputTokens: 8_191, outputTokens: 0 }, formula: [[8_191, '0.13']], expected: '0.00106483' },
  { name: 'OpenAI batch embeddings text-embedding-3-small (0.01)', type: 'openai', model: 'text-embedding-3-small', batch: true, usage: { inputTokens: 1_000_000, outputTokens: 0 }, formula: [[1_000_000, '0.01']], expected: '0.01' },
  { name: 'OpenAI gpt-image-1: image input tokens at the image rate, output at 40', type: 'openai', model: 'gpt-image-1', usage: { inputTokens: 1_500, inputImageTokens: 1_000, outputTokens: 4_000 }, formula: [[500, '5'], [1_000, '10'], [4_000, '40']], expected: '0.1725' },
  { name: 'OpenAI dall-e-3 per image (0.04 each, standard 1024×1024)', type: 'openai', model: 'dall-e-3', usage: { inputTokens: undefined, outputTokens: undefined, images: 3 }, formula: [[3, '0.04', 'each']], expected: '0.12' },
  { name: 'OpenAI dall-e-2 per image (0.02 each)', type: 'openai', model: 'dall-e-2', usage: { inputTokens: undefined, outputTokens: undefined, images: 5 }, formula: [[5, '0.02', 'each']], expected: '0.1' },
  { name: 'OpenAI tts-1 per character (15 per million)', type: 'openai', model: 'tts-1', usage: { inputTokens: undefined, outputTokens: undefined, characters: 2_500 }, formula: [[2_500, '15']], expected: '0.0375' },
  { name: 'OpenAI tts-1-hd per character (30 per million)', type: 'openai', model: 'tts-1-hd', usage: { inputTokens: undefined, outputTokens: undefined, characters: 1_000 }, formula: [[1_000, '30']], expected: '0.03' },
  { name: 'OpenAI whisper-1 per second (0.006 a minute = 0.0001 a second)', type: 'openai', model: 'whisper-1', usage: { inputTokens: undefined, outputTokens: undefined, audioSeconds: 95 }, formula: [[95, '0.0001', 'each']], expected: '0.0095' },
  { name: 'Azure gpt-4o (the data\'s fallback to OpenAI)', type: 'azure', model: 'gpt-4o', usage: chatUsage({ prompt_tokens: 1_000, completion_tokens: 500 }), formula: [[1_000, '2.5'], [500, '10']], expected: '0.0075' },
  { name: 'Azure gpt-4o-mini cached', type: 'azure', model: 'gpt-4o-mini', usage: chatUsage({ prompt_tokens: 20_000, completion_tokens: 1_000, prompt_tokens_details: { cached_tokens: 5_000 } }), formula: [[15_000, '0.15'], [5_000, '0.075'], [1_000, '0.6']], expected: '0.003225' },

  // ── Anthropic: input_tokens excludes cache reads and writes; writes split by lifetime; streamed usage is cumulative ──
  { name: 'Anthropic claude-sonnet-4-5 plain', type: 'anthropic', model: 'claude-sonnet-4-5', usage: anthropicUsage({ input_tokens: 1_000, output_tokens: 500 }), formula: [[1_000, '3'], [500, '15']], expected: '0.0105' },
  { name: 'Anthropic cache read and 5-minute write outside input_tokens', type: 'anthropic', model: 'claude-sonnet-4-5-20250929', usage: anthropicUsage({ input_tokens: 50, cache_read_input_tokens: 10_000, cache_creation_input_tokens: 3_000, output_tokens: 400 }), formula: [[50, '3'], [10_000, '0.3'], [3_000, '3.75'], [400, '15']], expected: '0.0204' },
  { name: 'Anthropic 5-minute and 1-hour writes apart', type: 'anthropic', model: 'claude-sonnet-4-5', usage: anthropicUsage({ input_tokens: 100, cache_creation_input_tokens: 4_000, cache_creation: { ephemeral_5m_input_tokens: 1_000, ephemeral_1h_input_tokens: 3_000 }, output_tokens: 200 }), formula: [[100, '3'], [1_000, '3.75'], [3_000, '6'], [200, '15']], expected: '0.02505' },
  { name: 'Anthropic 1-hour writes from the split alone (no total given)', type: 'anthropic', model: 'claude-haiku-4-5', usage: anthropicUsage({ input_tokens: 100, cache_creation: { ephemeral_5m_input_tokens: 2_000, ephemeral_1h_input_tokens: 1_000 }, output_tokens: 200 }), formula: [[100, '1'], [2_000, '1.25'], [1_000, '2'], [200, '5']], expected: '0.0056' },
  { name: 'Anthropic long context: cache reads count toward the 200K threshold', type: 'anthropic', model: 'claude-sonnet-4-5', usage: anthropicUsage({ input_tokens: 150_000, cache_read_input_tokens: 60_000, output_tokens: 1_000 }), formula: [[150_000, '6'], [60_000, '0.6'], [1_000, '22.5']], expected: '0.9585' },
  { name: 'Anthropic exactly 200,000 prompt tokens stays standard', type: 'anthropic', model: 'claude-sonnet-4-5', usage: anthropicUsage({ input_tokens: 200_000, output_tokens: 1_000 }), formula: [[200_000, '3'], [1_000, '15']], expected: '0.615' },
  { name: 'Anthropic long context with reads and both write lifetimes', type: 'anthropic', model: 'claude-sonnet-4-5', usage: anthropicUsage({ input_tokens: 1_000, cache_read_input_tokens: 150_000, cache_creation_input_tokens: 50_000, cache_creation: { ephemeral_5m_input_tokens: 30_000, ephemeral_1h_input_tokens: 20_000 }, output_tokens: 500 }), formula: [[1_000, '6'], [150_000, '0.6'], [30_000, '7.5'], [20_000, '12'], [500, '22.5']], expected: '0.57225' },
  { name: 'Anthropic claude-sonnet-4-6 since 2026-03-13: one price at any length', type: 'anthropic', model: 'claude-sonnet-4-6', at: AFTER_2026_03_13, usage: anthropicUsage({ input_tokens: 250_000, output_tokens: 1_000 }), formula: [[250_000, '3'], [1_000, '15']], expected: '0.765' },
  { name: 'Anthropic claude-sonnet-4-6 before 2026-03-13: long-context tier', type: 'anthropic', model: 'claude-sonnet-4-6', at: '2026-01-01T00:00:00Z', usage: anthropicUsage({ input_tokens: 250_000, output_tokens: 1_000 }), formula: [[250_000, '6'], [1_000, '22.5']], expected: '1.5225' },
  { name: 'Anthropic claude-opus-4-1 reads and 1-hour writes', type: 'anthropic', model: 'claude-opus-4-1-20250805', usage: anthropicUsage({ input_tokens: 500, cache_read_input_tokens: 20_000, cache_creation_input_tokens: 5_000, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 5_000 }, output_tokens: 1_000 }), formula: [[500, '15'], [20_000, '1.5'], [5_000, '30'], [1_000, '75']], expected: '0.2625' },
  { name: 'Anthropic claude-haiku-4-5 thinking tokens are output tokens', type: 'anthropic', model: 'claude-haiku-4-5', usage: anthropicUsage({ input_tokens: 3_000, output_tokens: 2_000, output_tokens_details: { thinking_tokens: 1_500 } }), formula: [[3_000, '1'], [2_000, '5']], expected: '0.013' },
  { name: 'Anthropic claude-3-5-haiku-20241022 5-minute write', type: 'anthropic', model: 'claude-3-5-haiku-20241022', usage: anthropicUsage({ input_tokens: 200, cache_creation_input_tokens: 2_000, output_tokens: 300 }), formula: [[200, '0.8'], [2_000, '1'], [300, '4']], expected: '0.00336' },
  { name: 'Anthropic batch claude-sonnet-4-5 (1.5 / 7.5)', type: 'anthropic', model: 'claude-sonnet-4-5', batch: true, usage: anthropicUsage({ input_tokens: 100_000, output_tokens: 10_000 }), formula: [[100_000, '1.5'], [10_000, '7.5']], expected: '0.225' },
  { name: 'Anthropic batch claude-haiku-4-5 (0.5 / 2.5)', type: 'anthropic', model: 'claude-haiku-4-5', batch: true, usage: anthropicUsage({ input_tokens: 1_000_000, output_tokens: 200_000 }), formula: [[1_000_000, '0.5'], [200_000, '2.5']], expected: '1' },
  {
    name: 'Anthropic stream: message_delta output_tokens is cumulative, not added',
    type: 'anthropic',
    model: 'claude-sonnet-4-5',
    usage: anthropicStream({ input_tokens: 100, cache_read_input_tokens: 5_000, cache_creation_input_tokens: 0, output_tokens: 1 }, { output_tokens: 350 }, { output_tokens: 700 }),
    formula: [[100, '3'], [5_000, '0.3'], [700, '15']],
    expected: '0.0123',
  },
  {
    name: 'Anthropic stream: a final delta repeating the input counts does not double them',
    type: 'anthropic',
    model: 'claude-sonnet-4-5',
    usage: anthropicStream({ input_tokens: 100, cache_read_input_tokens: 5_000, output_tokens: 1 }, { input_tokens: 100, cache_read_input_tokens: 5_000, cache_creation_input_tokens: 0, output_tokens: 700 }),
    formula: [[100, '3'], [5_000, '0.3'], [700, '15']],
    expected: '0.0123',
  },
  {
    name: 'Anthropic stream: 1-hour writes reported in message_start survive the deltas',
    type: 'anthropic',
    model: 'claude-opus-4-1',
    usage: anthropicStream({ input_tokens: 10, cache_creation_input_tokens: 1_000, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 1_000 }, output_tokens: 1 }, { output_tokens: 100 }),
    formula: [[10, '15'], [1_000, '30'], [100, '75']],
    expected: '0.03765',
  },

  // ── Gemini: cachedContentTokenCount inside promptTokenCount; thoughts are output; per-modality details ──
  { name: 'Gemini 2.5 Flash cached content and thoughts', type: 'gemini', model: 'gemini-2.5-flash', usage: geminiUsage({ promptTokenCount: 8_000, cachedContentTokenCount: 6_000, candidatesTokenCount: 500, thoughtsTokenCount: 1_500 }), formula: [[2_000, '0.3'], [6_000, '0.03'], [2_000, '2.5']], expected: '0.00578' },
  { name: 'Gemini 2.5 Flash audio input at the audio rate', type: 'gemini', model: 'gemini-2.5-flash', usage: geminiUsage({ promptTokenCount: 10_000, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 4_000 }, { modality: 'AUDIO', tokenCount: 6_000 }], candidatesTokenCount: 1_000 }), formula: [[4_000, '0.3'], [6_000, '1'], [1_000, '2.5']], expected: '0.0097' },
  {
    name: 'Gemini 2.5 Flash cached audio and cached text apart',
    type: 'gemini',
    model: 'gemini-2.5-flash',
    usage: geminiUsage({ promptTokenCount: 10_000, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 4_000 }, { modality: 'AUDIO', tokenCount: 6_000 }], cachedContentTokenCount: 5_000, cacheTokensDetails: [{ modality: 'AUDIO', tokenCount: 3_000 }, { modality: 'TEXT', tokenCount: 2_000 }], candidatesTokenCount: 1_000 }),
    formula: [[3_000, '0.1'], [2_000, '0.03'], [3_000, '1'], [2_000, '0.3'], [1_000, '2.5']],
    expected: '0.00646',
  },
  { name: 'Gemini 2.5 Pro below 200K', type: 'gemini', model: 'gemini-2.5-pro', usage: geminiUsage({ promptTokenCount: 100_000, candidatesTokenCount: 2_000, thoughtsTokenCount: 3_000 }), formula: [[100_000, '1.25'], [5_000, '10']], expected: '0.175' },
  { name: 'Gemini 2.5 Pro above 200K: cached included in the size, whole request at the long rates', type: 'gemini', model: 'gemini-2.5-pro', usage: geminiUsage({ promptTokenCount: 250_000, cachedContentTokenCount: 100_000, candidatesTokenCount: 1_000, thoughtsTokenCount: 1_000 }), formula: [[150_000, '2.5'], [100_000, '0.25'], [2_000, '15']], expected: '0.43' },
  { name: 'Gemini batch 2.5 Pro (0.625 / 5)', type: 'gemini', model: 'gemini-2.5-pro', batch: true, usage: geminiUsage({ promptTokenCount: 100_000, candidatesTokenCount: 10_000 }), formula: [[100_000, '0.625'], [10_000, '5']], expected: '0.1125' },
  { name: 'Gemini batch 2.5 Flash (0.15 / 1.25)', type: 'gemini', model: 'gemini-2.5-flash', batch: true, usage: geminiUsage({ promptTokenCount: 400_000, candidatesTokenCount: 40_000 }), formula: [[400_000, '0.15'], [40_000, '1.25']], expected: '0.11' },
  { name: 'Gemini 2.0 Flash snapshot -001', type: 'gemini', model: 'gemini-2.0-flash-001', usage: geminiUsage({ promptTokenCount: 5_000, candidatesTokenCount: 1_000 }), formula: [[5_000, '0.1'], [1_000, '0.4']], expected: '0.0009' },
  { name: 'Gemini 2.5 Flash-Lite', type: 'gemini', model: 'gemini-2.5-flash-lite', usage: geminiUsage({ promptTokenCount: 20_000, candidatesTokenCount: 2_000 }), formula: [[20_000, '0.1'], [2_000, '0.4']], expected: '0.0028' },
  { name: 'Gemini 2.5 Flash Image: image output tokens at 30', type: 'gemini', model: 'gemini-2.5-flash-image', usage: geminiUsage({ promptTokenCount: 500, candidatesTokenCount: 1_390, candidatesTokensDetails: [{ modality: 'TEXT', tokenCount: 100 }, { modality: 'IMAGE', tokenCount: 1_290 }] }), formula: [[500, '0.3'], [100, '2.5'], [1_290, '30']], expected: '0.0391' },
  { name: 'Gemini embedding', type: 'gemini', model: 'gemini-embedding-001', usage: { inputTokens: 10_000, outputTokens: 0 }, formula: [[10_000, '0.15']], expected: '0.0015' },
  { name: 'Gemini tool-use prompt tokens billed as input', type: 'gemini', model: 'gemini-2.5-flash', usage: geminiUsage({ promptTokenCount: 3_000, toolUsePromptTokenCount: 2_000, candidatesTokenCount: 500 }), formula: [[5_000, '0.3'], [500, '2.5']], expected: '0.00275' },
  { name: 'Gemini 3 Pro preview one token over 200K', type: 'gemini', model: 'gemini-3-pro-preview', usage: geminiUsage({ promptTokenCount: 200_001, candidatesTokenCount: 1_000 }), formula: [[200_001, '4'], [1_000, '18']], expected: '0.818004' },

  // ── Bedrock: inputTokens excludes cache reads and writes; cacheDetails splits writes by TTL ──
  { name: 'Bedrock in-Region Claude Sonnet 4.5 (10% above list) reads and writes', type: 'bedrock', model: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', usage: bedrockUsage({ inputTokens: 500, cacheReadInputTokens: 10_000, cacheWriteInputTokens: 2_000, outputTokens: 300 }), formula: [[500, '3.3'], [10_000, '0.33'], [2_000, '4.125'], [300, '16.5']], expected: '0.01815' },
  { name: 'Bedrock global Claude Haiku 4.5: 1-hour writes at 2× input (project rule)', type: 'bedrock', model: 'global.anthropic.claude-haiku-4-5-20251001-v1:0', usage: bedrockUsage({ inputTokens: 100, cacheWriteInputTokens: 3_000, cacheDetails: [{ ttl: '1h', inputTokens: 1_000 }, { ttl: '5m', inputTokens: 2_000 }], outputTokens: 200 }), formula: [[100, '1'], [2_000, '1.25'], [1_000, '2'], [200, '5']], expected: '0.0056' },
  { name: 'Bedrock Nova Pro cache read', type: 'bedrock', model: 'amazon.nova-pro-v1:0', usage: bedrockUsage({ inputTokens: 1_000, cacheReadInputTokens: 4_000, outputTokens: 500 }), formula: [[1_000, '0.8'], [4_000, '0.2'], [500, '3.2']], expected: '0.0032' },
  { name: 'Bedrock Nova Lite through a US inference profile', type: 'bedrock', model: 'us.amazon.nova-lite-v1:0', usage: bedrockUsage({ inputTokens: 10_000, outputTokens: 1_000 }), formula: [[10_000, '0.06'], [1_000, '0.24']], expected: '0.00084' },

  // ── OpenAI-compatible providers ──
  { name: 'Groq Llama 3.3 70B', type: 'groq', model: 'llama-3.3-70b-versatile', usage: chatUsage({ prompt_tokens: 10_000, completion_tokens: 2_000 }), formula: [[10_000, '0.59'], [2_000, '0.79']], expected: '0.00748' },
  { name: 'Mistral Small (latest alias)', type: 'mistral', model: 'mistral-small-latest', usage: chatUsage({ prompt_tokens: 10_000, completion_tokens: 1_000 }), formula: [[10_000, '0.1'], [1_000, '0.3']], expected: '0.0013' },
  { name: 'Mistral Large (latest alias)', type: 'mistral', model: 'mistral-large-latest', usage: chatUsage({ prompt_tokens: 10_000, completion_tokens: 1_000 }), formula: [[10_000, '2'], [1_000, '6']], expected: '0.026' },
  { name: 'Mistral embeddings', type: 'mistral', model: 'mistral-embed', usage: { inputTokens: 50_000, outputTokens: 0 }, formula: [[50_000, '0.1']], expected: '0.005' },
  { name: 'xAI grok-3-mini cached and reasoning', type: 'xai', model: 'grok-3-mini', usage: chatUsage({ prompt_tokens: 4_000, completion_tokens: 1_000, prompt_tokens_details: { cached_tokens: 3_000 }, completion_tokens_details: { reasoning_tokens: 800 } }), formula: [[1_000, '0.3'], [3_000, '0.075'], [1_000, '0.5']], expected: '0.001025' },
  { name: 'xAI grok-4 (the data maps it to grok-4-0709)', type: 'xai', model: 'grok-4', usage: chatUsage({ prompt_tokens: 2_000, completion_tokens: 1_000, prompt_tokens_details: { cached_tokens: 1_000 } }), formula: [[1_000, '3'], [1_000, '0.75'], [1_000, '15']], expected: '0.01875' },
  { name: 'DeepSeek cache hits in standard hours (00:30–16:30 UTC)', type: 'deepseek', model: 'deepseek-chat', at: '2026-12-07T12:00:00Z', usage: chatUsage({ prompt_tokens: 3_000, completion_tokens: 500, prompt_cache_hit_tokens: 2_000, prompt_cache_miss_tokens: 1_000 }), formula: [[1_000, '0.27'], [2_000, '0.07'], [500, '1.1']], expected: '0.00096' },
  { name: 'DeepSeek off-peak discount', type: 'deepseek', model: 'deepseek-chat', at: '2026-12-07T20:00:00Z', usage: chatUsage({ prompt_tokens: 3_000, completion_tokens: 500, prompt_cache_hit_tokens: 2_000, prompt_cache_miss_tokens: 1_000 }), formula: [[1_000, '0.135'], [2_000, '0.035'], [500, '0.55']], expected: '0.00048' },
  { name: 'Perplexity sonar: tokens plus the request fee (12 per 1,000 requests)', type: 'perplexity', model: 'sonar', usage: chatUsage({ prompt_tokens: 1_000, completion_tokens: 1_000 }), formula: [[1_000, '1'], [1_000, '1'], [1, '0.012', 'each']], expected: '0.014' },
  { name: 'Fireworks DeepSeek V3.2 cached (account path in the model name)', type: 'fireworks', model: 'accounts/fireworks/models/deepseek-v3p2', usage: chatUsage({ prompt_tokens: 10_000, completion_tokens: 1_000, prompt_tokens_details: { cached_tokens: 6_000 } }), formula: [[4_000, '0.56'], [6_000, '0.28'], [1_000, '1.68']], expected: '0.0056' },
  { name: 'Cerebras Llama 3.3 70B', type: 'cerebras', model: 'llama-3.3-70b', usage: chatUsage({ prompt_tokens: 10_000, completion_tokens: 1_000 }), formula: [[10_000, '0.85'], [1_000, '1.2']], expected: '0.0097' },
  { name: 'Together Llama 3.3 70B Turbo (mixed-case model name)', type: 'together', model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', usage: chatUsage({ prompt_tokens: 10_000, completion_tokens: 1_000 }), formula: [[10_000, '0.88'], [1_000, '0.88']], expected: '0.00968' },
  { name: 'OpenRouter openai/gpt-4o', type: 'openrouter', model: 'openai/gpt-4o', usage: chatUsage({ prompt_tokens: 1_000, completion_tokens: 500 }), formula: [[1_000, '2.5'], [500, '10']], expected: '0.0075' },
  { name: 'OpenRouter anthropic/claude-sonnet-4.5 cached', type: 'openrouter', model: 'anthropic/claude-sonnet-4.5', usage: chatUsage({ prompt_tokens: 13_050, completion_tokens: 400, prompt_tokens_details: { cached_tokens: 10_000 } }), formula: [[3_050, '3'], [10_000, '0.3'], [400, '15']], expected: '0.01815' },
  { name: 'Mock provider (made-up project-file prices)', type: 'mock', model: 'mock-small', usage: { inputTokens: 10_000, outputTokens: 1_000 }, formula: [[10_000, '0.1'], [1_000, '0.4']], expected: '0.0014' },
];

describe('golden corpus: Tollgate\'s price equals the published formula, exactly', () => {
  it('has at least 60 shapes', () => assert.ok(cases.length >= 60, `${cases.length} cases`));

  for (const entry of cases) {
    it(entry.name, () => {
      assert.equal(evaluate(entry.formula), entry.expected, 'the hand-worked formula and its written result disagree');
      const price = catalog.lookup(entry.type, entry.type, entry.model, entry.at === undefined ? undefined : Date.parse(entry.at));
      assert.ok(price, `no price for ${entry.type}/${entry.model}`);
      const cost = costOf(entry.usage, price, { batch: entry.batch === true });
      assert.equal(cost.known, true);
      assert.equal(formatUsd(cost.femtoUsd), entry.expected);
    });
  }
});

describe('golden corpus: config overrides win over the maintained data', () => {
  it('a full override replaces the data\'s prices (gpt-4o at 2 / 8)', () => {
    const price = overridden.lookup('openai', 'openai', 'gpt-4o-2024-08-06');
    // 1,000 × 2 + 500 × 8 = 2,000 + 4,000 µ$
    assert.equal(evaluate([[1_000, '2'], [500, '8']]), '0.006');
    assert.equal(formatUsd(costOf(chatUsage({ prompt_tokens: 1_000, completion_tokens: 500 }), price).femtoUsd), '0.006');
    assert.equal(price?.origin, 'genai-prices+shipped+override');
  });

  it('a partial override for one instance keeps the data\'s other prices (cached 0.05 on eu-openai only)', () => {
    const usage = chatUsage({ prompt_tokens: 20_000, completion_tokens: 1_000, prompt_tokens_details: { cached_tokens: 5_000 } });
    // 15,000 × 0.15 + 5,000 × 0.05 + 1,000 × 0.6 = 2,250 + 250 + 600 µ$
    assert.equal(evaluate([[15_000, '0.15'], [5_000, '0.05'], [1_000, '0.6']]), '0.0031');
    assert.equal(formatUsd(costOf(usage, overridden.lookup('openai', 'eu-openai', 'gpt-4o-mini')).femtoUsd), '0.0031');
    assert.equal(formatUsd(costOf(usage, overridden.lookup('openai', 'us-openai', 'gpt-4o-mini')).femtoUsd), '0.003225');
  });
});
