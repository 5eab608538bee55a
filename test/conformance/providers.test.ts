import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { request } from 'undici';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { providerCases } from './provider-cases.js';

const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/**
 * The provider conformance suite: every adapter, driven through the gateway by the official OpenAI SDK against a
 * loopback fake that speaks the provider's wire format. Each case checks what the caller got AND what the provider
 * received.
 */
for (const providerCase of providerCases) {
  describe(`provider conformance: ${providerCase.type}`, () => {
    let fake: FakeUpstream;
    let running: RunningGateway;
    let client: OpenAI;
    const model = `upstream/${providerCase.model}`;

    before(async () => {
      fake = await providerCase.start();
      running = await startGateway({ providers: { upstream: providerCase.provider(fake) } });
      client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    });
    after(async () => {
      await running.close();
      await fake.close();
    });

    const last = () => fake.requests[fake.requests.length - 1]!;

    test('plain text, with the provider key sent and usage mapped', async () => {
      fake.enqueue({ text: 'Hello there, friend.', finish: 'stop', usage: { input: 11, output: 5 } });
      const reply = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Say hello' }] });
      assert.equal(reply.choices[0]!.message.content, 'Hello there, friend.');
      assert.equal(reply.choices[0]!.finish_reason, 'stop');
      assert.equal(reply.usage!.prompt_tokens, 11);
      assert.equal(reply.usage!.completion_tokens, 5);
      const auth = providerCase.auth;
      if ('value' in auth) assert.equal(last().headers[auth.header], auth.value);
      else assert.match(String(last().headers[auth.header]), auth.pattern);
      assert.equal(last().summary!.messages[0]!.text, 'Say hello');
    });

    test('system prompt and multi-turn history reach the provider in its own shape', async () => {
      await client.chat.completions.create({
        model,
        max_tokens: 50,
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'user', content: 'first' },
          { role: 'assistant', content: 'answer one' },
          { role: 'user', content: 'second' },
        ],
      });
      const summary = last().summary!;
      assert.equal(summary.system, 'Be terse.');
      assert.deepEqual(summary.messages.map((message) => [message.role, message.text]), [['user', 'first'], ['assistant', 'answer one'], ['user', 'second']]);
      assert.equal(summary.maxOutputTokens, 50);
    });

    test('image input (data URI) reaches the provider', async () => {
      await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PIXEL}` } }] }],
      });
      const image = last().summary!.messages[0]!.images[0];
      assert.ok(image, 'an image part was sent');
      assert.ok(image.data === PIXEL || image.url?.endsWith(PIXEL), JSON.stringify(image));
    });

    test('tool call round trip', async () => {
      const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
      fake.enqueue({ toolCalls: [{ id: 'call_abc', name: 'get_weather', arguments: '{"city":"Paris"}' }], finish: 'tool-calls', usage: { input: 30, output: 9 } });
      const first = await client.chat.completions.create({ model, tools, messages: [{ role: 'user', content: 'Weather in Paris?' }] });
      assert.equal(first.choices[0]!.finish_reason, 'tool_calls');
      const call = first.choices[0]!.message.tool_calls![0]!;
      assert.ok(call.type === 'function');
      assert.equal(call.function.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
      assert.deepEqual(last().summary!.tools, ['get_weather']);

      fake.enqueue({ text: 'It is sunny in Paris.', usage: { input: 40, output: 6 } });
      const second = await client.chat.completions.create({
        model,
        tools,
        messages: [{ role: 'user', content: 'Weather in Paris?' }, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '{"sky":"sunny"}' }],
      });
      assert.equal(second.choices[0]!.message.content, 'It is sunny in Paris.');
      const sent = last().summary!.messages;
      const assistant = sent.find((message) => message.role === 'assistant')!;
      assert.equal(assistant.toolCalls[0]!.name, 'get_weather');
      assert.deepEqual(assistant.toolCalls[0]!.arguments, { city: 'Paris' });
      const result = sent.find((message) => message.role === 'tool')!;
      assert.ok(result.toolCallId === call.id || result.toolCallId === 'get_weather', `tool result answers ${result.toolCallId}`);
      assert.match(result.text, /sunny/);
    });

    test('streamed text', async () => {
      fake.enqueue({ text: 'Streaming works across several chunks.', usage: { input: 8, output: 7 } });
      const stream = await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'stream' }] });
      let text = '';
      let finish: string | null = null;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      assert.equal(text, 'Streaming works across several chunks.');
      assert.equal(finish, 'stop');
      assert.equal(last().summary!.stream, true);
    });

    test('streamed parallel tool calls', async () => {
      fake.enqueue({
        toolCalls: [
          { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { id: 'call_2', name: 'get_weather', arguments: '{"city":"Tokyo"}' },
        ],
        finish: 'tool-calls',
        usage: { input: 20, output: 18 },
      });
      const stream = client.chat.completions.stream({
        model,
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
        messages: [{ role: 'user', content: 'Paris and Tokyo?' }],
      });
      const final = await stream.finalChatCompletion();
      const calls = final.choices[0]!.message.tool_calls!;
      assert.equal(calls.length, 2);
      assert.deepEqual(
        calls.map((call) => (call.type === 'function' ? JSON.parse(call.function.arguments).city : undefined)),
        ['Paris', 'Tokyo'],
      );
      assert.equal(final.choices[0]!.finish_reason, 'tool_calls');
    });

    test('streams are OpenAI SSE: data: chunk frames, tool-call deltas under their own index, then data: [DONE]', async () => {
      fake.enqueue({
        toolCalls: [
          { id: 'call_p', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { id: 'call_t', name: 'get_time', arguments: '{"zone":"Asia/Tokyo"}' },
        ],
        finish: 'tool-calls',
        usage: { input: 20, output: 18 },
      });
      const response = await request(`${running.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model,
          stream: true,
          tools: ['get_weather', 'get_time'].map((name) => ({ type: 'function', function: { name, parameters: { type: 'object', properties: {} } } })),
          messages: [{ role: 'user', content: 'Paris weather and Tokyo time?' }],
        }),
      });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /^text\/event-stream/);
      const frames = (await response.body.text()).split('\n\n').filter((frame) => frame.length > 0);
      assert.equal(frames.at(-1), 'data: [DONE]');
      const calls = new Map<number, { id: string; name: string; arguments: string }>();
      for (const frame of frames.slice(0, -1)) {
        assert.match(frame, /^data: \{/);
        const chunk = JSON.parse(frame.slice('data: '.length)) as OpenAI.ChatCompletionChunk;
        assert.equal(chunk.object, 'chat.completion.chunk');
        for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
          const call = calls.get(delta.index) ?? { id: '', name: '', arguments: '' };
          call.id += delta.id ?? '';
          call.name += delta.function?.name ?? '';
          call.arguments += delta.function?.arguments ?? '';
          calls.set(delta.index, call);
        }
      }
      assert.deepEqual([...calls.keys()], [0, 1]);
      assert.deepEqual([calls.get(0)!.name, JSON.parse(calls.get(0)!.arguments)], ['get_weather', { city: 'Paris' }]);
      assert.deepEqual([calls.get(1)!.name, JSON.parse(calls.get(1)!.arguments)], ['get_time', { zone: 'Asia/Tokyo' }]);
      assert.notEqual(calls.get(0)!.id, calls.get(1)!.id);
    });

    test('usage with cached tokens, non-streamed and streamed', async () => {
      const usage = { input: 1200, output: 30, cachedInput: 1000 };
      fake.enqueue({ text: 'cached', usage });
      const reply = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'cache' }] });
      assert.equal(reply.usage!.prompt_tokens, 1200);
      assert.equal(reply.usage!.completion_tokens, 30);
      assert.equal(reply.usage!.prompt_tokens_details?.cached_tokens, 1000);

      fake.enqueue({ text: 'cached', usage });
      const stream = await client.chat.completions.create({ model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'cache' }] });
      let streamed: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) if (chunk.usage) streamed = chunk.usage;
      assert.equal(streamed?.prompt_tokens, 1200);
      assert.equal(streamed?.completion_tokens, 30);
      assert.equal(streamed?.prompt_tokens_details?.cached_tokens, 1000);
    });

    test('finish reasons: length and content filter', async () => {
      fake.enqueue({ text: 'cut', finish: 'length', usage: { input: 3, output: 1 } });
      const cut = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'long' }] });
      assert.equal(cut.choices[0]!.finish_reason, 'length');
      fake.enqueue({ text: '', finish: 'content-filter', usage: { input: 3, output: 0 } });
      const filtered = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'bad' }] });
      assert.equal(filtered.choices[0]!.finish_reason, 'content_filter');
    });

    test('upstream 4xx keeps its status and message; 5xx and 429 are mapped', async () => {
      fake.enqueue({ error: { status: 400, message: 'The field foo is invalid.' } });
      await assert.rejects(client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.equal(error.status, 400);
        assert.match(error.message, /The field foo is invalid\./);
        return true;
      });
      fake.enqueue({ error: { status: 503, message: 'Overloaded right now.' } });
      await assert.rejects(client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.ok(error.status! >= 500, `status ${error.status}`);
        assert.match(error.message, /Overloaded right now\./);
        return true;
      });
      fake.enqueue({ error: { status: 429, message: 'Slow down.', retryAfterSeconds: 7 } });
      await assert.rejects(client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.RateLimitError);
        assert.equal(error.headers?.get('retry-after'), '7');
        return true;
      });
      const body = JSON.stringify(running.logs);
      const secret = 'value' in providerCase.auth ? providerCase.auth.value.replace(/^Bearer /, '') : providerCase.auth.secret;
      assert.ok(!body.includes(secret), 'the provider key never appears in logs');
    });
  });
}
