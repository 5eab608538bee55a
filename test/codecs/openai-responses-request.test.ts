import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openaiResponsesCodec as codec, responsesInputItems } from '../../src/codecs/openai-responses/index.js';
import { GatewayError, type ChatRequest } from '../../src/spec/index.js';

const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

function rejectsWith(body: unknown, code: string, param: string, message?: RegExp): void {
  assert.throws(
    () => codec.decodeRequest(body),
    (error: unknown) => {
      assert.ok(GatewayError.is(error), String(error));
      assert.equal(error.code, code);
      assert.equal(error.param, param);
      if (message !== undefined) assert.match(error.message, message);
      return true;
    },
  );
}

/** A Codex-style conversation: a tool call and its output, replayed in full as the stateless API requires. */
const CONVERSATION = [
  { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Use the shell.' }] },
  { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'List files' }, { type: 'input_image', image_url: `data:image/png;base64,${PIXEL}`, detail: 'low' }] },
  { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'I should run ls.' }], encrypted_content: 'sig-123' },
  { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Running ls.', annotations: [] }] },
  { type: 'function_call', id: 'fc_1', call_id: 'call_a', name: 'shell', arguments: '{"command":["ls"]}' },
  { type: 'function_call', id: 'fc_2', call_id: 'call_b', name: 'shell', arguments: '{"command":["pwd"]}' },
  { type: 'function_call_output', call_id: 'call_a', output: 'README.md' },
  { type: 'function_call_output', call_id: 'call_b', output: [{ type: 'input_text', text: '/work' }] },
  { role: 'assistant', content: 'Done.' },
  { role: 'user', content: 'thanks' },
];

describe('openai-responses decodeRequest', () => {
  test('a string input is one user message; instructions become the system message', () => {
    const request = codec.decodeRequest({ model: 'gpt-5', input: 'hello', instructions: 'Be brief.' });
    assert.deepEqual(request.messages, [
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      { role: 'user', content: [{ type: 'text', text: 'hello' }] },
    ]);
    assert.equal(request.stream, false);
    assert.equal(request.model, 'gpt-5');
  });

  test('items: assistant-side items group into one turn, each function_call_output is a tool message', () => {
    const request = codec.decodeRequest({ model: 'gpt-5', input: CONVERSATION });
    assert.deepEqual(request.messages, [
      { role: 'system', content: [{ type: 'text', text: 'Use the shell.' }] },
      { role: 'user', content: [{ type: 'text', text: 'List files' }, { type: 'image', data: PIXEL, mediaType: 'image/png', detail: 'low' }] },
      {
        role: 'assistant',
        content: [{ type: 'reasoning', text: 'I should run ls.', signature: 'sig-123' }, { type: 'text', text: 'Running ls.' }],
        toolCalls: [
          { id: 'call_a', name: 'shell', arguments: '{"command":["ls"]}' },
          { id: 'call_b', name: 'shell', arguments: '{"command":["pwd"]}' },
        ],
      },
      { role: 'tool', toolCallId: 'call_a', content: [{ type: 'text', text: 'README.md' }] },
      { role: 'tool', toolCallId: 'call_b', content: [{ type: 'text', text: '/work' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Done.' }] },
      { role: 'user', content: [{ type: 'text', text: 'thanks' }] },
    ]);
  });

  test('flat function tools, tool_choice, sampling, text.format, reasoning.effort, metadata and unknown fields', () => {
    const request = codec.decodeRequest({
      model: 'gpt-5',
      input: 'hi',
      stream: true,
      store: false,
      include: ['reasoning.encrypted_content'],
      tools: [
        { type: 'function', name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true },
        { type: 'function', name: 'now', parameters: null, strict: null },
      ],
      tool_choice: { type: 'function', name: 'get_weather' },
      parallel_tool_calls: false,
      max_output_tokens: 300,
      temperature: 0.5,
      top_p: 0.9,
      text: { format: { type: 'json_schema', name: 'weather', schema: { type: 'object' }, strict: true } },
      reasoning: { effort: 'low', summary: 'auto' },
      metadata: { ticket: 'T-1' },
      user: 'user-7',
      prompt_cache_key: 'codex-session-1',
    });
    assert.equal(request.stream, true);
    assert.deepEqual(request.tools, [
      { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true },
      { name: 'now', parameters: { type: 'object', properties: {} } },
    ]);
    assert.deepEqual(request.toolChoice, { type: 'tool', name: 'get_weather' });
    assert.equal(request.parallelToolCalls, false);
    assert.equal(request.maxOutputTokens, 300);
    assert.equal(request.temperature, 0.5);
    assert.equal(request.topP, 0.9);
    assert.deepEqual(request.responseFormat, { type: 'json_schema', name: 'weather', schema: { type: 'object' }, strict: true });
    assert.equal(request.reasoningEffort, 'low');
    assert.deepEqual(request.gateway, { metadata: { ticket: 'T-1' } });
    assert.equal(request.user, 'user-7');
    // `store` and `include` are understood (and need nothing); only truly unknown fields travel as extra.
    assert.deepEqual(request.extra, { prompt_cache_key: 'codex-session-1' });
    assert.equal(request.extraDialect, 'openai-responses');
    assert.deepEqual(codec.decodeRequest({ model: 'm', input: 'x', tool_choice: 'required' }).toolChoice, { type: 'required' });
    assert.deepEqual(codec.decodeRequest({ model: 'm', input: 'x', text: { format: { type: 'json_object' } } }).responseFormat, { type: 'json_object' });
  });

  test('validation errors name the parameter', () => {
    rejectsWith({ input: 'x' }, 'invalid_request', 'model');
    rejectsWith({ model: 'm' }, 'invalid_request', 'input');
    rejectsWith({ model: 'm', input: [] }, 'invalid_request', 'input');
    rejectsWith({ model: 'm', input: 42 }, 'invalid_request', 'input');
    rejectsWith({ model: 'm', input: [{ role: 'robot', content: 'x' }] }, 'invalid_request', 'input[0].role');
    rejectsWith({ model: 'm', input: [{ role: 'user', content: [{ type: 'output_text', text: 'x' }] }] }, 'invalid_request', 'input[0].content[0].type');
    rejectsWith({ model: 'm', input: [{ role: 'system', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }] }, 'invalid_request', 'input[0].content[0].type');
    rejectsWith({ model: 'm', input: [{ role: 'user', content: 'x' }, { type: 'function_call', name: 'f', arguments: '{}' }] }, 'invalid_request', 'input[1].call_id');
    rejectsWith({ model: 'm', input: [{ type: 'function_call_output', call_id: 'c' }] }, 'invalid_request', 'input[0].output');
    rejectsWith({ model: 'm', input: 'x', temperature: 3 }, 'invalid_request', 'temperature');
    rejectsWith({ model: 'm', input: 'x', max_output_tokens: 0 }, 'invalid_request', 'max_output_tokens');
    rejectsWith({ model: 'm', input: 'x', tools: [{ type: 'function', parameters: {} }] }, 'invalid_request', 'tools[0].name');
    rejectsWith({ model: 'm', input: 'x', tool_choice: 'sometimes' }, 'invalid_request', 'tool_choice');
    rejectsWith({ model: 'm', input: 'x', text: { format: { type: 'yaml' } } }, 'invalid_request', 'text.format.type');
    rejectsWith({ model: 'm', input: 'x', text: { format: { type: 'json_schema', schema: {} } } }, 'invalid_request', 'text.format.name');
    rejectsWith({ model: 'm', input: 'x', metadata: { count: 3 } }, 'invalid_request', 'metadata.count');
    rejectsWith({ model: 'm', input: 'x', reasoning: { effort: 5 } }, 'invalid_request', 'reasoning.effort');
  });

  test('store, previous_response_id and background become conversation state; state the gateway does not keep is refused', () => {
    const request = codec.decodeRequest({ model: 'm', input: 'x', instructions: 'Be brief.', previous_response_id: 'resp_123', store: true, background: true, metadata: { a: 'b' } });
    const conversation = request.conversation!;
    assert.equal(conversation.dialect, 'openai-responses');
    assert.equal(conversation.previousResponseId, 'resp_123');
    assert.equal(conversation.store, true);
    assert.equal(conversation.background, true);
    assert.equal(conversation.instructions, 'Be brief.');
    assert.deepEqual(conversation.echo, { instructions: 'Be brief.', metadata: { a: 'b' } });
    assert.equal(conversation.input, 'x');
    // The input as stored items: a string is one user message with an input_text part, given an id.
    const items = responsesInputItems(conversation.input);
    assert.equal(items.length, 1);
    const [item] = items;
    assert.match(String(item!.id), /^msg_[0-9a-f]{24}$/);
    assert.deepEqual({ ...item, id: undefined }, { id: undefined, type: 'message', role: 'user', content: [{ type: 'input_text', text: 'x' }] });
    rejectsWith({ model: 'm', input: 'x', previous_response_id: '' }, 'invalid_request', 'previous_response_id');
    rejectsWith({ model: 'm', input: 'x', previous_response_id: 5 }, 'invalid_request', 'previous_response_id');
    rejectsWith({ model: 'm', input: 'x', background: 'yes' }, 'invalid_request', 'background');
    rejectsWith({ model: 'm', input: 'x', conversation: 'conv_1' }, 'unsupported_parameter', 'conversation', /does not keep.*previous_response_id/s);
    rejectsWith({ model: 'm', input: 'x', prompt: { id: 'pmpt_1' } }, 'unsupported_parameter', 'prompt', /does not keep/);
    rejectsWith({ model: 'm', input: [{ type: 'item_reference', id: 'msg_1' }] }, 'unsupported_parameter', 'input[0].type', /does not keep/);
    // A null previous_response_id (sent by some clients) is no request for state.
    const plain = codec.decodeRequest({ model: 'm', input: 'x', previous_response_id: null, store: true });
    assert.equal(plain.messages.length, 1);
    assert.equal(plain.conversation!.previousResponseId, undefined);
  });

  test('built-in tools, uploaded files and other item types are refused as unsupported', () => {
    rejectsWith({ model: 'm', input: 'x', tools: [{ type: 'web_search' }] }, 'unsupported_parameter', 'tools[0].type', /`web_search`.*function/s);
    rejectsWith({ model: 'm', input: 'x', tools: [{ type: 'function', name: 'f' }, { type: 'file_search', vector_store_ids: [] }] }, 'unsupported_parameter', 'tools[1].type');
    rejectsWith({ model: 'm', input: 'x', tool_choice: { type: 'web_search_preview' } }, 'unsupported_parameter', 'tool_choice.type');
    rejectsWith({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-abc', detail: 'auto' }] }] }, 'unsupported_parameter', 'input[0].content[0].file_id', /uploaded to OpenAI/);
    rejectsWith({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-abc' }] }] }, 'unsupported_parameter', 'input[0].content[0].file_id');
    rejectsWith({ model: 'm', input: [{ type: 'web_search_call', id: 'ws_1', status: 'completed' }] }, 'unsupported_parameter', 'input[0].type');
  });

  test('files: data URLs and file URLs; redacted reasoning from encrypted content alone', () => {
    const request = codec.decodeRequest({
      model: 'm',
      input: [
        { role: 'user', content: [{ type: 'input_file', file_data: 'data:application/pdf;base64,JVBERi0x', filename: 'a.pdf' }, { type: 'input_file', file_url: 'https://example.com/b.pdf' }] },
        { type: 'reasoning', summary: [], encrypted_content: 'opaque' },
      ],
    });
    assert.deepEqual(request.messages[0]!.content, [
      { type: 'file', data: 'JVBERi0x', mediaType: 'application/pdf', filename: 'a.pdf' },
      { type: 'file', url: 'https://example.com/b.pdf', mediaType: 'application/pdf' },
    ]);
    assert.deepEqual(request.messages[1], { role: 'assistant', content: [{ type: 'redacted-reasoning', data: 'opaque' }] });
  });
});

describe('openai-responses encodeRequest', () => {
  test('decode → encode gives back the same items, stateless and with explicit strictness', () => {
    const decoded = codec.decodeRequest({
      model: 'route',
      input: CONVERSATION,
      tools: [{ type: 'function', name: 'shell', parameters: { type: 'object', properties: {} } }],
      tool_choice: 'auto',
      max_output_tokens: 100,
      text: { format: { type: 'json_object' } },
      reasoning: { effort: 'high' },
      prompt_cache_key: 'k1',
      stream: true,
    });
    const body = codec.encodeRequest(decoded, 'gpt-5-codex');
    assert.equal(body.model, 'gpt-5-codex');
    assert.equal(body.store, false);
    assert.equal(body.stream, true);
    assert.equal(body.prompt_cache_key, 'k1');
    assert.equal(body.max_output_tokens, 100);
    assert.deepEqual(body.text, { format: { type: 'json_object' } });
    assert.deepEqual(body.reasoning, { effort: 'high' });
    assert.equal(body.tool_choice, 'auto');
    assert.deepEqual(body.tools, [{ type: 'function', name: 'shell', description: null, parameters: { type: 'object', properties: {} }, strict: false }]);
    assert.deepEqual(body.input, [
      { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'Use the shell.' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'List files' }, { type: 'input_image', image_url: `data:image/png;base64,${PIXEL}`, detail: 'low' }] },
      { type: 'message', role: 'assistant', content: 'Running ls.' },
      { type: 'function_call', call_id: 'call_a', name: 'shell', arguments: '{"command":["ls"]}' },
      { type: 'function_call', call_id: 'call_b', name: 'shell', arguments: '{"command":["pwd"]}' },
      { type: 'function_call_output', call_id: 'call_a', output: 'README.md' },
      { type: 'function_call_output', call_id: 'call_b', output: '/work' },
      { type: 'message', role: 'assistant', content: 'Done.' },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'thanks' }] },
    ]);
  });

  test('fields the Responses API cannot honour are refused; extras of other dialects are not sent', () => {
    const base: ChatRequest = { model: 'r', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }], stream: false };
    assert.throws(() => codec.encodeRequest({ ...base, n: 2 }, 'gpt-5'), (error: unknown) => GatewayError.is(error) && error.code === 'unsupported_parameter' && error.param === 'n');
    assert.throws(() => codec.encodeRequest({ ...base, stop: ['END'] }, 'gpt-5'), (error: unknown) => GatewayError.is(error) && error.param === 'stop');
    const body = codec.encodeRequest({ ...base, extra: { logit_bias: {} }, extraDialect: 'openai-chat', toolChoice: { type: 'tool', name: 'f' } }, 'gpt-5');
    assert.equal('logit_bias' in body, false);
    assert.deepEqual(body.tool_choice, { type: 'function', name: 'f' });
  });
});

describe('responsesInputItems (what a stored response lists as its input)', () => {
  test('easy messages become typed messages with part lists; ids are kept or given', () => {
    const items = responsesInputItems([
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello' },
      { id: 'fc_given', type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'done' },
    ]);
    assert.deepEqual(items.map((item) => String(item.id).split('_')[0]), ['msg', 'msg', 'fc', 'fco']);
    assert.equal(items[2]!.id, 'fc_given');
    assert.deepEqual(items[0]!.content, [{ type: 'input_text', text: 'Hi' }]);
    assert.deepEqual(items[1]!.content, [{ type: 'output_text', text: 'Hello' }]);
    assert.equal(items[1]!.type, 'message');
    // Replayed through the decoder, they are the same conversation.
    assert.deepEqual(
      codec.decodeRequest({ model: 'm', input: items }).messages.map((message) => message.role),
      ['user', 'assistant', 'tool'],
    );
  });
});
