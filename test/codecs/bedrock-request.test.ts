import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bedrockConverseCodec as codec } from '../../src/codecs/bedrock-converse/index.js';
import { GatewayError, type ChatRequest } from '../../src/spec/index.js';

const MODEL = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

function request(overrides: Partial<ChatRequest>): ChatRequest {
  return { model: 'bedrock/x', stream: false, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], ...overrides };
}

function rejectsWith(code: string, param: string, run: () => unknown): void {
  assert.throws(run, (error: unknown) => GatewayError.is(error) && error.code === code && error.param === param);
}

describe('Bedrock Converse request encoding', () => {
  test('system hoisted, turns merged, tool calls and results as toolUse/toolResult, model left out of the body', () => {
    const body = codec.encodeRequest(
      request({
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'Be terse.' }] },
          { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
          { role: 'assistant', content: [{ type: 'text', text: '' }], toolCalls: [{ id: 'tooluse_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
          { role: 'tool', toolCallId: 'tooluse_1', content: [{ type: 'text', text: '{"sky":"sunny"}' }], isError: true },
          { role: 'user', content: [{ type: 'text', text: 'and tomorrow?' }] },
        ],
      }),
      MODEL,
    );
    assert.equal(body.modelId, undefined);
    assert.equal(body.model, undefined);
    assert.deepEqual(body.system, [{ text: 'Be terse.' }]);
    assert.deepEqual(body.messages, [
      { role: 'user', content: [{ text: 'Weather?' }] },
      { role: 'assistant', content: [{ toolUse: { toolUseId: 'tooluse_1', name: 'get_weather', input: { city: 'Paris' } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_1', content: [{ text: '{"sky":"sunny"}' }], status: 'error' } }, { text: 'and tomorrow?' }] },
    ]);
  });

  test('sampling settings go to inferenceConfig, top_k to additionalModelRequestFields', () => {
    const body = codec.encodeRequest(request({ maxOutputTokens: 300, temperature: 0.2, topP: 0.9, topK: 40, stop: ['END'], seed: 7 }), MODEL);
    assert.deepEqual(body.inferenceConfig, { maxTokens: 300, temperature: 0.2, topP: 0.9, stopSequences: ['END'] });
    assert.deepEqual(body.additionalModelRequestFields, { top_k: 40 });
    assert.equal(body.seed, undefined);
  });

  test('tools and every tool choice; none drops the tools unless the history uses them', () => {
    const tools = [{ name: 'lookup', description: 'Look up', parameters: {} }];
    const auto = codec.encodeRequest(request({ tools, toolChoice: { type: 'auto' } }), MODEL);
    assert.deepEqual(auto.toolConfig, { tools: [{ toolSpec: { name: 'lookup', description: 'Look up', inputSchema: { json: { type: 'object', properties: {} } } } }], toolChoice: { auto: {} } });
    assert.deepEqual((codec.encodeRequest(request({ tools, toolChoice: { type: 'required' } }), MODEL).toolConfig as { toolChoice: unknown }).toolChoice, { any: {} });
    assert.deepEqual((codec.encodeRequest(request({ tools, toolChoice: { type: 'tool', name: 'lookup' } }), MODEL).toolConfig as { toolChoice: unknown }).toolChoice, { tool: { name: 'lookup' } });
    assert.equal(codec.encodeRequest(request({ tools, toolChoice: { type: 'none' } }), MODEL).toolConfig, undefined);
    const withHistory = codec.encodeRequest(
      request({
        tools,
        toolChoice: { type: 'none' },
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'q' }] },
          { role: 'assistant', content: [], toolCalls: [{ id: 't1', name: 'lookup', arguments: '{}' }] },
          { role: 'tool', toolCallId: 't1', content: [{ type: 'text', text: 'r' }] },
        ],
      }),
      MODEL,
    );
    assert.deepEqual(withHistory.toolConfig, { tools: auto.toolConfig && (auto.toolConfig as { tools: unknown }).tools });
  });

  test('images as base64 bytes with their format; documents named; http URLs refused', () => {
    const body = codec.encodeRequest(
      request({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', url: `data:image/png;base64,${PIXEL}` },
              { type: 'image', data: PIXEL, mediaType: 'image/jpeg' },
              { type: 'file', data: 'JVBERi0=', mediaType: 'application/pdf', filename: 'Q3 report.pdf' },
            ],
          },
        ],
      }),
      MODEL,
    );
    assert.deepEqual((body.messages as { content: unknown[] }[])[0]!.content, [
      { image: { format: 'png', source: { bytes: PIXEL } } },
      { image: { format: 'jpeg', source: { bytes: PIXEL } } },
      { document: { format: 'pdf', name: 'Q3 report', source: { bytes: 'JVBERi0=' } } },
    ]);
    rejectsWith('unsupported_parameter', 'messages[0].content[0]', () => codec.encodeRequest(request({ messages: [{ role: 'user', content: [{ type: 'image', url: 'https://example.com/cat.png' }] }] }), MODEL));
  });

  test('signed reasoning goes back as reasoningContent; unsigned reasoning is dropped', () => {
    const body = codec.encodeRequest(
      request({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'q' }] },
          { role: 'assistant', content: [{ type: 'reasoning', text: 'hmm', signature: 'sig-1' }, { type: 'reasoning', text: 'from elsewhere' }, { type: 'text', text: 'a' }] },
        ],
      }),
      MODEL,
    );
    assert.deepEqual((body.messages as { content: unknown[] }[])[1]!.content, [{ reasoningContent: { reasoningText: { text: 'hmm', signature: 'sig-1' } } }, { text: 'a' }]);
  });

  test('thinking is sent in Anthropic terms to Anthropic models only, with maxTokens above the budget', () => {
    const anthropic = codec.encodeRequest(request({ reasoningEffort: 'low', maxOutputTokens: 1000 }), 'us.anthropic.claude-sonnet-4-5-20250929-v1:0');
    assert.deepEqual(anthropic.additionalModelRequestFields, { thinking: { type: 'enabled', budget_tokens: 2048 } });
    assert.deepEqual(anthropic.inferenceConfig, { maxTokens: 3048 });
    const nova = codec.encodeRequest(request({ reasoningEffort: 'low' }), 'amazon.nova-pro-v1:0');
    assert.equal(nova.additionalModelRequestFields, undefined);
  });

  test('a prompt-cache mark becomes a cachePoint block after the part it follows', () => {
    const cachePoint = { type: 'default' };
    const body = codec.encodeRequest(
      request({ messages: [{ role: 'system', content: [{ type: 'text', text: 'long rules', providerOptions: { bedrock: { cachePoint } } }] }, { role: 'user', content: [{ type: 'text', text: 'q' }] }] }),
      MODEL,
    );
    assert.deepEqual(body.system, [{ text: 'long rules' }, { cachePoint }]);
  });

  test('n > 1 and JSON schema output are refused', () => {
    rejectsWith('unsupported_parameter', 'n', () => codec.encodeRequest(request({ n: 2 }), MODEL));
    rejectsWith('unsupported_parameter', 'response_format', () => codec.encodeRequest(request({ responseFormat: { type: 'json_schema', name: 'x', schema: {} } }), MODEL));
  });
});
