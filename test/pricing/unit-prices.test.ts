import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.js';
import { PricingCatalog } from '../../src/pricing/catalog.js';
import { costOf } from '../../src/pricing/cost.js';
import { formatUsd } from '../../src/pricing/money.js';

/** Unit prices of the audio endpoints: `per_character` and `per_second` in USD, alone or beside token prices. */
describe('unit prices', () => {
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
