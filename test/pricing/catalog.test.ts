import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadPricingCatalog, PricingCatalog } from '../../src/pricing/catalog.js';
import type { CatalogFile } from '../../src/pricing/catalog-file.js';
import { femtoPerToken } from '../../src/pricing/money.js';
import { modelNameCandidates } from '../../src/pricing/model-name.js';
import { configSchema } from '../../src/config/schema.js';

const catalog: CatalogFile = {
  inherit: { azure: 'openai' },
  models: {
    'openai/gpt-4o': { input: 2.5, output: 10, cached_input: 1.25 },
    'openai/gpt-4o-2024-05-13': { input: 5, output: 15 },
    'openai/gpt-4o-mini': { input: 0.15, output: 0.6 },
    'anthropic/claude-sonnet-4-5': { input: 3, output: 15, cache_write: 3.75 },
    'together/meta-llama/llama-3.3-70b-instruct-turbo': { input: 0.88, output: 0.88 },
  },
};

describe('model name candidates', () => {
  it('drops dated and versioned suffixes one at a time', () => {
    assert.deepEqual(modelNameCandidates('gpt-4o-2024-08-06'), ['gpt-4o-2024-08-06', 'gpt-4o']);
    assert.deepEqual(modelNameCandidates('claude-sonnet-4-5-20250929'), ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5']);
    assert.deepEqual(modelNameCandidates('claude-3-5-sonnet-v2@20241022'), ['claude-3-5-sonnet-v2@20241022', 'claude-3-5-sonnet-v2']);
    assert.deepEqual(modelNameCandidates('gemini-2.0-flash-001'), ['gemini-2.0-flash-001', 'gemini-2.0-flash']);
    assert.deepEqual(modelNameCandidates('Mistral-Large-Latest'), ['mistral-large-latest', 'mistral-large']);
    assert.deepEqual(modelNameCandidates('gpt-4o-mini'), ['gpt-4o-mini']);
    assert.deepEqual(modelNameCandidates('claude-opus-4-1'), ['claude-opus-4-1']);
  });
});

describe('PricingCatalog.lookup', () => {
  const prices = new PricingCatalog(catalog);

  it('falls back from a dated snapshot to its family, but prefers a snapshot listed apart', () => {
    assert.equal(prices.lookup('openai', 'openai', 'gpt-4o-2024-08-06')?.key, 'openai/gpt-4o');
    assert.equal(prices.lookup('openai', 'openai', 'gpt-4o-2024-05-13')?.input, femtoPerToken(5));
    assert.equal(prices.lookup('anthropic', 'claude', 'claude-sonnet-4-5-20250929')?.cacheWrite, femtoPerToken(3.75));
  });

  it('finds a model by provider type whatever the instance is called, and inherits azure from openai', () => {
    assert.equal(prices.lookup('openai', 'openai-eu', 'gpt-4o-mini')?.key, 'openai/gpt-4o-mini');
    assert.equal(prices.lookup('azure', 'azure-prod', 'gpt-4o-mini')?.key, 'openai/gpt-4o-mini');
    assert.equal(prices.lookup('azure', 'azure', 'gpt-4o-mini')?.key, 'openai/gpt-4o-mini', 'an instance named like its type still inherits');
    assert.equal(prices.lookup('together', 'together', 'meta-llama/Llama-3.3-70B-Instruct-Turbo')?.key, 'together/meta-llama/llama-3.3-70b-instruct-turbo');
  });

  it('returns undefined for unknown models and providers', () => {
    assert.equal(prices.lookup('openai', 'openai', 'gpt-99'), undefined);
    assert.equal(prices.lookup('groq', 'groq', 'gpt-4o'), undefined);
  });

  it('lets overrides win, the instance name before the type, merged with the shipped price', () => {
    const overridden = new PricingCatalog(catalog, {
      'openai/gpt-4o': { input: 2, output: 8 },
      'eu/gpt-4o': { output: 12 },
      'mock/brand-new': { input: 0.5, output: 1 },
    });
    const typeWide = overridden.lookup('openai', 'us', 'gpt-4o-2024-08-06');
    assert.equal(typeWide?.key, 'openai/gpt-4o');
    assert.equal(typeWide?.input, femtoPerToken(2));
    assert.equal(typeWide?.cachedInput, femtoPerToken(1.25), 'cached_input not overridden: shipped value kept');

    const instance = overridden.lookup('openai', 'eu', 'gpt-4o');
    assert.equal(instance?.key, 'eu/gpt-4o');
    assert.equal(instance?.origin, 'shipped+override');
    assert.equal(instance?.output, femtoPerToken(12));
    assert.equal(instance?.input, femtoPerToken(2.5));

    assert.equal(overridden.lookup('mock', 'mock', 'brand-new')?.origin, 'override');
    assert.deepEqual(overridden.issues, []);
  });

  it('reports unusable overrides instead of pricing with them', () => {
    const overridden = new PricingCatalog(catalog, {
      'no-slash': { input: 1, output: 1 },
      'openai/negative': { input: -1, output: 1 },
      'openai/too-precise': { input: 0.0000000001, output: 1 },
      'openai/unknown-partial': { input: 1 },
    });
    assert.deepEqual(overridden.issues.map((issue) => issue.path).sort(), ['pricing.no-slash', 'pricing.openai/negative', 'pricing.openai/too-precise', 'pricing.openai/unknown-partial']);
    assert.equal(overridden.lookup('openai', 'openai', 'negative'), undefined);
    assert.equal(overridden.lookup('openai', 'openai', 'too-precise'), undefined);
    assert.equal(overridden.lookup('openai', 'openai', 'unknown-partial'), undefined, 'no output price: unknown, not free');
  });
});

describe('loadPricingCatalog', () => {
  it('reads the shipped catalog from the package and applies overrides', () => {
    const prices = loadPricingCatalog({ 'openai/gpt-4o-mini': { input: 1, output: 2 } });
    assert.ok(prices.asOf);
    assert.equal(prices.lookup('openai', 'openai', 'gpt-4o-mini-2024-07-18')?.input, femtoPerToken(1));
    assert.equal(prices.lookup('anthropic', 'anthropic', 'claude-3-5-haiku-20241022')?.key, 'anthropic/claude-3-5-haiku');
    assert.ok(prices.lookup('mock', 'mock', 'mock-small'));
  });
});

describe('the config `pricing` section', () => {
  it('is accepted as overrides as the config schema parses it', () => {
    const pricing = configSchema.shape.pricing.parse({ 'openai/gpt-4o': { input: 2, output: 8, cached_input: 1, cache_write: 2.5, cache_write_1h: 4 } });
    const price = new PricingCatalog(catalog, pricing).lookup('openai', 'openai', 'gpt-4o');
    assert.equal(price?.cachedInput, femtoPerToken(1));
    assert.equal(price?.cacheWrite, femtoPerToken(2.5));
    assert.equal(price?.cacheWrite1h, femtoPerToken(4));
  });
});
