import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catalogProblems, readShippedCatalog } from '../../src/pricing/catalog-file.js';
import { loadPricingCatalog } from '../../src/pricing/catalog.js';
import { costOf } from '../../src/pricing/cost.js';
import { splitPriceKey } from '../../src/pricing/model-name.js';

const PROVIDER_TYPES = ['openai', 'anthropic', 'gemini', 'azure', 'groq', 'mistral', 'together', 'deepseek', 'xai', 'cerebras', 'perplexity', 'fireworks', 'mock'];

describe('data/pricing.json', () => {
  const file = readShippedCatalog();

  it('is valid: every entry has non-negative numeric input and output prices and known fields only', () => {
    assert.deepEqual(catalogProblems(file), []);
    for (const [key, entry] of Object.entries(file.models)) {
      for (const value of Object.values(entry)) assert.ok(typeof value === 'number' && value >= 0, `${key}: ${String(value)}`);
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
      const inherited = file.inherit?.[type] !== undefined && Object.keys(file.models).some((key) => splitPriceKey(key)?.provider === file.inherit?.[type]);
      assert.ok(direct || inherited, `no model priced for ${type}`);
    }
    assert.ok(prices.lookup('azure', 'azure', 'gpt-4o'), 'azure inherits openai prices');
  });

  it('prices the demo mock models above zero, so the demo shows costs', () => {
    const prices = loadPricingCatalog();
    for (const model of ['mock-small', 'mock-large']) {
      const cost = costOf({ inputTokens: 1_000, outputTokens: 1_000 }, prices.lookup('mock', 'mock', model));
      assert.equal(cost.known, true);
      assert.ok(cost.femtoUsd > 0n);
    }
  });

  it('catches malformed catalogs', () => {
    assert.equal(catalogProblems({ models: { 'openai/x': { input: -1, output: 1 } } }).length, 1);
    assert.equal(catalogProblems({ models: { 'openai/x': { input: 1 } } }).length, 1);
    assert.equal(catalogProblems({ models: { 'OpenAI/X': { input: 1, output: 1 } } }).length, 1);
    assert.equal(catalogProblems({ models: { 'openai/x': { input: '1', output: 1 } } }).length, 1);
    assert.equal(catalogProblems({ models: { 'openai/x': { input: 1, output: 1, price: 2 } } }).length, 1);
    assert.equal(catalogProblems([]).length, 1);
  });
});
