import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

let anthropicFake: FakeUpstream;
let running: RunningGateway;

before(async () => {
  anthropicFake = await startAnthropicFake();
  running = await startGateway({
    providers: {
      mock: { type: 'mock', models: ['mock-small'] },
      claude: { type: 'anthropic', base_url: anthropicFake.url, keys: [{ value: 'test-key-anthropic' }], models: ['claude-sonnet-4-5'], max_retries: 0 },
    },
  });
});
after(async () => {
  await running.close();
  await anthropicFake.close();
});

test('Anthropic SDK → /anthropic → an OpenAI-dialect provider (re-encoded)', async () => {
  const client = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: 'unused', maxRetries: 0 });
  const message = await client.messages.create({ model: 'mock/mock-small', max_tokens: 100, system: 'be nice', messages: [{ role: 'user', content: 'hello claude' }] });
  assert.equal(message.type, 'message');
  assert.equal(message.role, 'assistant');
  // Anthropic's ids start with msg_; the upstream's chatcmpl- id keeps its tail behind it.
  assert.match(message.id, /^msg_[A-Za-z0-9_-]+$/);
  assert.equal(message.stop_reason, 'end_turn');
  assert.match(message.content[0]!.type === 'text' ? message.content[0]!.text : '', /hello claude/);
  assert.ok(message.usage.input_tokens > 0 && message.usage.output_tokens > 0);

  const stream = client.messages.stream({ model: 'mock/mock-small', max_tokens: 100, messages: [{ role: 'user', content: 'stream claude' }] });
  const final = await stream.finalMessage();
  assert.match(final.id, /^msg_[A-Za-z0-9_-]+$/);
  assert.match(final.content[0]!.type === 'text' ? final.content[0]!.text : '', /stream claude/);
  assert.ok(final.usage.output_tokens > 0);
});

test('Anthropic SDK → /anthropic → Anthropic (bytes forwarded), errors in Anthropic\'s envelope', async () => {
  const client = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: 'unused', maxRetries: 0 });
  anthropicFake.enqueue({ text: 'Native answer.', usage: { input: 9, output: 3, cachedInput: 4 } });
  const message = await client.messages.create({ model: 'claude/claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(message.content[0]!.type === 'text' && message.content[0]!.text, 'Native answer.');
  assert.equal(message.usage.cache_read_input_tokens, 4);
  await assert.rejects(client.messages.create({ model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
    assert.ok(error instanceof Anthropic.NotFoundError);
    assert.equal((error.error as { type?: string }).type, 'error');
    return true;
  });
});

test('Google GenAI SDK → /gemini → an OpenAI-dialect provider, streaming and not', async () => {
  const ai = new GoogleGenAI({ apiKey: 'unused', httpOptions: { baseUrl: `${running.url}/gemini` } });
  const reply = await ai.models.generateContent({ model: 'mock/mock-small', contents: 'hello gemini', config: { systemInstruction: 'be brief' } });
  assert.match(reply.text ?? '', /hello gemini/);
  assert.ok((reply.usageMetadata?.promptTokenCount ?? 0) > 0);
  let streamed = '';
  for await (const chunk of await ai.models.generateContentStream({ model: 'mock/mock-small', contents: 'stream gemini' })) streamed += chunk.text ?? '';
  assert.match(streamed, /stream gemini/);
});
