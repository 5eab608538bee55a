import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import type { ResponseInputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

let anthropicFake: FakeUpstream;
let running: RunningGateway;
let client: OpenAI;

const WEATHER_TOOL = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { input: { type: 'string' } }, required: ['input'], additionalProperties: false },
  strict: true,
};

before(async () => {
  anthropicFake = await startAnthropicFake();
  running = await startGateway({
    providers: {
      mock: { type: 'mock', models: ['mock-small'] },
      claude: { type: 'anthropic', base_url: anthropicFake.url, keys: [{ value: 'test-key-anthropic' }], models: ['claude-sonnet-4-5'], max_retries: 0 },
    },
  });
  client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  await running.close();
  await anthropicFake.close();
});

async function collect(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const events: ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('Responses API over an OpenAI-dialect provider (the mock)', () => {
  test('responses.create: output_text, status and usage, under /v1 and /openai/v1', async () => {
    const response = await client.responses.create({ model: 'mock/mock-small', input: 'hello responses', instructions: 'Be nice.', store: false });
    assert.equal(response.object, 'response');
    assert.match(response.id, /^resp_/);
    assert.equal(response.status, 'completed');
    assert.equal(response.output_text, 'This is the mock provider answering: hello responses');
    assert.equal(response.output[0]!.type, 'message');
    // The mock counts a token per four characters: "Be nice.\nhello responses" is 24 characters.
    assert.equal(response.usage!.input_tokens, 6);
    assert.equal(response.usage!.output_tokens, Math.ceil(response.output_text.length / 4));
    assert.equal(response.usage!.total_tokens, response.usage!.input_tokens + response.usage!.output_tokens);

    const prefixed = new OpenAI({ baseURL: `${running.url}/openai/v1`, apiKey: 'unused', maxRetries: 0 });
    const again = await prefixed.responses.create({ model: 'mock/mock-small', input: [{ role: 'user', content: [{ type: 'input_text', text: 'prefixed path' }] }] });
    assert.match(again.output_text, /prefixed path$/);
  });

  test('stream: true gives the documented event sequence, ending in response.completed with usage', async () => {
    const events = await collect(await client.responses.create({ model: 'mock/mock-small', input: 'stream me please', stream: true }));
    assert.deepEqual(events.map((event) => event.sequence_number), events.map((_, index) => index));
    const types = events.map((event) => event.type);
    assert.deepEqual(types.slice(0, 4), ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    assert.deepEqual(types.slice(-4), ['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    let text = '';
    for (const event of events) if (event.type === 'response.output_text.delta') text += event.delta;
    assert.equal(text, 'This is the mock provider answering: stream me please');
    const completed = events[events.length - 1]!;
    assert.ok(completed.type === 'response.completed');
    assert.equal(completed.response.usage!.input_tokens, 4);
    assert.equal(completed.response.usage!.output_tokens, Math.ceil(text.length / 4));

    // The SDK's own accumulator rebuilds the same response from our events.
    const final = await client.responses.stream({ model: 'mock/mock-small', input: 'accumulate me' }).finalResponse();
    assert.equal(final.output_text, 'This is the mock provider answering: accumulate me');
    assert.equal(final.status, 'completed');
  });

  test('function calls round trip: function_call item out, function_call_output in', async () => {
    const first = await client.responses.create({ model: 'mock/mock-small', input: 'weather in Oslo?', tools: [WEATHER_TOOL] });
    const call = first.output.find((item) => item.type === 'function_call');
    assert.ok(call !== undefined && call.type === 'function_call');
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.arguments), { input: 'weather in Oslo?' });
    assert.match(call.id ?? '', /^fc_/);
    assert.equal(call.status, 'completed');
    assert.equal(first.output_text, '');

    // Stateless: the caller replays the whole conversation, including the model's own output items.
    const input: ResponseInputItem[] = [{ role: 'user', content: 'weather in Oslo?' }, ...(first.output as ResponseInputItem[]), { type: 'function_call_output', call_id: call.call_id, output: '12 degrees and rain' }];
    const second = await client.responses.create({ model: 'mock/mock-small', input, tools: [WEATHER_TOOL] });
    assert.equal(second.output_text, 'The tool answered: 12 degrees and rain');
  });

  test('streamed function call: arguments delta and done events, and a complete item at the end', async () => {
    const events = await collect(await client.responses.create({ model: 'mock/mock-small', input: 'stream a call', tools: [WEATHER_TOOL], stream: true }));
    const added = events.find((event) => event.type === 'response.output_item.added');
    assert.ok(added?.type === 'response.output_item.added' && added.item.type === 'function_call');
    assert.equal(added.item.name, 'get_weather');
    let streamed = '';
    for (const event of events) if (event.type === 'response.function_call_arguments.delta') streamed += event.delta;
    const done = events.find((event) => event.type === 'response.function_call_arguments.done');
    assert.ok(done?.type === 'response.function_call_arguments.done');
    assert.equal(done.arguments, streamed);
    assert.deepEqual(JSON.parse(done.arguments), { input: 'stream a call' });
    const completed = events[events.length - 1]!;
    assert.ok(completed.type === 'response.completed');
    const item = completed.response.output[0]!;
    assert.ok(item.type === 'function_call');
    assert.equal(item.call_id, added.item.call_id);
    assert.equal(item.arguments, streamed);
  });

  test('errors come in OpenAI\'s envelope: unknown stored responses, built-in tools, unknown models', async () => {
    await assert.rejects(client.responses.create({ model: 'mock/mock-small', input: 'x', previous_response_id: 'resp_earlier' }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.NotFoundError);
      assert.equal(error.code, 'response_not_found');
      assert.equal(error.param, 'previous_response_id');
      return true;
    });
    await assert.rejects(client.responses.create({ model: 'mock/mock-small', input: 'x', tools: [{ type: 'web_search' }] }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.BadRequestError);
      assert.equal(error.param, 'tools[0].type');
      return true;
    });
    await assert.rejects(client.responses.create({ model: 'mock/mock-small', input: [] }), (error: unknown) => error instanceof OpenAI.BadRequestError && error.code === 'invalid_request' && error.param === 'input');
    await assert.rejects(client.responses.create({ model: 'no-such-model', input: 'x', stream: true }), (error: unknown) => error instanceof OpenAI.NotFoundError && error.code === 'model_not_found');
  });
});

describe('Responses API over Anthropic (cross-dialect translation)', () => {
  test('text with cached-token usage, not streaming and streaming', async () => {
    anthropicFake.enqueue({ text: 'Bonjour from Claude.', usage: { input: 30, output: 6, cachedInput: 20 } });
    const response = await client.responses.create({ model: 'claude/claude-sonnet-4-5', input: 'Say hello', instructions: 'Answer in French.', max_output_tokens: 200 });
    assert.equal(response.output_text, 'Bonjour from Claude.');
    assert.deepEqual(response.usage, { input_tokens: 30, input_tokens_details: { cached_tokens: 20 }, output_tokens: 6, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 36 });
    const sent = anthropicFake.requests[anthropicFake.requests.length - 1]!.summary!;
    assert.equal(sent.system, 'Answer in French.');
    assert.equal(sent.maxOutputTokens, 200);
    assert.deepEqual(sent.messages.map((message) => [message.role, message.text]), [['user', 'Say hello']]);

    anthropicFake.enqueue({ text: 'Streamed from Claude.', usage: { input: 11, output: 4 } });
    const final = await client.responses.stream({ model: 'claude/claude-sonnet-4-5', input: 'stream please' }).finalResponse();
    assert.equal(final.output_text, 'Streamed from Claude.');
    assert.equal(final.usage!.input_tokens, 11);
    assert.equal(final.usage!.output_tokens, 4);
    assert.equal(anthropicFake.requests[anthropicFake.requests.length - 1]!.summary!.stream, true);
  });

  test('tool use round trip with thinking: the signature comes back as encrypted_content and returns to Claude', async () => {
    anthropicFake.enqueue({
      reasoning: 'The user wants weather.',
      text: 'Checking.',
      toolCalls: [{ id: 'toolu_01', name: 'get_weather', arguments: '{"input":"Oslo"}' }],
      usage: { input: 50, output: 20 },
    });
    const first = await client.responses.stream({ model: 'claude/claude-sonnet-4-5', input: 'Weather in Oslo?', tools: [WEATHER_TOOL], reasoning: { effort: 'low' } }).finalResponse();
    assert.deepEqual(first.output.map((item) => item.type), ['reasoning', 'message', 'function_call']);
    const reasoning = first.output[0]!;
    assert.ok(reasoning.type === 'reasoning');
    assert.deepEqual(reasoning.summary, [{ type: 'summary_text', text: 'The user wants weather.' }]);
    assert.match(reasoning.encrypted_content ?? '', /^fake-signature-/);
    const call = first.output[2]!;
    assert.ok(call.type === 'function_call');
    assert.deepEqual([call.call_id, call.name, call.arguments], ['toolu_01', 'get_weather', '{"input":"Oslo"}']);
    assert.equal(anthropicFake.requests[anthropicFake.requests.length - 1]!.summary!.tools[0], 'get_weather');

    anthropicFake.enqueue({ text: 'It is 12 degrees in Oslo.', usage: { input: 80, output: 9 } });
    const input: ResponseInputItem[] = [{ role: 'user', content: 'Weather in Oslo?' }, ...(first.output as ResponseInputItem[]), { type: 'function_call_output', call_id: 'toolu_01', output: '12 degrees' }];
    const second = await client.responses.create({ model: 'claude/claude-sonnet-4-5', input, tools: [WEATHER_TOOL], reasoning: { effort: 'low' } });
    assert.equal(second.output_text, 'It is 12 degrees in Oslo.');

    const recorded = anthropicFake.requests[anthropicFake.requests.length - 1]!;
    assert.deepEqual(
      recorded.summary!.messages.map((message) => [message.role, message.text, message.toolCalls.map((toolCall) => toolCall.id), message.toolCallId]),
      [
        ['user', 'Weather in Oslo?', [], undefined],
        ['assistant', 'Checking.', ['toolu_01'], undefined],
        ['tool', '12 degrees', [], 'toolu_01'],
      ],
    );
    const assistant = (recorded.body as { messages: { content: { type: string; thinking?: string; signature?: string }[] }[] }).messages[1]!;
    assert.deepEqual(assistant.content[0], { type: 'thinking', thinking: 'The user wants weather.', signature: reasoning.encrypted_content });
  });

  test('a stream that breaks after content ends with an `error` event and response.failed', async () => {
    anthropicFake.enqueue({ text: 'This answer will be cut off somewhere in the middle.', usage: { input: 10, output: 12 }, breakAfterEvents: 6, eventIntervalMs: 10 });
    const events = await collect(await client.responses.create({ model: 'claude/claude-sonnet-4-5', input: 'x', stream: true }));
    assert.ok(events.some((event) => event.type === 'response.output_text.delta'));
    assert.deepEqual(events.slice(-2).map((event) => event.type), ['error', 'response.failed']);
    const errorEvent = events[events.length - 2]!;
    assert.ok(errorEvent.type === 'error');
    assert.equal(errorEvent.code, 'upstream_stream_error');
    const failed = events[events.length - 1]!;
    assert.ok(failed.type === 'response.failed');
    assert.equal(failed.response.status, 'failed');
    assert.equal(failed.response.error?.code, 'server_error');
    assert.equal(events.some((event) => event.type === 'response.completed'), false);
  });

  test('an upstream error reaches the caller in OpenAI\'s envelope', async () => {
    anthropicFake.enqueue({ error: { status: 400, message: 'messages: too long', type: 'invalid_request_error' } });
    await assert.rejects(client.responses.create({ model: 'claude/claude-sonnet-4-5', input: 'x' }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, 400);
      assert.equal(error.code, 'upstream_error');
      assert.match(error.message, /too long/);
      return true;
    });
  });
});
