import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openaiChatCodec } from '../../src/codecs/openai-chat/index.js';
import { GatewayError, type ChatRequest } from '../../src/spec/index.js';

const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

function decode(body: unknown): ChatRequest {
  return openaiChatCodec.decodeRequest(body);
}

function rejects(body: unknown, param: string, message?: RegExp): void {
  assert.throws(
    () => decode(body),
    (error: unknown) => {
      assert.ok(GatewayError.is(error), 'a GatewayError');
      assert.equal(error.code, 'invalid_request');
      assert.equal(error.status, 400);
      assert.equal(error.param, param);
      if (message !== undefined) assert.match(error.message, message);
      return true;
    },
  );
}

const user = (content: unknown) => ({ model: 'gpt-4o', messages: [{ role: 'user', content }] });

describe('openai-chat decodeRequest', () => {
  test('maps every modeled field', () => {
    const request = decode({
      model: 'gpt-4o',
      messages: [
        { role: 'developer', content: 'Be terse.' },
        { role: 'system', content: [{ type: 'text', text: 'Part one.' }] },
        { role: 'user', name: 'ann', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PIXEL}`, detail: 'low' } }, { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"sky":"clear"}' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
      max_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      stop: 'END',
      seed: 7,
      n: 2,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      user: 'user-1',
      reasoning_effort: 'low',
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.equal(request.model, 'gpt-4o');
    assert.deepEqual(request.messages[0], { role: 'system', content: [{ type: 'text', text: 'Be terse.' }] });
    assert.deepEqual(request.messages[1], { role: 'system', content: [{ type: 'text', text: 'Part one.' }] });
    assert.deepEqual(request.messages[2], {
      role: 'user',
      name: 'ann',
      content: [
        { type: 'text', text: 'look' },
        { type: 'image', data: PIXEL, mediaType: 'image/png', detail: 'low' },
        { type: 'image', url: 'https://example.com/cat.png' },
      ],
    });
    assert.deepEqual(request.messages[3], { role: 'assistant', content: [], toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    assert.deepEqual(request.messages[4], { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: '{"sky":"clear"}' }] });
    assert.deepEqual(request.tools, [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true }]);
    assert.deepEqual(request.toolChoice, { type: 'tool', name: 'get_weather' });
    assert.equal(request.parallelToolCalls, false);
    assert.deepEqual(request.responseFormat, { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true });
    assert.equal(request.maxOutputTokens, 100);
    assert.equal(request.temperature, 0.2);
    assert.equal(request.topP, 0.9);
    assert.deepEqual(request.stop, ['END']);
    assert.equal(request.seed, 7);
    assert.equal(request.n, 2);
    assert.equal(request.presencePenalty, 0.5);
    assert.equal(request.frequencyPenalty, -0.5);
    assert.equal(request.user, 'user-1');
    assert.equal(request.reasoningEffort, 'low');
    assert.equal(request.stream, true);
    assert.equal(request.includeUsage, true);
    assert.equal(request.extra, undefined);
  });

  test('max_completion_tokens wins over max_tokens', () => {
    assert.equal(decode({ ...user('hi'), max_tokens: 10, max_completion_tokens: 20 }).maxOutputTokens, 20);
    assert.equal(decode({ ...user('hi'), max_completion_tokens: 30 }).maxOutputTokens, 30);
  });

  test('null optional fields are treated as absent', () => {
    const request = decode({ ...user('hi'), temperature: null, stop: null, tools: null, stream_options: null, max_tokens: null });
    assert.equal(request.temperature, undefined);
    assert.equal(request.stop, undefined);
    assert.equal(request.tools, undefined);
    assert.equal(request.maxOutputTokens, undefined);
    assert.equal(request.stream, false);
  });

  test('fallbacks go to gateway options, unknown fields to extra', () => {
    const request = decode({ ...user('hi'), fallbacks: ['backup-model'], logprobs: true, metadata: { team: 'a' } });
    assert.deepEqual(request.gateway, { fallbacks: ['backup-model'] });
    assert.deepEqual(request.extra, { logprobs: true, metadata: { team: 'a' } });
    assert.equal(request.extraDialect, 'openai-chat');
  });

  test('legacy functions and function_call', () => {
    const request = decode({
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: null, function_call: { name: 'get_weather', arguments: '{}' } },
        { role: 'function', name: 'get_weather', content: 'sunny' },
      ],
      functions: [{ name: 'get_weather', parameters: { type: 'object', properties: {} } }],
      function_call: { name: 'get_weather' },
    });
    assert.deepEqual(request.tools?.map((tool) => tool.name), ['get_weather']);
    assert.deepEqual(request.toolChoice, { type: 'tool', name: 'get_weather' });
    const assistant = request.messages[1]!;
    assert.ok(assistant.role === 'assistant');
    assert.deepEqual(assistant.toolCalls, [{ id: 'get_weather', name: 'get_weather', arguments: '{}' }]);
    const result = request.messages[2]!;
    assert.ok(result.role === 'tool');
    assert.equal(result.toolCallId, 'get_weather');
  });

  test('tool without parameters gets an empty object schema; string tool choices', () => {
    const request = decode({ ...user('hi'), tools: [{ type: 'function', function: { name: 'now' } }], tool_choice: 'required' });
    assert.deepEqual(request.tools![0]!.parameters, { type: 'object', properties: {} });
    assert.deepEqual(request.toolChoice, { type: 'required' });
  });

  describe('every validation error names its param', () => {
    const cases: [string, unknown, string][] = [
      ['body not an object', [], 'body'],
      ['missing model', { messages: [{ role: 'user', content: 'x' }] }, 'model'],
      ['model not a string', { model: 5, messages: [{ role: 'user', content: 'x' }] }, 'model'],
      ['empty model', { model: '', messages: [{ role: 'user', content: 'x' }] }, 'model'],
      ['missing messages', { model: 'm' }, 'messages'],
      ['messages not an array', { model: 'm', messages: 'hi' }, 'messages'],
      ['empty messages', { model: 'm', messages: [] }, 'messages'],
      ['message not an object', { model: 'm', messages: ['hi'] }, 'messages[0]'],
      ['bad role', { model: 'm', messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role'],
      ['missing user content', { model: 'm', messages: [{ role: 'user' }] }, 'messages[0].content'],
      ['content wrong type', user(42), 'messages[0].content'],
      ['bad content part type', user([{ type: 'video', video: {} }]), 'messages[0].content[0].type'],
      ['text part without text', user([{ type: 'text' }]), 'messages[0].content[0].text'],
      ['image part without url', user([{ type: 'image_url', image_url: {} }]), 'messages[0].content[0].image_url.url'],
      ['bad image detail', user([{ type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'ultra' } }]), 'messages[0].content[0].image_url.detail'],
      ['data URI not base64', user([{ type: 'image_url', image_url: { url: 'data:image/png,abc' } }]), 'messages[0].content[0].image_url.url'],
      ['image in system message', { model: 'm', messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x' } }] }] }, 'messages[0].content[0].type'],
      ['tool message without id', { model: 'm', messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].tool_call_id'],
      ['tool call without function', { model: 'm', messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function' }] }] }, 'messages[0].tool_calls[0].function'],
      ['tool call without id', { model: 'm', messages: [{ role: 'assistant', tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{}' } }] }] }, 'messages[0].tool_calls[0].id'],
      ['assistant without content', { model: 'm', messages: [{ role: 'assistant' }] }, 'messages[0].content'],
      ['tools not an array', { ...user('x'), tools: {} }, 'tools'],
      ['tool wrong type', { ...user('x'), tools: [{ type: 'retrieval' }] }, 'tools[0].type'],
      ['tool without name', { ...user('x'), tools: [{ type: 'function', function: {} }] }, 'tools[0].function.name'],
      ['tool parameters not an object', { ...user('x'), tools: [{ type: 'function', function: { name: 'f', parameters: 'x' } }] }, 'tools[0].function.parameters'],
      ['bad tool_choice', { ...user('x'), tool_choice: 'sometimes' }, 'tool_choice'],
      ['tool_choice without name', { ...user('x'), tool_choice: { type: 'function', function: {} } }, 'tool_choice.function.name'],
      ['bad response_format', { ...user('x'), response_format: { type: 'xml' } }, 'response_format.type'],
      ['json_schema without name', { ...user('x'), response_format: { type: 'json_schema', json_schema: { schema: {} } } }, 'response_format.json_schema.name'],
      ['temperature string', { ...user('x'), temperature: 'hot' }, 'temperature'],
      ['temperature out of range', { ...user('x'), temperature: 3 }, 'temperature'],
      ['top_p out of range', { ...user('x'), top_p: 1.5 }, 'top_p'],
      ['max_tokens zero', { ...user('x'), max_tokens: 0 }, 'max_tokens'],
      ['max_completion_tokens fractional', { ...user('x'), max_completion_tokens: 1.5 }, 'max_completion_tokens'],
      ['n zero', { ...user('x'), n: 0 }, 'n'],
      ['seed fractional', { ...user('x'), seed: 1.5 }, 'seed'],
      ['stop with a number', { ...user('x'), stop: ['a', 1] }, 'stop[1]'],
      ['stream not boolean', { ...user('x'), stream: 'yes' }, 'stream'],
      ['stream_options.include_usage not boolean', { ...user('x'), stream_options: { include_usage: 'yes' } }, 'stream_options.include_usage'],
      ['presence_penalty out of range', { ...user('x'), presence_penalty: 5 }, 'presence_penalty'],
      ['user not a string', { ...user('x'), user: 1 }, 'user'],
      ['fallbacks not strings', { ...user('x'), fallbacks: [1] }, 'fallbacks[0]'],
      ['parallel_tool_calls not boolean', { ...user('x'), parallel_tool_calls: 'no' }, 'parallel_tool_calls'],
    ];
    for (const [name, body, param] of cases) test(name, () => rejects(body, param));
  });

  test('messages mention the offending value', () => {
    rejects({ model: 'm', messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role', /`wizard`/);
    rejects({ ...user('x'), temperature: 'hot' }, 'temperature', /must be a number, got a string/);
  });
});

describe('openai-chat encodeRequest', () => {
  test('decode → encode keeps the wire body (OpenAI field names, extras passed through)', () => {
    const body = {
      model: 'caller-model',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PIXEL}`, detail: 'high' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'ok' },
        { role: 'assistant', content: 'done', name: 'bot' },
        { role: 'user', content: 'thanks', name: 'ann' },
      ],
      tools: [{ type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object', properties: {} }, strict: true } }],
      tool_choice: 'auto',
      parallel_tool_calls: true,
      response_format: { type: 'json_object' },
      max_completion_tokens: 64,
      temperature: 0.5,
      top_p: 0.8,
      stop: ['x', 'y'],
      seed: 3,
      n: 1,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      user: 'u',
      reasoning_effort: 'high',
      logprobs: true,
      top_logprobs: 2,
    };
    const encoded = openaiChatCodec.encodeRequest(decode(body), 'upstream-model');
    assert.deepEqual(encoded, { ...body, model: 'upstream-model' });
  });

  test('streaming always asks for usage upstream', () => {
    const encoded = openaiChatCodec.encodeRequest(decode({ ...user('hi'), stream: true }), 'gpt-4o');
    assert.equal(encoded.stream, true);
    assert.deepEqual(encoded.stream_options, { include_usage: true });
    const plain = openaiChatCodec.encodeRequest(decode(user('hi')), 'gpt-4o');
    assert.equal('stream' in plain, false);
    assert.equal('stream_options' in plain, false);
  });

  test('tool_choice and parallel_tool_calls are only sent with tools', () => {
    const encoded = openaiChatCodec.encodeRequest(decode({ ...user('hi'), tool_choice: 'none', parallel_tool_calls: false }), 'gpt-4o');
    assert.equal('tool_choice' in encoded, false);
    assert.equal('parallel_tool_calls' in encoded, false);
  });

  test('max_tokens from the caller goes upstream as max_completion_tokens', () => {
    const encoded = openaiChatCodec.encodeRequest(decode({ ...user('hi'), max_tokens: 12 }), 'gpt-4o');
    assert.equal(encoded.max_completion_tokens, 12);
    assert.equal('max_tokens' in encoded, false);
  });

  test('extras of another dialect and gateway options are not sent', () => {
    const request = decode({ ...user('hi'), fallbacks: ['b'] });
    const encoded = openaiChatCodec.encodeRequest({ ...request, extra: { thinking: { type: 'enabled' } }, extraDialect: 'anthropic-messages' }, 'gpt-4o');
    assert.equal('thinking' in encoded, false);
    assert.equal('fallbacks' in encoded, false);
  });

  test('an extra field can never override a modeled one', () => {
    const encoded = openaiChatCodec.encodeRequest({ model: 'a', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }], stream: false, extra: { model: 'evil' }, extraDialect: 'openai-chat' }, 'upstream');
    assert.equal(encoded.model, 'upstream');
  });

  test('reasoning parts are not sent back; URL images keep their URL', () => {
    const encoded = openaiChatCodec.encodeRequest(
      {
        model: 'm',
        stream: false,
        messages: [
          { role: 'user', content: [{ type: 'image', url: 'https://example.com/a.png' }] },
          { role: 'assistant', content: [{ type: 'reasoning', text: 'thinking', signature: 'sig' }, { type: 'text', text: 'answer' }] },
        ],
      },
      'm',
    );
    const messages = encoded.messages as Record<string, unknown>[];
    assert.deepEqual(messages[0], { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] });
    assert.deepEqual(messages[1], { role: 'assistant', content: 'answer' });
  });
});
