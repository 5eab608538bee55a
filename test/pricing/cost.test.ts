import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { costOf, DEFAULT_RESERVED_OUTPUT_TOKENS, estimateMaxCost, reservedOutputTokens, sumCosts } from '../../src/pricing/cost.js';
import { PricingCatalog } from '../../src/pricing/catalog.js';
import { femtoFromUsd, formatUsd } from '../../src/pricing/money.js';
import type { ModelPrice, PriceEntry } from '../../src/pricing/price.js';

function priceOf(entry: PriceEntry): ModelPrice {
  const price = new PricingCatalog({ models: { 'test/model': entry } }).lookup('test', 'test', 'model');
  assert.ok(price);
  return price;
}

describe('costOf', () => {
  it('is exact: a million tokens at $0.075/M is exactly $0.075', () => {
    const cost = costOf({ inputTokens: 1_000_000, outputTokens: 0 }, priceOf({ input: 0.075, output: 0.3 }));
    assert.equal(cost.known, true);
    assert.equal(cost.femtoUsd, femtoFromUsd('0.075'));
    assert.equal(cost.nanoUsd, 75_000_000n);
    assert.equal(cost.usd, 0.075);
  });

  it('adds ten thousand small costs without drift', () => {
    const price = priceOf({ input: 0.1, output: 0.3 });
    const costs = Array.from({ length: 10_000 }, () => costOf({ inputTokens: 7, outputTokens: 3 }, price));
    const total = sumCosts(costs);
    // 10,000 × (7 × 0.1 + 3 × 0.3) / 1e6 = 0.016 exactly (the same sum in doubles drifts).
    assert.equal(formatUsd(total.femtoUsd), '0.016');
    assert.equal(total.usd, 0.016);
    assert.equal(total.known, true);
  });

  it('prices Anthropic-style usage: cache reads, 5-minute and 1-hour writes', () => {
    const sonnet = priceOf({ input: 3, output: 15, cached_input: 0.3, cache_write: 3.75, cache_write_1h: 6 });
    // input_tokens 100 + cache_read 2,000 + cache_creation 1,000 (400 of them 1h) = 3,100 prompt tokens.
    const cost = costOf({ inputTokens: 3_100, outputTokens: 500, cachedInputTokens: 2_000, cacheWriteTokens: 1_000, cacheWrite1hTokens: 400 }, sonnet);
    assert.equal(formatUsd(cost.breakdown.input), '0.0003'); // 100 × 3
    assert.equal(formatUsd(cost.breakdown.cachedInput), '0.0006'); // 2,000 × 0.3
    assert.equal(formatUsd(cost.breakdown.cacheWrite), '0.00225'); // 600 × 3.75
    assert.equal(formatUsd(cost.breakdown.cacheWrite1h), '0.0024'); // 400 × 6
    assert.equal(formatUsd(cost.breakdown.output), '0.0075'); // 500 × 15
    assert.equal(formatUsd(cost.femtoUsd), '0.01305');
  });

  it('prices OpenAI-style usage: cached tokens inside prompt tokens, reasoning inside output', () => {
    const mini = priceOf({ input: 0.15, output: 0.6, cached_input: 0.075 });
    const cost = costOf({ inputTokens: 10_000, outputTokens: 2_000, cachedInputTokens: 8_000, reasoningTokens: 1_500 }, mini);
    assert.equal(formatUsd(cost.breakdown.input), '0.0003'); // 2,000 uncached × 0.15
    assert.equal(formatUsd(cost.breakdown.cachedInput), '0.0006'); // 8,000 × 0.075
    assert.equal(formatUsd(cost.breakdown.output), '0.0012'); // 2,000 × 0.6, reasoning included once
    assert.equal(cost.breakdown.reasoning, 0n);
    assert.equal(formatUsd(cost.femtoUsd), '0.0021');
  });

  it('defaults cache prices to the input price and 1-hour writes to the write price', () => {
    const plain = priceOf({ input: 1, output: 2 });
    const cost = costOf({ inputTokens: 1_000, outputTokens: 0, cachedInputTokens: 300, cacheWriteTokens: 200, cacheWrite1hTokens: 50 }, plain);
    assert.equal(formatUsd(cost.femtoUsd), '0.001');
    const written = priceOf({ input: 1, output: 2, cache_write: 1.25 });
    assert.equal(formatUsd(costOf({ inputTokens: 100, outputTokens: 0, cacheWriteTokens: 100, cacheWrite1hTokens: 100 }, written).breakdown.cacheWrite1h), '0.000125');
  });

  it('bills reasoning apart only when the price says so', () => {
    const price = priceOf({ input: 1, output: 4, reasoning: 2 });
    const cost = costOf({ inputTokens: 0, outputTokens: 1_000, reasoningTokens: 600 }, price);
    assert.equal(formatUsd(cost.breakdown.output), '0.0016');
    assert.equal(formatUsd(cost.breakdown.reasoning), '0.0012');
  });

  it('marks unknown usage or price as unknown, never as a known zero', () => {
    const price = priceOf({ input: 1, output: 1 });
    assert.equal(costOf(undefined, price).known, false);
    assert.equal(costOf({ inputTokens: 10, outputTokens: 5 }, undefined).known, false);
    const partial = costOf({ inputTokens: 1_000_000, outputTokens: undefined }, price);
    assert.equal(partial.known, false);
    assert.equal(formatUsd(partial.femtoUsd), '1');
    assert.equal(sumCosts([costOf({ inputTokens: 1, outputTokens: 1 }, price), costOf(undefined, price)]).known, false);
  });

  it('never bills below zero when a provider over-reports cached tokens', () => {
    const cost = costOf({ inputTokens: 10, outputTokens: 0, cachedInputTokens: 50 }, priceOf({ input: 1, output: 1, cached_input: 0.5 }));
    assert.equal(cost.breakdown.input, 0n);
    // Cached tokens are part of the prompt: at most all 10 of them were read from the cache (10 × 0.5).
    assert.equal(formatUsd(cost.femtoUsd), '0.000005');
  });
});

describe('price tiers', () => {
  const sonnet = priceOf({
    input: 3,
    output: 15,
    cached_input: 0.3,
    cache_write: 3.75,
    batch_input: 1.5,
    batch_output: 7.5,
    long_context: { above_input_tokens: 200_000, input: 6, output: 22.5, cached_input: 0.6, cache_write: 7.5, cache_write_1h: 12 },
  });

  it('bills a prompt above the long-context threshold entirely at the long-context rates', () => {
    const atThreshold = costOf({ inputTokens: 200_000, outputTokens: 1_000 }, sonnet);
    assert.equal(formatUsd(atThreshold.femtoUsd), '0.615'); // 200,000 × 3 + 1,000 × 15
    const above = costOf({ inputTokens: 200_001, outputTokens: 1_000, cachedInputTokens: 100_000, cacheWriteTokens: 50_000, cacheWrite1hTokens: 10_000 }, sonnet);
    assert.equal(formatUsd(above.breakdown.input), '0.300006'); // 50,001 × 6
    assert.equal(formatUsd(above.breakdown.cachedInput), '0.06'); // 100,000 × 0.6
    assert.equal(formatUsd(above.breakdown.cacheWrite), '0.3'); // 40,000 × 7.5
    assert.equal(formatUsd(above.breakdown.cacheWrite1h), '0.12'); // 10,000 × 12
    assert.equal(formatUsd(above.breakdown.output), '0.0225'); // 1,000 × 22.5
    assert.equal(formatUsd(above.femtoUsd), '0.802506');
  });

  it('prices batch jobs at the batch rates when asked, and defaults them to the standard rates', () => {
    assert.equal(formatUsd(costOf({ inputTokens: 1_000, outputTokens: 1_000 }, sonnet, { batch: true }).femtoUsd), '0.009');
    const plain = priceOf({ input: 1, output: 2 });
    assert.equal(formatUsd(costOf({ inputTokens: 1_000, outputTokens: 1_000 }, plain, { batch: true }).femtoUsd), '0.003');
  });

  it('reserves at the long-context rates when the prompt estimate passes the threshold', () => {
    assert.equal(formatUsd(estimateMaxCost(sonnet, 300_000, 1_000).femtoUsd), '1.8225'); // 300,000 × 6 + 1,000 × 22.5
    assert.equal(formatUsd(estimateMaxCost(sonnet, 100_000, 1_000).femtoUsd), '0.315');
  });
});

describe('reservedOutputTokens', () => {
  const limited = priceOf({ input: 1, output: 2, max_output_tokens: 8_192 });
  const unlimited = priceOf({ input: 1, output: 2 });

  it("takes the caller's max_tokens, never more than the model's output limit", () => {
    assert.equal(reservedOutputTokens(limited, 100), 100);
    assert.equal(reservedOutputTokens(limited, 1_000_000), 8_192);
    assert.equal(reservedOutputTokens(unlimited, 1_000_000), 1_000_000);
  });

  it('without max_tokens, reserves the configured default, capped by the output limit', () => {
    assert.equal(reservedOutputTokens(unlimited, undefined), DEFAULT_RESERVED_OUTPUT_TOKENS);
    assert.equal(reservedOutputTokens(limited, undefined, 64_000), 8_192);
    assert.equal(reservedOutputTokens(limited, undefined, 1_000), 1_000);
    assert.equal(reservedOutputTokens(undefined, undefined, 1_000), 1_000);
    assert.equal(reservedOutputTokens(limited, 0), 0, 'embeddings reserve no output');
  });

  it('sizes the cost reservation', () => {
    assert.equal(formatUsd(estimateMaxCost(limited, 0, 1_000_000).femtoUsd), '0.016384'); // 8,192 × 2
    assert.equal(formatUsd(estimateMaxCost(unlimited, 0, undefined, 1_000).femtoUsd), '0.002');
  });
});

describe('estimateMaxCost', () => {
  it('reserves the estimated prompt at the input rate and every allowed output token', () => {
    const price = priceOf({ input: 3, output: 15, cached_input: 0.3 });
    assert.equal(formatUsd(estimateMaxCost(price, 1_000, 100).femtoUsd), '0.0045');
    assert.equal(estimateMaxCost(price, 0, undefined).femtoUsd, BigInt(DEFAULT_RESERVED_OUTPUT_TOKENS) * 15_000_000_000n);
    const dearReasoning = priceOf({ input: 1, output: 2, reasoning: 5 });
    assert.equal(formatUsd(estimateMaxCost(dearReasoning, 0, 1_000).femtoUsd), '0.005');
  });
});
