import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catalogProblems, readShippedCatalog } from '../../src/pricing/catalog-file.js';
import { loadPricingCatalog } from '../../src/pricing/catalog.js';
import { costOf } from '../../src/pricing/cost.js';
import { builtInAdapters } from '../../src/providers/registry.js';

/**
 * Every provider type the project speaks that is a paid service (it needs an API key), plus the
 * mock. Self-hosted types (ollama, vllm, openai-compatible) have no list price to ship.
 */
const PROVIDER_TYPES = [...builtInAdapters.filter((adapter) => adapter.requiresKey).map((adapter) => adapter.type), 'mock'];

describe('data/pricing.json (the project file: what the maintained data lacks)', () => {
  const file = readShippedCatalog();

  it('is valid: known fields only, non-negative numbers, each entry with its source and date', () => {
    assert.deepEqual(catalogProblems(file), []);
    for (const [key, entry] of Object.entries(file.models)) {
      const { long_context: long, source, as_of: asOf, ...rates } = entry;
      assert.ok(typeof source === 'string' && source.length > 0, `${key}: source`);
      if (!key.startsWith('mock/')) assert.match(source, /^https:\/\//, `${key}: source is a URL`);
      assert.match(asOf ?? '', /^\d{4}-\d{2}-\d{2}$/, `${key}: as_of`);
      for (const value of [...Object.values(rates), ...Object.values(long ?? {})]) assert.ok(typeof value === 'number' && value >= 0, `${key}: ${String(value)}`);
    }
  });

  it('maps every provider type of the registry to the data\'s provider ids (none for self-hosted ones)', () => {
    const types = builtInAdapters.map((adapter) => adapter.type);
    for (const type of types) assert.ok(Array.isArray(file.provider_ids?.[type]), `provider_ids has no entry for ${type}`);
    assert.deepEqual(file.provider_ids?.xai, ['x-ai']);
    assert.deepEqual(file.provider_ids?.bedrock, ['aws']);
    assert.deepEqual(file.provider_ids?.gemini, ['google']);
    for (const type of ['ollama', 'vllm', 'openai-compatible']) assert.deepEqual(file.provider_ids?.[type], [], type);
  });

  it('prices at least one model of every paid provider type, from the data or the file', () => {
    const prices = loadPricingCatalog();
    const sample: Record<string, string> = {
      openai: 'gpt-4o', azure: 'gpt-4o', anthropic: 'claude-sonnet-4-5', gemini: 'gemini-2.5-pro', bedrock: 'anthropic.claude-3-5-sonnet-20241022-v2:0',
      groq: 'llama-3.3-70b-versatile', mistral: 'mistral-large-latest', together: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', fireworks: 'accounts/fireworks/models/llama-v3p3-70b-instruct',
      deepseek: 'deepseek-chat', xai: 'grok-4', cerebras: 'llama-3.3-70b', perplexity: 'sonar', openrouter: 'anthropic/claude-sonnet-4.5', mock: 'mock-small',
      vertex: 'gemini-2.5-flash', cohere: 'command-a-03-2025',
    };
    for (const type of PROVIDER_TYPES) {
      assert.ok(sample[type], `no sample model for ${type}: add one here`);
      assert.ok(prices.lookup(type, type, sample[type]!), `no price for ${type}/${sample[type]}`);
    }
    // Vertex AI serves Google's and Anthropic's models at their list prices, Claude by Vertex's `@date` ids.
    assert.equal(prices.lookup('vertex', 'google-cloud', 'gemini-2.5-flash')?.input, prices.lookup('gemini', 'gemini', 'gemini-2.5-flash')?.input);
    assert.ok(prices.lookup('vertex', 'google-cloud', 'claude-sonnet-4-5@20250929'), 'Claude on Vertex by its @date id');
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
    for (const type of ['openai', 'azure', 'anthropic', 'gemini', 'bedrock', 'groq', 'mistral', 'together', 'deepseek', 'xai', 'cerebras', 'perplexity', 'fireworks', 'openrouter']) {
      assert.ok(PROVIDER_TYPES.includes(type), type);
    }
  });

  it('adds batch rates over the data, and the data brings long-context tiers', () => {
    const prices = loadPricingCatalog();
    const sonnet = prices.lookup('anthropic', 'anthropic', 'claude-sonnet-4-5-20250929');
    assert.equal(sonnet?.longContext?.aboveInputTokens, 200_000);
    assert.equal(sonnet.origin, 'genai-prices+shipped');
    assert.ok(sonnet.batchInput < sonnet.input);
    assert.ok(prices.lookup('gemini', 'gemini', 'gemini-2.5-pro')?.longContext !== undefined);
    assert.ok(prices.lookup('openai', 'openai', 'gpt-4o')!.batchOutput < prices.lookup('openai', 'openai', 'gpt-4o')!.output);
  });

  it('catches malformed catalogs', () => {
    assert.equal(catalogProblems({ models: { 'openai/x': { input: -1, output: 1 } } }).length, 1);
    assert.equal(catalogProblems({ models: { 'openai/x': { input: 1 } } }).length, 1);
    assert.equal(catalogProblems({ models: { 'OpenAI/X': { input: 1, output: 1 } } }).length, 1);
    assert.equal(catalogProblems({ models: { 'openai/x': { input: '1', output: 1 } } }).length, 1);
    assert.equal(catalogProblems({ models: { 'openai/x': { input: 1, output: 1, price: 2 } } }).length, 1);
    assert.equal(catalogProblems({ models: { 'openai/x': { batch_input: 1, source: 5 } } }).length, 1);
    assert.equal(catalogProblems({ models: {}, provider_ids: { xai: 'x-ai' } }).length, 1);
    assert.equal(catalogProblems({ models: {}, cache_write_1h_rules: [{ provider: 'aws', input_multiple: 1.5 }] }).length, 1);
    assert.equal(catalogProblems([]).length, 1);
    assert.deepEqual(catalogProblems({ models: { 'openai/x': { input: 1, output: 1, long_context: { input: 2, output: 2 } } } }), ['openai/x.long_context: needs above_input_tokens, input and output']);
    assert.equal(catalogProblems({ models: { 'openai/x': { input: 1, output: 1, long_context: { above_input_tokens: 0.5, input: 2, output: 2, batch_input: 1 } } } }).length, 2);
    assert.equal(catalogProblems({ models: { 'openai/x': { input: 1, output: 1, batch_input: -1 } } }).length, 1);
    assert.equal(catalogProblems({ models: { 'openai/x': { input: 1, output: 1, max_output_tokens: 0 } } }).length, 1);
  });
});
