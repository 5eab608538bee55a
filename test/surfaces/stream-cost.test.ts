import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { formatUsd } from '../../src/pricing/money.js';
import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGeminiFake } from '../fakes/gemini-fake.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/**
 * The cost of a streamed request in its last event, read through each official SDK's raw stream
 * (docs/observability.md, "Cost in streams"), both when the upstream's events are forwarded (same
 * dialect) and when they are re-encoded (the built-in mock provider speaks none of them).
 */
let openaiFake: FakeUpstream;
let anthropicFake: FakeUpstream;
let geminiFake: FakeUpstream;
let running: RunningGateway;

/** USD per million tokens with seven decimals: femto-USD per token 123,456,700 and 765,432,100. */
const PRICE = { input: 0.1234567, output: 0.7654321 };

/** The exact cost text of a usage at PRICE. */
function costOf(input: number, output: number): string {
  return formatUsd(BigInt(input) * 123_456_700n + BigInt(output) * 765_432_100n);
}

before(async () => {
  [openaiFake, anthropicFake, geminiFake] = await Promise.all([startOpenAIFake(), startAnthropicFake(), startGeminiFake()]);
  running = await startGateway({
    providers: {
      mock: { type: 'mock', models: ['mock-small'] },
      oai: { type: 'openai', base_url: `${openaiFake.url}/v1`, keys: [{ value: 'test-' + 'key-openai' }], models: ['gpt-4o-mini'], max_retries: 0 },
      claude: { type: 'anthropic', base_url: anthropicFake.url, keys: [{ value: 'test-' + 'key-anthropic' }], models: ['claude-sonnet-4-5'], max_retries: 0 },
      gem: { type: 'gemini', base_url: `${geminiFake.url}/v1beta`, keys: [{ value: 'test-' + 'key-gemini' }], models: ['gemini-2.5-flash'], max_retries: 0 },
    },
    pricing: { 'mock/mock-small': PRICE, 'oai/gpt-4o-mini': PRICE, 'claude/claude-sonnet-4-5': PRICE, 'gem/gemini-2.5-flash': PRICE },
  });
});

after(async () => {
  await running.close();
  await Promise.all([openaiFake.close(), anthropicFake.close(), geminiFake.close()]);
});

const openai = () => new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0 });

test('OpenAI chat: the usage chunk carries x_tollgate_cost, forwarded and re-encoded; without include_usage no chunk changes', async () => {
  openaiFake.enqueue({ text: 'forwarded answer', usage: { input: 12, output: 7 } });
  const forwarded = await openai().chat.completions.create({ model: 'oai/gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] });
  const chunks: Record<string, unknown>[] = [];
  for await (const chunk of forwarded) chunks.push(chunk as unknown as Record<string, unknown>);
  const last = chunks[chunks.length - 1]!;
  assert.deepEqual(last.choices, []);
  assert.equal((last.usage as { prompt_tokens: number }).prompt_tokens, 12);
  assert.equal(last.x_tollgate_cost, costOf(12, 7));
  assert.equal(last.x_tollgate_cost, '0.0000068395051');
  assert.equal(chunks.filter((chunk) => 'x_tollgate_cost' in chunk).length, 1);

  const reencoded = await openai().chat.completions.create({ model: 'mock/mock-small', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'count me' }] });
  let final: Record<string, any> | undefined;
  let text = '';
  for await (const chunk of reencoded) {
    text += chunk.choices[0]?.delta?.content ?? '';
    final = chunk as unknown as Record<string, any>;
  }
  assert.match(text, /count me/);
  assert.equal(final!.x_tollgate_cost, costOf(final!.usage.prompt_tokens, final!.usage.completion_tokens));

  // The SDK's own accumulating helper takes the stream as before.
  const helper = openai().chat.completions.stream({ model: 'mock/mock-small', stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'helper' }] });
  const completion = await helper.finalChatCompletion();
  assert.match(completion.choices[0]!.message.content ?? '', /helper/);
  assert.ok((completion.usage?.total_tokens ?? 0) > 0);

  const plain = await openai().chat.completions.create({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'plain' }] });
  for await (const chunk of plain) assert.equal('x_tollgate_cost' in chunk, false);
});

test('Anthropic messages: message_stop carries x_tollgate_cost, forwarded and re-encoded; MessageStream still assembles the message', async () => {
  const client = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: 'unused', maxRetries: 0 });
  anthropicFake.enqueue({ text: 'native', usage: { input: 12, output: 7 } });
  const forwarded = await client.messages.create({ model: 'claude/claude-sonnet-4-5', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi' }] });
  const events: Record<string, unknown>[] = [];
  for await (const event of forwarded) events.push(event as unknown as Record<string, unknown>);
  const stop = events[events.length - 1]!;
  assert.equal(stop.type, 'message_stop');
  assert.equal(stop.x_tollgate_cost, '0.0000068395051');

  const reencoded = await client.messages.create({ model: 'mock/mock-small', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'again' }] });
  let input = 0;
  let output = 0;
  let cost: unknown;
  for await (const event of reencoded) {
    if (event.type === 'message_start') input = event.message.usage.input_tokens;
    if (event.type === 'message_delta') {
      // The closing usage is cumulative and, when re-encoded, holds the prompt's count too.
      output = event.usage.output_tokens;
      input = event.usage.input_tokens ?? input;
    }
    if (event.type === 'message_stop') cost = (event as unknown as Record<string, unknown>).x_tollgate_cost;
  }
  assert.equal(cost, costOf(input, output));

  const final = await client.messages.stream({ model: 'mock/mock-small', max_tokens: 50, messages: [{ role: 'user', content: 'assembled' }] }).finalMessage();
  assert.match(final.content[0]!.type === 'text' ? final.content[0]!.text : '', /assembled/);
});

test('Gemini: a last chunk repeats usageMetadata with x_tollgate_cost, forwarded and re-encoded; the text is unchanged', async () => {
  const ai = new GoogleGenAI({ apiKey: 'unused', httpOptions: { baseUrl: `${running.url}/gemini` } });
  geminiFake.enqueue({ text: 'gemini says hi', usage: { input: 12, output: 7 } });
  const chunks = [];
  for await (const chunk of await ai.models.generateContentStream({ model: 'gem/gemini-2.5-flash', contents: 'hi' })) chunks.push(chunk);
  assert.equal(chunks.map((chunk) => chunk.text ?? '').join(''), 'gemini says hi');
  const last = chunks[chunks.length - 1]!;
  const usage = last.usageMetadata as Record<string, unknown>;
  assert.equal(usage.x_tollgate_cost, '0.0000068395051');
  assert.equal(usage.promptTokenCount, 12);
  assert.equal(last.candidates, undefined);

  let streamed = '';
  let final: Record<string, any> | undefined;
  for await (const chunk of await ai.models.generateContentStream({ model: 'mock/mock-small', contents: 'stream gemini' })) {
    streamed += chunk.text ?? '';
    final = chunk.usageMetadata as Record<string, any>;
  }
  assert.match(streamed, /stream gemini/);
  assert.equal(final!.x_tollgate_cost, costOf(final!.promptTokenCount, final!.candidatesTokenCount));
});

test('Responses: the closing response.completed event carries x_tollgate_cost', async () => {
  const stream = await openai().responses.create({ model: 'mock/mock-small', input: 'respond', stream: true });
  let completed: Record<string, any> | undefined;
  for await (const event of stream) if (event.type === 'response.completed') completed = event as unknown as Record<string, any>;
  assert.ok(completed !== undefined);
  const usage = completed.response.usage as { input_tokens: number; output_tokens: number };
  assert.equal(completed.x_tollgate_cost, costOf(usage.input_tokens, usage.output_tokens));

  openaiFake.enqueue({ text: 'from upstream', usage: { input: 12, output: 7 } });
  const helper = openai().responses.stream({ model: 'oai/gpt-4o-mini', input: 'hi' });
  const response = await helper.finalResponse();
  assert.equal(response.output_text, 'from upstream');
});
