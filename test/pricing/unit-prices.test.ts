import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { PricingCatalog } from '../../src/pricing/catalog.js';
import { costOf, sumCosts } from '../../src/pricing/cost.js';
import { formatUsd } from '../../src/pricing/money.js';

const shipped = { models: { 'openai/gpt-image-1': { input: 5, output: 40 }, 'openai/gpt-4o': { input: 2.5, output: 10 } } };

describe('unit prices: per image and per search', () => {
  const catalog = new PricingCatalog(shipped, {
    'openai/dall-e-3': { per_image: { 'standard/1024x1024': 0.04, 'hd/1024x1024': 0.08, '1792x1024': 0.1, default: 0.12 } },
    'together/flux': { per_image: 0.003 },
    'cohere/rerank-v3.5': { per_search: 0.002 },
    'openai/gpt-image-1': { per_image: { 'high/1024x1024': 0.167 } },
  });

  it('an entry with only unit prices is accepted and found, without token rates', () => {
    assert.deepEqual(catalog.issues, []);
    const price = catalog.lookup('openai', 'openai', 'dall-e-3')!;
    assert.equal(price.tokenRated, false);
    // Tokens are not priced by a unit-only entry: unknown, never $0.
    assert.equal(costOf({ inputTokens: 10, outputTokens: 0 }, price).known, false);
  });

  it('images are priced by quality and size, then size, then default', () => {
    const price = catalog.lookup('openai', 'openai', 'dall-e-3');
    const cost = (imageSize?: string, imageQuality?: string, images = 2) => formatUsd(costOf({ inputTokens: undefined, outputTokens: undefined, units: { images, ...(imageSize ? { imageSize } : {}), ...(imageQuality ? { imageQuality } : {}) } }, price).femtoUsd);
    assert.equal(cost('1024x1024', 'hd'), '0.16');
    assert.equal(cost('1024x1024', 'STANDARD'), '0.08');
    assert.equal(cost('1792x1024', 'hd'), '0.2');
    assert.equal(cost(undefined, undefined, 3), '0.36');
    assert.equal(formatUsd(costOf({ inputTokens: undefined, outputTokens: undefined, units: { images: 5 } }, catalog.lookup('together', 'together', 'flux')).femtoUsd), '0.015');
  });

  it('a model with token prices and no matching image price is priced by its tokens', () => {
    const price = catalog.lookup('openai', 'openai', 'gpt-image-1')!;
    assert.equal(price.tokenRated, true, 'the override adds image prices to the shipped token prices');
    assert.equal(formatUsd(costOf({ inputTokens: undefined, outputTokens: undefined, units: { images: 1, imageSize: '1024x1024', imageQuality: 'high' } }, price).femtoUsd), '0.167');
    const byTokens = costOf({ inputTokens: 100, outputTokens: 1000, units: { images: 1, imageSize: '1536x1024', imageQuality: 'low' } }, price);
    assert.equal(byTokens.known, true);
    assert.equal(formatUsd(byTokens.femtoUsd), '0.0405');
  });

  it('searches are priced per search unit; moderations are free unless priced', () => {
    const rerank = costOf({ inputTokens: undefined, outputTokens: undefined, units: { searches: 3 } }, catalog.lookup('cohere', 'cohere', 'rerank-v3.5'));
    assert.equal(formatUsd(rerank.femtoUsd), '0.006');
    assert.equal(formatUsd(rerank.breakdown.units), '0.006');
    assert.equal(formatUsd(sumCosts([rerank, rerank]).femtoUsd), '0.012');
    const free = costOf({ inputTokens: undefined, outputTokens: undefined, units: { freeUnlessPriced: true } }, undefined);
    assert.deepEqual([free.known, free.femtoUsd], [true, 0n]);
    // Searches without a per-search price and without tokens: unknown.
    assert.equal(costOf({ inputTokens: undefined, outputTokens: undefined, units: { searches: 1 } }, catalog.lookup('openai', 'openai', 'gpt-4o')).known, false);
  });

  it('bad unit prices are reported and the entry ignored', () => {
    const bad = new PricingCatalog(shipped, { 'openai/dall-e-2': { per_image: { standard: -1 } } as never, 'cohere/rerank': { per_search: 'lots' } as never });
    assert.deepEqual(bad.issues.map((issue) => issue.path), ['pricing.openai/dall-e-2', 'pricing.cohere/rerank']);
    assert.equal(bad.lookup('openai', 'openai', 'dall-e-2'), undefined);
  });

  it('the config takes per_image (a price or prices by variant) and per_search, alone', () => {
    const config = validateConfig({ providers: { openai: { type: 'openai', keys: [{ value: 'k' }] } }, pricing: { 'openai/dall-e-3': { per_image: { 'hd/1024x1024': 0.08 } }, 'openai/dall-e-2': { per_image: 0.02 }, 'cohere/rerank-v3.5': { per_search: 0.002 } } }, 'test', {});
    assert.deepEqual(config.pricing['openai/dall-e-2'], { per_image: 0.02 });
    assert.throws(() => validateConfig({ providers: { openai: { type: 'openai', keys: [{ value: 'k' }] } }, pricing: { 'openai/dall-e-3': { per_image: 'cheap' } } }, 'test', {}), /per_image/);
  });
});

/** Unit prices of the audio endpoints: `per_character` and `per_second` in USD, alone or beside token prices. */
describe('unit prices: per character and per second', () => {
  const catalog = new PricingCatalog(
    { models: {} },
    { 'openai/tts-1': { per_character: 0.000015 }, 'openai/whisper-1': { per_second: 0.0001 }, 'openai/gpt-4o-transcribe': { input: 2.5, output: 10 } },
  );

  it('a config entry may carry only unit prices', () => {
    assert.deepEqual(catalog.issues, []);
    const parsed = configSchema.parse({ providers: {}, pricing: { 'openai/tts-1': { per_character: 0.000015 }, 'openai/whisper-1': { per_second: 0.006 } } });
    assert.equal(parsed.pricing['openai/tts-1']!.per_character, 0.000015);
  });

  it('text-to-speech is billed per character, exactly', () => {
    const cost = costOf({ inputTokens: undefined, outputTokens: undefined, characters: 1000 }, catalog.lookup('openai', 'openai', 'tts-1'));
    assert.equal(cost.known, true);
    assert.equal(formatUsd(cost.femtoUsd), '0.015');
  });

  it('transcription is billed per second of audio', () => {
    const cost = costOf({ inputTokens: undefined, outputTokens: undefined, audioSeconds: 60 }, catalog.lookup('openai', 'openai', 'whisper-1'));
    assert.equal(cost.known, true);
    assert.equal(formatUsd(cost.femtoUsd), '0.006');
  });

  it('a transcription model billed by the token is priced by its tokens', () => {
    const cost = costOf({ inputTokens: 1_000_000, outputTokens: 100_000 }, catalog.lookup('openai', 'openai', 'gpt-4o-transcribe'));
    assert.equal(cost.known, true);
    assert.equal(formatUsd(cost.femtoUsd), '3.5');
  });
});
