import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { anthropicMessagesCodec as codec } from '../../src/codecs/anthropic-messages/index.js';
import { GatewayError, type ChatRequest } from '../../src/spec/index.js';

const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

function request(overrides: Partial<ChatRequest>): ChatRequest {
  return { model: 'route', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, ...overrides };
}

function rejectsWith(run: () => unknown, code: string, param: string | undefined): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(GatewayError.is(error), String(error));
    assert.equal(error.code, code);
    assert.equal(error.param, param);
    return true;
  });
}

describe('anthropic encodeRequest', () => {
  test('hoists system messages to `system`, defaults max_tokens and maps sampling fields', () => {
    const body = codec.encodeRequest(
      request({
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'Be terse.' }] },
          { role: 'user', content: [{ type: 'text', text: 'hi' }] },
          { role: 'system', content: [{ type: 'text', text: 'Answer in French.' }] },
        ],
        temperature: 0.2,
        topP: 0.9,
        topK: 40,
        stop: ['END'],
        user: 'user-42',
        stream: true,
      }),
      'claude-sonnet-4-5',
    );
    assert.equal(body.model, 'claude-sonnet-4-5');
    assert.equal(body.max_tokens, 4096);
    assert.deepEqual(body.system, [{ type: 'text', text: 'Be terse.' }, { type: 'text', text: 'Answer in French.' }]);
    assert.deepEqual(body.messages, [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
    assert.equal(body.temperature, 0.2);
    assert.equal(body.top_p, 0.9);
    assert.equal(body.top_k, 40);
    assert.deepEqual(body.stop_sequences, ['END']);
    assert.deepEqual(body.metadata, { user_id: 'user-42' });
    assert.equal(body.stream, true);
  });

  test('a single system text becomes a plain string', () => {
    const body = codec.encodeRequest(request({ messages: [{ role: 'system', content: [{ type: 'text', text: 'Be terse.' }] }, { role: 'user', content: [{ type: 'text', text: 'hi' }] }], maxOutputTokens: 50 }), 'm');
    assert.equal(body.system, 'Be terse.');
    assert.equal(body.max_tokens, 50);
  });

  test('merges consecutive same-role turns and puts tool results in one user turn', () => {
    const body = codec.encodeRequest(
      request({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'one' }] },
          { role: 'user', content: [{ type: 'text', text: 'two' }] },
          {
            role: 'assistant',
            content: [{ type: 'text', text: 'Checking.' }],
            toolCalls: [
              { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
              { id: 'call_2', name: 'get_time', arguments: '' },
            ],
          },
          { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: '{"sky":"sunny"}' }] },
          { role: 'tool', toolCallId: 'call_2', content: [{ type: 'text', text: 'clock broke' }], isError: true },
          { role: 'user', content: [{ type: 'text', text: 'thanks' }] },
        ],
      }),
      'm',
    );
    assert.deepEqual(body.messages, [
      { role: 'user', content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'get_time', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: [{ type: 'text', text: '{"sky":"sunny"}' }] },
          { type: 'tool_result', tool_use_id: 'call_2', content: [{ type: 'text', text: 'clock broke' }], is_error: true },
          { type: 'text', text: 'thanks' },
        ],
      },
    ]);
  });

  test('a tool result with no content is sent without content', () => {
    const body = codec.encodeRequest(
      request({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'x' }] },
          { role: 'assistant', content: [], toolCalls: [{ id: 'c', name: 'f', arguments: '{}' }] },
          { role: 'tool', toolCallId: 'c', content: [{ type: 'text', text: '' }] },
        ],
      }),
      'm',
    );
    assert.deepEqual((body.messages as { content: unknown[] }[])[2]!.content, [{ type: 'tool_result', tool_use_id: 'c' }]);
  });

  test('tool call arguments that are not a JSON object are refused, naming the call', () => {
    const messages: ChatRequest['messages'] = [
      { role: 'user', content: [{ type: 'text', text: 'x' }] },
      { role: 'assistant', content: [], toolCalls: [{ id: 'c', name: 'f', arguments: '{"city":' }] },
    ];
    rejectsWith(() => codec.encodeRequest(request({ messages }), 'm'), 'invalid_request', 'messages[1].tool_calls[0].arguments');
    messages[1] = { role: 'assistant', content: [], toolCalls: [{ id: 'c', name: 'f', arguments: '[1,2]' }] };
    rejectsWith(() => codec.encodeRequest(request({ messages }), 'm'), 'invalid_request', 'messages[1].tool_calls[0].arguments');
  });

  test('images: base64 with media type, remote URL, and data URLs turned into base64', () => {
    const body = codec.encodeRequest(
      request({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', data: PIXEL, mediaType: 'image/png' },
              { type: 'image', url: 'https://example.com/cat.jpg' },
              { type: 'image', url: `data:image/png;base64,${PIXEL}` },
            ],
          },
        ],
      }),
      'm',
    );
    const content = (body.messages as { content: unknown[] }[])[0]!.content;
    assert.deepEqual(content, [
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PIXEL } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PIXEL } },
    ]);
    rejectsWith(() => codec.encodeRequest(request({ messages: [{ role: 'user', content: [{ type: 'image', data: PIXEL }] }] }), 'm'), 'invalid_request', 'messages[0].content[0]');
  });

  test('signed reasoning becomes thinking blocks, redacted stays redacted, unsigned reasoning is dropped', () => {
    const body = codec.encodeRequest(
      request({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'q' }] },
          {
            role: 'assistant',
            content: [
              { type: 'reasoning', text: 'thinking it over', signature: 'sig-1' },
              { type: 'redacted-reasoning', data: 'opaque' },
              { type: 'reasoning', text: 'from another provider' },
              { type: 'text', text: 'answer' },
            ],
          },
        ],
      }),
      'm',
    );
    assert.deepEqual((body.messages as { content: unknown[] }[])[1]!.content, [
      { type: 'thinking', thinking: 'thinking it over', signature: 'sig-1' },
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'text', text: 'answer' },
    ]);
  });

  test('thinking budget and reasoning effort; max_tokens stays above the budget', () => {
    const budget = codec.encodeRequest(request({ thinkingBudget: 2000, maxOutputTokens: 8000 }), 'm');
    assert.deepEqual(budget.thinking, { type: 'enabled', budget_tokens: 2000 });
    assert.equal(budget.max_tokens, 8000);
    const effort = codec.encodeRequest(request({ reasoningEffort: 'high' }), 'm');
    assert.deepEqual(effort.thinking, { type: 'enabled', budget_tokens: 16384 });
    assert.equal(effort.max_tokens, 4096 + 16384);
    assert.equal(codec.encodeRequest(request({ reasoningEffort: 'none' }), 'm').thinking, undefined);
    rejectsWith(() => codec.encodeRequest(request({ reasoningEffort: 'extreme' }), 'm'), 'unsupported_parameter', 'reasoning_effort');
  });

  test('tools, tool choice and parallel tool calls', () => {
    const tools = [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }, { name: 'ping', parameters: {} }];
    const body = codec.encodeRequest(request({ tools, toolChoice: { type: 'required' }, parallelToolCalls: false }), 'm');
    assert.deepEqual(body.tools, [
      { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
      { name: 'ping', input_schema: { type: 'object', properties: {} } },
    ]);
    assert.deepEqual(body.tool_choice, { type: 'any', disable_parallel_tool_use: true });
    assert.deepEqual(codec.encodeRequest(request({ tools, toolChoice: { type: 'tool', name: 'ping' } }), 'm').tool_choice, { type: 'tool', name: 'ping' });
    assert.deepEqual(codec.encodeRequest(request({ tools, toolChoice: { type: 'none' }, parallelToolCalls: false }), 'm').tool_choice, { type: 'none' });
    assert.deepEqual(codec.encodeRequest(request({ tools, parallelToolCalls: false }), 'm').tool_choice, { type: 'auto', disable_parallel_tool_use: true });
    assert.equal(codec.encodeRequest(request({ tools }), 'm').tool_choice, undefined);
  });

  test('json_schema response format uses output_config.format; n > 1 is refused', () => {
    const schema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false };
    const body = codec.encodeRequest(request({ responseFormat: { type: 'json_schema', name: 'person', schema } }), 'm');
    assert.deepEqual(body.output_config, { format: { type: 'json_schema', schema } });
    assert.equal(codec.encodeRequest(request({ responseFormat: { type: 'json_object' } }), 'm').output_config, undefined);
    rejectsWith(() => codec.encodeRequest(request({ n: 2 }), 'm'), 'unsupported_parameter', 'n');
  });

  test('extra passes through only for the anthropic-messages dialect', () => {
    const extra = { service_tier: 'auto', output_config: { effort: 'low' } };
    const same = codec.encodeRequest(request({ extra, extraDialect: 'anthropic-messages', responseFormat: { type: 'json_schema', name: 'x', schema: { type: 'object' } } }), 'm');
    assert.equal(same.service_tier, 'auto');
    assert.deepEqual(same.output_config, { effort: 'low', format: { type: 'json_schema', schema: { type: 'object' } } });
    const other = codec.encodeRequest(request({ extra, extraDialect: 'openai-chat' }), 'm');
    assert.equal(other.service_tier, undefined);
    assert.equal(other.output_config, undefined);
  });
});

describe('anthropic decodeRequest', () => {
  const valid = {
    model: 'claude-sonnet-4-5',
    max_tokens: 2048,
    system: [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }],
    messages: [
      { role: 'user', content: 'What is the weather?' },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'Use the tool.', signature: 'sig-a' },
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'sunny' }] },
          { type: 'text', text: 'And tomorrow?' },
        ],
      },
    ],
    tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
    tool_choice: { type: 'auto', disable_parallel_tool_use: true },
    thinking: { type: 'enabled', budget_tokens: 1024 },
    metadata: { user_id: 'user-7' },
    stream: true,
    temperature: 1,
    service_tier: 'standard_only',
  };

  test('decodes a Claude Code style request into spec terms', () => {
    const decoded = codec.decodeRequest(valid);
    assert.equal(decoded.model, 'claude-sonnet-4-5');
    assert.equal(decoded.maxOutputTokens, 2048);
    assert.equal(decoded.stream, true);
    assert.equal(decoded.thinkingBudget, 1024);
    assert.equal(decoded.user, 'user-7');
    assert.deepEqual(decoded.toolChoice, { type: 'auto' });
    assert.equal(decoded.parallelToolCalls, false);
    assert.deepEqual(decoded.tools, [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }]);
    assert.deepEqual(decoded.messages, [
      { role: 'system', content: [{ type: 'text', text: 'You are Claude Code.', providerOptions: { anthropic: { cacheControl: { type: 'ephemeral' } } } }] },
      { role: 'user', content: [{ type: 'text', text: 'What is the weather?' }] },
      {
        role: 'assistant',
        content: [{ type: 'reasoning', text: 'Use the tool.', signature: 'sig-a' }, { type: 'text', text: 'Let me check.' }],
        toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
      },
      { role: 'tool', toolCallId: 'toolu_1', name: 'get_weather', content: [{ type: 'text', text: 'sunny' }] },
      { role: 'user', content: [{ type: 'text', text: 'And tomorrow?' }] },
    ]);
    assert.deepEqual(decoded.extra, { service_tier: 'standard_only' });
    assert.equal(decoded.extraDialect, 'anthropic-messages');
  });

  test('decode then encode gives back the same Anthropic body', () => {
    const encoded = codec.encodeRequest(codec.decodeRequest(valid), 'claude-sonnet-4-5');
    assert.deepEqual(encoded.messages, [
      { role: 'user', content: [{ type: 'text', text: 'What is the weather?' }] },
      valid.messages[1],
      valid.messages[2],
    ]);
    assert.deepEqual(encoded.system, valid.system);
    assert.deepEqual(encoded.thinking, valid.thinking);
    assert.deepEqual(encoded.tool_choice, valid.tool_choice);
    assert.deepEqual(encoded.metadata, valid.metadata);
    assert.equal(encoded.service_tier, 'standard_only');
    assert.equal(encoded.max_tokens, 2048);
  });

  test('adaptive thinking and output_config are kept for Anthropic upstreams', () => {
    const decoded = codec.decodeRequest({ ...valid, thinking: { type: 'adaptive' }, output_config: { effort: 'high', format: { type: 'json_schema', schema: { type: 'object' } } } });
    assert.equal(decoded.thinkingBudget, undefined);
    assert.deepEqual(decoded.responseFormat, { type: 'json_schema', name: 'output', schema: { type: 'object' } });
    const encoded = codec.encodeRequest(decoded, 'm');
    assert.deepEqual(encoded.thinking, { type: 'adaptive' });
    assert.deepEqual(encoded.output_config, { effort: 'high', format: { type: 'json_schema', schema: { type: 'object' } } });
  });

  const cases: [string, Record<string, unknown>, string | undefined][] = [
    ['missing model', { ...valid, model: undefined }, 'model'],
    ['missing max_tokens', { ...valid, max_tokens: undefined }, 'max_tokens'],
    ['fractional max_tokens', { ...valid, max_tokens: 10.5 }, 'max_tokens'],
    ['messages not an array', { ...valid, messages: 'hi' }, 'messages'],
    ['empty messages', { ...valid, messages: [] }, 'messages'],
    ['bad role', { ...valid, messages: [{ role: 'system', content: 'x' }] }, 'messages[0].role'],
    ['unknown block', { ...valid, messages: [{ role: 'user', content: [{ type: 'video', url: 'x' }] }] }, 'messages[0].content[0].type'],
    ['image without media type', { ...valid, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', data: PIXEL } }] }] }, 'messages[0].content[0].source.media_type'],
    ['tool_use input not an object', { ...valid, messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: '{}' }] }] }, 'messages[1].content[0].input'],
    ['tool_result without id', { ...valid, messages: [{ role: 'user', content: [{ type: 'tool_result', content: 'x' }] }] }, 'messages[0].content[0].tool_use_id'],
    ['temperature above 1', { ...valid, temperature: 1.5 }, 'temperature'],
    ['top_k negative', { ...valid, top_k: -1 }, 'top_k'],
    ['stop_sequences not strings', { ...valid, stop_sequences: ['a', 3] }, 'stop_sequences[1]'],
    ['tool without input_schema', { ...valid, tools: [{ name: 'f' }] }, 'tools[0].input_schema'],
    ['server tool', { ...valid, tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, 'tools[0].type'],
    ['unknown tool_choice', { ...valid, tool_choice: { type: 'sometimes' } }, 'tool_choice.type'],
    ['thinking budget below 1024', { ...valid, max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 100 } }, 'thinking.budget_tokens'],
    ['system block not text', { ...valid, system: [{ type: 'image' }] }, 'system[0].type'],
    ['stream not boolean', { ...valid, stream: 'yes' }, 'stream'],
    ['body not an object', [] as unknown as Record<string, unknown>, undefined],
  ];
  for (const [name, body, param] of cases) {
    test(`rejects ${name} naming ${param ?? 'no param'}`, () => rejectsWith(() => codec.decodeRequest(body), 'invalid_request', param));
  }
});

describe('anthropic prompt caching marks', () => {
  const ephemeral = { type: 'ephemeral' };
  const hourLong = { type: 'ephemeral', ttl: '1h' };
  /** A Claude Code style body with breakpoints on the system prompt, the last tool, a tool_use, a tool_result and the latest user text. */
  const cached = {
    model: 'claude-sonnet-4-5',
    max_tokens: 1024,
    system: [
      { type: 'text', text: 'You are Claude Code.' },
      { type: 'text', text: 'Project instructions.', cache_control: hourLong },
    ],
    tools: [
      { name: 'read_file', description: 'Read a file', input_schema: { type: 'object', properties: { path: { type: 'string' } } } },
      { name: 'grep', input_schema: { type: 'object', properties: { pattern: { type: 'string' } } }, cache_control: ephemeral },
    ],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'Open the README.', cache_control: ephemeral }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Reading it.' }, { type: 'tool_use', id: 'toolu_1', name: 'read_file', input: { path: 'README.md' }, cache_control: ephemeral }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '# Tollgate', cache_control: ephemeral }], cache_control: ephemeral },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PIXEL }, cache_control: ephemeral },
          { type: 'text', text: 'Summarise it.' },
        ],
      },
    ],
  };
  const marked = (cacheControl: Record<string, unknown>) => ({ anthropic: { cacheControl } });

  test('decodes each mark into providerOptions.anthropic.cacheControl where it was', () => {
    const decoded = codec.decodeRequest(cached);
    assert.deepEqual(decoded.messages[0], {
      role: 'system',
      content: [
        { type: 'text', text: 'You are Claude Code.' },
        { type: 'text', text: 'Project instructions.', providerOptions: marked(hourLong) },
      ],
    });
    assert.deepEqual(decoded.messages[1], { role: 'user', content: [{ type: 'text', text: 'Open the README.', providerOptions: marked(ephemeral) }] });
    assert.deepEqual(decoded.messages[2], {
      role: 'assistant',
      content: [{ type: 'text', text: 'Reading it.' }],
      toolCalls: [{ id: 'toolu_1', name: 'read_file', arguments: '{"path":"README.md"}', providerOptions: marked(ephemeral) }],
    });
    assert.deepEqual(decoded.messages[3], {
      role: 'tool',
      toolCallId: 'toolu_1',
      name: 'read_file',
      content: [{ type: 'text', text: '# Tollgate', providerOptions: marked(ephemeral) }],
      providerOptions: marked(ephemeral),
    });
    assert.deepEqual(decoded.messages[4], {
      role: 'user',
      content: [
        { type: 'image', mediaType: 'image/png', data: PIXEL, providerOptions: marked(ephemeral) },
        { type: 'text', text: 'Summarise it.' },
      ],
    });
    assert.equal(decoded.tools?.[0]?.providerOptions, undefined);
    assert.deepEqual(decoded.tools?.[1]?.providerOptions, marked(ephemeral));
  });

  test('decode then encode keeps every mark on system, user text, tool_use, tool_result, image and the last tool', () => {
    const encoded = codec.encodeRequest(codec.decodeRequest(cached), 'claude-sonnet-4-5');
    assert.deepEqual(encoded.system, cached.system);
    assert.deepEqual(encoded.tools, cached.tools);
    assert.deepEqual(encoded.messages, cached.messages);
  });

  test('a single marked system block stays an array; an unmarked one is still sent as a string', () => {
    const single = { ...cached, system: [{ type: 'text', text: 'Only block.', cache_control: ephemeral }] };
    assert.deepEqual(codec.encodeRequest(codec.decodeRequest(single), 'm').system, single.system);
    assert.equal(codec.encodeRequest(codec.decodeRequest({ ...cached, system: [{ type: 'text', text: 'Only block.' }] }), 'm').system, 'Only block.');
  });

  test('a message-level mark goes on the last block of that message, or on the tool_result of a tool message', () => {
    const body = codec.encodeRequest(
      request({
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }], providerOptions: marked(ephemeral) },
          { role: 'user', content: [{ type: 'text', text: 'first' }, { type: 'text', text: 'second', providerOptions: marked(hourLong) }], providerOptions: marked(ephemeral) },
          { role: 'assistant', content: [{ type: 'reasoning', text: 'hmm', signature: 'sig' }, { type: 'text', text: 'calling' }], toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }], providerOptions: marked(ephemeral) },
          { role: 'tool', toolCallId: 'c1', content: [{ type: 'text', text: 'done' }], providerOptions: marked(ephemeral) },
        ],
      }),
      'm',
    );
    assert.deepEqual(body.system, [{ type: 'text', text: 'a' }, { type: 'text', text: 'b', cache_control: ephemeral }]);
    assert.deepEqual(body.messages, [
      // The part's own mark wins over the message's.
      { role: 'user', content: [{ type: 'text', text: 'first' }, { type: 'text', text: 'second', cache_control: hourLong }] },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'hmm', signature: 'sig' },
          { type: 'text', text: 'calling' },
          { type: 'tool_use', id: 'c1', name: 'f', input: {}, cache_control: ephemeral },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c1', content: [{ type: 'text', text: 'done' }], cache_control: ephemeral }] },
    ]);
  });

  test('options for other providers are ignored', () => {
    const body = codec.encodeRequest(request({ messages: [{ role: 'user', content: [{ type: 'text', text: 'hi', providerOptions: { openai: { cacheControl: ephemeral } } }] }] }), 'm');
    assert.deepEqual(body.messages, [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
  });

  const cases: [string, unknown, string][] = [
    ['cache_control not an object', [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: 'ephemeral' }] }], 'messages[0].content[0].cache_control'],
    ['cache_control without a type', [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { ttl: '5m' } }] }], 'messages[0].content[0].cache_control.type'],
  ];
  for (const [name, messages, param] of cases) {
    test(`rejects ${name} naming ${param}`, () => rejectsWith(() => codec.decodeRequest({ ...cached, messages }), 'invalid_request', param));
  }
  test('rejects a malformed mark on a tool definition', () => {
    rejectsWith(() => codec.decodeRequest({ ...cached, tools: [{ name: 'f', input_schema: { type: 'object' }, cache_control: [] }] }), 'invalid_request', 'tools[0].cache_control');
  });
});

describe('anthropic document blocks', () => {
  const PDF = 'JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSPj4Kc3RyZWFtCg==';
  const documents = [
    { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF }, title: 'Q3 report', context: 'Board pack', citations: { enabled: true }, cache_control: { type: 'ephemeral' } },
    { type: 'document', source: { type: 'url', url: 'https://example.com/paper.pdf' } },
    { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'The grass is green.' }, title: 'Facts', citations: { enabled: false } },
  ];
  const body = {
    model: 'claude-sonnet-4-5',
    max_tokens: 512,
    messages: [
      { role: 'user', content: [...documents, { type: 'text', text: 'Compare these.' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_9', name: 'fetch', input: { url: 'https://example.com/spec.pdf' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_9', content: [{ type: 'document', source: { type: 'url', url: 'https://example.com/spec.pdf' } }] }] },
    ],
  };

  test('decode into file parts, title/context/citations/cache_control in providerOptions.anthropic', () => {
    const decoded = codec.decodeRequest(body);
    assert.deepEqual(decoded.messages[0], {
      role: 'user',
      content: [
        {
          type: 'file',
          data: PDF,
          mediaType: 'application/pdf',
          filename: 'Q3 report',
          providerOptions: { anthropic: { title: 'Q3 report', context: 'Board pack', citations: { enabled: true }, cacheControl: { type: 'ephemeral' } } },
        },
        { type: 'file', url: 'https://example.com/paper.pdf', mediaType: 'application/pdf' },
        { type: 'file', text: 'The grass is green.', mediaType: 'text/plain', filename: 'Facts', providerOptions: { anthropic: { title: 'Facts', citations: { enabled: false } } } },
        { type: 'text', text: 'Compare these.' },
      ],
    });
    assert.deepEqual(decoded.messages[2], { role: 'tool', toolCallId: 'toolu_9', name: 'fetch', content: [{ type: 'file', url: 'https://example.com/spec.pdf', mediaType: 'application/pdf' }] });
  });

  test('decode then encode gives back the same document blocks', () => {
    assert.deepEqual(codec.encodeRequest(codec.decodeRequest(body), 'claude-sonnet-4-5').messages, body.messages);
  });

  test('file parts from other dialects: filename becomes the title, base64 text becomes a text source, images become image blocks, the rest is skipped', () => {
    const encoded = codec.encodeRequest(
      request({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'file', data: PDF, mediaType: 'application/pdf', filename: 'report.pdf' },
              { type: 'file', url: `data:application/pdf;base64,${PDF}`, mediaType: 'application/pdf' },
              { type: 'file', data: Buffer.from('plain words').toString('base64'), mediaType: 'text/markdown' },
              { type: 'file', url: `data:image/png;base64,${PIXEL}`, mediaType: 'image/png' },
              { type: 'file', data: 'AAAA', mediaType: 'audio/wav' },
              { type: 'file', url: 'https://example.com/notes.txt', mediaType: 'text/plain' },
              { type: 'text', text: 'Go.' },
            ],
          },
          { role: 'assistant', content: [{ type: 'file', data: PDF, mediaType: 'application/pdf' }, { type: 'text', text: 'ok' }] },
        ],
      }),
      'm',
    );
    assert.deepEqual(encoded.messages, [
      {
        role: 'user',
        content: [
          { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF }, title: 'report.pdf' },
          { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF } },
          { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain words' } },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PIXEL } },
          { type: 'text', text: 'Go.' },
        ],
      },
      { role: 'assistant', content: [{ type: 'text', text: 'ok' }] },
    ]);
  });

  const cases: [string, Record<string, unknown>, string][] = [
    ['a Files API source', { type: 'document', source: { type: 'file', file_id: 'file_1' } }, 'messages[0].content[0].source.type'],
    ['a base64 source without media type', { type: 'document', source: { type: 'base64', data: PDF } }, 'messages[0].content[0].source.media_type'],
    ['a url source without url', { type: 'document', source: { type: 'url' } }, 'messages[0].content[0].source.url'],
    ['a text source without data', { type: 'document', source: { type: 'text', media_type: 'text/plain' } }, 'messages[0].content[0].source.data'],
    ['a non-string title', { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' }, title: 7 }, 'messages[0].content[0].title'],
    ['citations not an object', { type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' }, citations: true }, 'messages[0].content[0].citations'],
  ];
  for (const [name, block, param] of cases) {
    test(`rejects ${name} naming ${param}`, () => rejectsWith(() => codec.decodeRequest({ ...body, messages: [{ role: 'user', content: [block] }] }), 'invalid_request', param));
  }
});
