import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import type { FakeReply, FakeUpstream } from '../fakes/fake-upstream.js';
import { startGeminiFake } from '../fakes/gemini-fake.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/**
 * Golden costs end to end: provider fakes answer in their own wire format with a scripted usage,
 * the gateway prices it with the shipped catalog (no overrides), and `x-tollgate-cost` must be the
 * exact amount worked out by hand from data/pricing.json — as a header, and as a stream trailer.
 */
let openai: FakeUpstream;
let anthropic: FakeUpstream;
let gemini: FakeUpstream;
let running: RunningGateway;

before(async () => {
  [openai, anthropic, gemini] = await Promise.all([startOpenAIFake(), startAnthropicFake(), startGeminiFake()]);
  running = await startGateway({
    providers: {
      openai: { type: 'openai', base_url: `${openai.url}/v1`, keys: [{ value: 'test-key-openai' }], models: ['gpt-4o'], max_retries: 0 },
      anthropic: { type: 'anthropic', base_url: anthropic.url, keys: [{ value: 'test-key-anthropic' }], models: ['claude-sonnet-4-5'], max_retries: 0 },
      gemini: { type: 'gemini', base_url: `${gemini.url}/v1beta`, keys: [{ value: 'test-key-gemini' }], models: ['gemini-2.5-flash'], max_retries: 0 },
    },
  });
});

after(async () => {
  await running.close();
  await Promise.all([openai.close(), anthropic.close(), gemini.close()]);
});

async function costOf(path: string, body: Record<string, unknown>): Promise<{ header: string | undefined; trailer: string | undefined }> {
  const response = await request(`${running.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: JSON.stringify(body) });
  const text = await response.body.text();
  assert.equal(response.statusCode, 200, text);
  return { header: response.headers['x-tollgate-cost'] as string | undefined, trailer: response.trailers['x-tollgate-cost'] };
}

const chatBody = (model: string, stream = false) => ({ model, stream, max_tokens: 1_000, messages: [{ role: 'user', content: 'price me' }] });

const cases: { name: string; fake: () => FakeUpstream; model: string; usage: FakeReply['usage']; expected: string }[] = [
  // 1,760 × 2.5 + 10,240 × 1.25 + 800 × 10 µ$
  { name: 'OpenAI cached tokens (gpt-4o)', fake: () => openai, model: 'openai/gpt-4o', usage: { input: 12_000, output: 800, cachedInput: 10_240 }, expected: '0.0252' },
  // 50 × 3 + 10,000 × 0.3 + 3,000 × 3.75 + 400 × 15 µ$
  { name: 'Anthropic prompt caching (claude-sonnet-4-5)', fake: () => anthropic, model: 'anthropic/claude-sonnet-4-5', usage: { input: 13_050, output: 400, cachedInput: 10_000, cacheWrite: 3_000 }, expected: '0.0204' },
  // 2,000 × 0.3 + 6,000 × 0.03 + 2,000 × 2.5 µ$ (thoughts billed as output)
  { name: 'Gemini cached content and thoughts (gemini-2.5-flash)', fake: () => gemini, model: 'gemini/gemini-2.5-flash', usage: { input: 8_000, output: 2_000, cachedInput: 6_000, reasoning: 1_500 }, expected: '0.00578' },
];

for (const { name, fake, model, usage, expected } of cases) {
  test(`${name}: x-tollgate-cost is exact, as a header and as a stream trailer`, async () => {
    fake().enqueue({ text: 'Priced.', usage });
    assert.equal((await costOf('/v1/chat/completions', chatBody(model))).header, expected);
    fake().enqueue({ text: 'Priced.', usage });
    assert.equal((await costOf('/v1/chat/completions', chatBody(model, true))).trailer, expected);
  });
}

test('the same Anthropic usage costs the same through the Anthropic Messages surface', async () => {
  anthropic.enqueue({ text: 'Priced.', usage: cases[1]!.usage });
  const cost = await costOf('/anthropic/v1/messages', { model: 'anthropic/claude-sonnet-4-5', max_tokens: 1_000, messages: [{ role: 'user', content: 'price me' }] });
  assert.equal(cost.header, '0.0204');
});
