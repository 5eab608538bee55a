import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ChatCodec, UpstreamChatCodec } from '../../src/codecs/codec.js';
import { anthropicMessagesCodec } from '../../src/codecs/anthropic-messages/index.js';
import { bedrockConverseCodec } from '../../src/codecs/bedrock-converse/index.js';
import { geminiCodec } from '../../src/codecs/gemini/index.js';
import { openaiChatCodec } from '../../src/codecs/openai-chat/index.js';
import { openaiResponsesCodec } from '../../src/codecs/openai-responses/index.js';
import { GatewayError } from '../../src/spec/index.js';

/**
 * Every value of a rich, valid request of each dialect is replaced in turn by values JSON can
 * carry that break careless code: an object whose `toString` is not a function (`String(value)`
 * and `${value}` throw on it), an array, a number, null, a string. Decoding must either succeed
 * or refuse with a GatewayError naming a param, and what decodes must encode into every dialect.
 */

const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const SCHEMA = { type: 'object', properties: { city: { type: 'string', enum: ['Paris'] } }, required: ['city'] };

const SAMPLES: [ChatCodec, Record<string, unknown>][] = [
  [
    openaiChatCodec,
    {
      model: 'm',
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', name: 'ann', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PIXEL}`, detail: 'low' } }] },
        { role: 'assistant', content: 'calling', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: 'sunny' }] },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'weather', parameters: SCHEMA, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: SCHEMA, strict: true } },
      temperature: 0.5,
      top_p: 0.9,
      max_completion_tokens: 100,
      stop: ['END'],
      seed: 7,
      user: 'u',
      reasoning_effort: 'low',
      parallel_tool_calls: false,
      metadata: { team: 'a' },
      fallbacks: ['other'],
    },
  ],
  [
    anthropicMessagesCodec,
    {
      model: 'm',
      max_tokens: 100,
      stream: false,
      system: [{ type: 'text', text: 'be brief', cache_control: { type: 'ephemeral' } }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'hi' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PIXEL } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PIXEL }, title: 'doc', context: 'ctx', citations: { enabled: true } },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'sig' },
            { type: 'redacted_thinking', data: 'xyz' },
            { type: 'text', text: 'calling' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', is_error: false, content: [{ type: 'text', text: 'sunny' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PIXEL } }] }] },
      ],
      tools: [{ name: 'get_weather', description: 'weather', input_schema: SCHEMA, cache_control: { type: 'ephemeral' } }],
      tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ['END'],
      metadata: { user_id: 'u' },
      thinking: { type: 'enabled', budget_tokens: 2048 },
      output_config: { effort: 'low' },
    },
  ],
  [
    geminiCodec,
    {
      model: 'm',
      stream: false,
      systemInstruction: { parts: [{ text: 'be brief' }] },
      contents: [
        { role: 'user', parts: [{ text: 'hi' }, { inlineData: { mimeType: 'image/png', data: PIXEL } }, { fileData: { mimeType: 'image/png', fileUri: 'https://example.com/a.png' } }] },
        { role: 'model', parts: [{ text: 'hmm', thought: true, thoughtSignature: 'sig' }, { functionCall: { id: 'c1', name: 'get_weather', args: { city: 'Paris' } } }] },
        { role: 'user', parts: [{ functionResponse: { id: 'c1', name: 'get_weather', response: { sky: 'sunny' } } }] },
      ],
      tools: [{ functionDeclarations: [{ name: 'get_weather', description: 'weather', parameters: SCHEMA }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
      generationConfig: { temperature: 0.5, topP: 0.9, topK: 40, maxOutputTokens: 100, stopSequences: ['END'], candidateCount: 1, responseMimeType: 'application/json', responseSchema: SCHEMA, seed: 3, thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } },
      safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
    },
  ],
  [
    openaiResponsesCodec,
    {
      model: 'm',
      stream: true,
      instructions: 'be brief',
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }, { type: 'input_image', image_url: `data:image/png;base64,${PIXEL}`, detail: 'auto' }, { type: 'input_file', filename: 'a.pdf', file_data: `data:application/pdf;base64,${PIXEL}` }] },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'hmm' }], encrypted_content: 'enc' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'calling' }] },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
      ],
      tools: [{ type: 'function', name: 'get_weather', description: 'weather', parameters: SCHEMA, strict: true }],
      tool_choice: { type: 'function', name: 'get_weather' },
      text: { format: { type: 'json_schema', name: 'answer', schema: SCHEMA, strict: true } },
      reasoning: { effort: 'low', summary: 'auto' },
      temperature: 0.5,
      top_p: 0.9,
      max_output_tokens: 100,
      parallel_tool_calls: true,
      metadata: { team: 'a' },
      store: false,
      user: 'u',
    },
  ],
];

/** Every dialect a decoded request may be sent upstream in (Bedrock Converse has no inbound half to sample). */
const CODECS: UpstreamChatCodec[] = [...SAMPLES.map(([codec]) => codec), bedrockConverseCodec];

/** JSON values that break code which assumes a type: `{"toString":1}` makes String() and template literals throw. */
const HOSTILE: unknown[] = [{ toString: 1, valueOf: 1 }, [{ toString: 1 }], 12, null, 'x', {}, true];

/** Every path to a value inside `value` (objects and arrays included, the root excluded). */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [];
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...paths(child, [...prefix, key])]);
}

function replaced(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = replacement;
  return copy;
}

function attempt(action: () => unknown, where: string): void {
  try {
    action();
  } catch (error) {
    assert.ok(GatewayError.is(error), `${where} threw ${(error as Error)?.stack ?? String(error)}`);
    assert.ok(error.status < 500, `${where} answered ${error.status} (${error.code}: ${error.message})`);
  }
}

describe('hostile JSON values in requests are refused as invalid requests, never as gateway errors', () => {
  for (const [codec, sample] of SAMPLES) {
    test(`${codec.dialect}: every field replaced by an object whose toString is not a function, an array, a number, null…`, () => {
      // The sample itself is valid and crosses into every dialect.
      const decoded = codec.decodeRequest(structuredClone(sample));
      for (const target of CODECS) attempt(() => target.encodeRequest(structuredClone(decoded), 'upstream-model'), `${codec.dialect} sample → ${target.dialect}`);
      let cases = 0;
      for (const path of paths(sample)) {
        for (const hostile of HOSTILE) {
          const body = replaced(sample, path, hostile);
          const where = `${codec.dialect} with ${path.join('.')} = ${JSON.stringify(hostile)}`;
          let request: ReturnType<ChatCodec['decodeRequest']> | undefined;
          attempt(() => {
            request = codec.decodeRequest(body);
          }, `decoding ${where}`);
          if (request !== undefined) for (const target of CODECS) attempt(() => target.encodeRequest(structuredClone(request!), 'upstream-model'), `encoding ${where} as ${target.dialect}`);
          cases++;
        }
      }
      assert.ok(cases > 100, `${cases} cases`);
    });
  }

  test('anthropic: a content block whose type is an object is a 400 naming the param', () => {
    for (const [body, param] of [
      [{ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: [{ type: { toString: 1 } }] }] }, 'messages[0].content[0].type'],
      [{ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [{ type: { toString: 1 } }] }] }, 'messages[1].content[0].type'],
      [{ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: { toString: 1 } }] }] }] }, 'messages[0].content[0].content[0].type'],
      [{ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'document', source: { type: { toString: 1 } } }] }] }, 'messages[0].content[0].source.type'],
      [{ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'q' }], tools: [{ type: { toString: 1 }, name: 'x', input_schema: {} }] }, 'tools[0].type'],
    ] as const) {
      assert.throws(
        () => anthropicMessagesCodec.decodeRequest(body),
        (error: unknown) => GatewayError.is(error) && error.code === 'invalid_request' && error.param === param && /must be a string, got an object/.test(error.message),
        param,
      );
    }
    // A string type the codec does not know is still named as such.
    assert.throws(() => anthropicMessagesCodec.decodeRequest({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'server_tool_use' }] }] }), /Tollgate does not support 'server_tool_use' blocks in user messages\./);
  });
});
