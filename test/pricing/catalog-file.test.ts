import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catalogProblems, readShippedCatalog } from '../../src/pricing/catalog-file.js';
import { loadPricingCatalog } from '../../src/pricing/catalog.js';
import { costOf } from '../../src/pricing/cost.js';
import { splitPriceKey } from '../../src/pricing/model-name.js';
import { builtInAdapters } from '../../src/providers/registry.js';

/**
 * Every provider type the project speaks that is a paid service (it needs an API key), plus the
 * mock. Self-hosted types (ollama, vllm, openai-compatible) have no list price to ship.
 */
const PROVIDER_TYPES = [...builtInAdapters.filter((adapter) => adapter.requiresKey).map((adapter) => adapter.type), 'mock'];

describe('data/pricing.json', () => {
  const file = readShippedCatalog();

  it('is valid: every entry has non-negative numeric input and output prices and known fields only', () => {
    assert.deepEqual(catalogProblems(file), []);
    for (const [key, entry] of Object.entries(file.models)) {
      const { long_context: long, ...rates } = entry;
      for (const value of [...Object.values(rates), ...Object.values(long ?? {})]) assert.ok(typeof value === 'number' && value >= 0, `${key}: ${String(value)}`);
    }
  });

  it('records where its prices come from and when', () => {
    assert.match(file.as_of ?? '', /^\d{4}-\d{2}-\d{2}$/);
    for (const type of PROVIDER_TYPES) assert.ok(file.sources?.[type], `no source for ${type}`);
  });

  it('prices at least one model of every provider type it covers', () => {
    const prices = loadPricingCatalog();
    for (const type of PROVIDER_TYPES) {
      const direct = Object.keys(file.models).some((key) => splitPriceKey(key)?.provider === type);
      const parents = [file.inherit?.[type] ?? []].flat();
      const inherited = Object.keys(file.models).some((key) => parents.includes(splitPriceKey(key)?.provider ?? ''));
      assert.ok(direct || inherited, `no model priced for ${type}`);
    }
    assert.ok(prices.lookup('azure', 'azure', 'gpt-4o'), 'azure inherits openai prices');
    // Vertex AI serves Google's and Anthropic's models at their list prices, Claude by Vertex's `@date` ids.
    assert.equal(prices.lookup('vertex', 'google-cloud', 'gemini-2.5-flash')?.input, prices.lookup('gemini', 'gemini', 'gemini-2.5-flash')?.input);
    assert.equal(prices.lookup('vertex', 'google-cloud', 'claude-sonnet-4-5@20250929')?.output, prices.lookup('anthropic', 'anthropic', 'claude-sonnet-4-5')?.output);
    assert.ok(prices.lookup('cohere', 'cohere', 'command-a-03-2025'));
  });

  it('prices the demo mock models above zero, so the demo shows costs', () => {
    const prices = loadPricingCatalog();
    for (const model of ['mock-small', 'mock-large']) {
      const cost = costOf({ inputTokens: 1_000, outputTokens: 1_000 }, prices.lookup('mock', 'mock', model));
      assert.equal(cost.known, true);
      assert.ok(cost.femtoUsd > 0n);
    }
  });

  it('covers the providers the issue names, so a new adapter without prices fails here', () => {
    for (const type of ['openai', 'azure', 'anthropic', 'gemini', 'bedrock', 'vertex', 'cohere', 'groq', 'mistral', 'together', 'deepseek', 'xai', 'cerebras', 'perplexity', 'fireworks', 'openrouter']) {
      assert.ok(PROVIDER_TYPES.includes(type), type);
    }
  });

  it('ships batch and long-context tiers where providers publish them', () => {
    const prices = loadPricingCatalog();
    const sonnet = prices.lookup('anthropic', 'anthropic', 'claude-sonnet-4-5-20250929');
    assert.equal(sonnet?.longContext?.aboveInputTokens, 200_000);
    assert.ok(sonnet.batchInput < sonnet.input);
    assert.ok(prices.lookup('gemini', 'gemini', 'gemini-2.5-pro')?.longContext !== undefined);
    assert.ok(prices.lookup('openai', 'openai', 'gpt-4o')!.batchOutput < prices.lookup('openai', 'openai', 'gpt-4o')!.output);
    for (const [key, entry] of Object.entries(file.models)) {
      const long = entry.long_context;
      if (long === undefined) continue;
      assert.ok(Number(long.input) >= Number(entry.input) && Number(long.output) >= Number(entry.output), `${key}: a long-context tier is never cheaper`);
    }
  });

  it('catches malformed catalogs', () => {
    assert.equal(catalogProblems({ models: { 'openai/x': { input: -1, output: 1 } } }).length, 1);
    assert.equal(catalogProblems({ models: { 'openai/x': { input: 1 } } }).length, 1);
    assert.equal(catalogProblems({ models: { 'OpenAI/X': { input: 1, output: 1 } } }).length, 1);
    assert.equal(catalogProblems({ models: { 'openai/x': { input: '1', output: 1 } } }).length, 1);
    assert.equal(catalogProblems({ models: { 'openai/x': { input: 1, output: 1, price: 2 } } }).length, 1);
    assert.equal(catalogProblems([]).length, 1);
    assert.deepEqual(catalogProblems({ models: { 'openai/x': { input: 1, output: 1, long_context: { input: 2, output: 2 } } } }), ['openai/x.long_context: needs above_input_tokens, input and output']);
    assert.equal(catalogProblems({ models: { 'openai/x': { input: 1, output: 1, long_context: { above_input_tokens: 0.5, input: 2, output: 2, batch_input: 1 } } } }).length, 2);
    assert.equal(catalogProblems({ models: { 'openai/x': { input: 1, output: 1, batch_input: -1 } } }).length, 1);
    assert.equal(catalogProblems({ models: { 'openai/x': { input: 1, output: 1, max_output_tokens: 0 } } }).length, 1);
  });
});
