import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeGeminiRequest, geminiCodec, toGeminiSchema } from '../../src/codecs/gemini/index.js';
import { GatewayError, type ChatRequest } from '../../src/spec/index.js';

type Json = Record<string, unknown>;

const PIXEL = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

function base(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'gemini-2.5-flash', stream: false, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], ...overrides };
}

function rejects(body: unknown, param: string, code = 'invalid_request'): void {
  assert.throws(
    () => geminiCodec.decodeRequest(body),
    (error: unknown) => {
      assert.ok(GatewayError.is(error), String(error));
      assert.equal(error.code, code);
      assert.equal(error.param, param);
      return true;
    },
  );
}

describe('gemini encodeRequest', () => {
  test('system messages become systemInstruction; roles are user/model; the model stays out of the body', () => {
    const body = geminiCodec.encodeRequest(
      base({
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'Be terse.' }] },
          { role: 'user', content: [{ type: 'text', text: 'first' }] },
          { role: 'assistant', content: [{ type: 'text', text: 'answer one' }] },
          { role: 'user', content: [{ type: 'text', text: 'second' }] },
        ],
      }),
      'gemini-2.5-flash',
    );
    assert.deepEqual(body.systemInstruction, { parts: [{ text: 'Be terse.' }] });
    assert.deepEqual(body.contents, [
      { role: 'user', parts: [{ text: 'first' }] },
      { role: 'model', parts: [{ text: 'answer one' }] },
      { role: 'user', parts: [{ text: 'second' }] },
    ]);
    assert.equal(body.model, undefined);
  });

  test('images: inline data and data URIs → inlineData, URLs → fileData with a MIME type', () => {
    const body = geminiCodec.encodeRequest(
      base({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', data: PIXEL, mediaType: 'image/png' },
              { type: 'image', url: `data:image/webp;base64,${PIXEL}` },
              { type: 'image', url: 'https://example.com/cat.PNG?size=large' },
              { type: 'image', url: 'https://generativelanguage.googleapis.com/v1beta/files/abc', mediaType: 'image/jpeg' },
            ],
          },
        ],
      }),
      'm',
    );
    assert.deepEqual((body.contents as Json[])[0]!.parts, [
      { inlineData: { mimeType: 'image/png', data: PIXEL } },
      { inlineData: { mimeType: 'image/webp', data: PIXEL } },
      { fileData: { fileUri: 'https://example.com/cat.PNG?size=large', mimeType: 'image/png' } },
      { fileData: { fileUri: 'https://generativelanguage.googleapis.com/v1beta/files/abc', mimeType: 'image/jpeg' } },
    ]);
  });

  test('tool round trip: functionCall with args object, functionResponse named from the earlier call, parallel results in one user turn', () => {
    const body = geminiCodec.encodeRequest(
      base({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Tokyo?' }] },
          {
            role: 'assistant',
            content: [],
            toolCalls: [
              { id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
              { id: 'call_b', name: 'get_time', arguments: '' },
            ],
          },
          { role: 'tool', toolCallId: 'call_a', content: [{ type: 'text', text: '{"sky":"sunny"}' }] },
          { role: 'tool', toolCallId: 'call_b', name: 'get_time', content: [{ type: 'text', text: 'noon' }], isError: true },
        ],
      }),
      'm',
    );
    const contents = body.contents as Json[];
    assert.equal(contents.length, 3);
    assert.deepEqual(contents[1], {
      role: 'model',
      parts: [{ functionCall: { id: 'call_a', name: 'get_weather', args: { city: 'Paris' } } }, { functionCall: { id: 'call_b', name: 'get_time', args: {} } }],
    });
    assert.deepEqual(contents[2], {
      role: 'user',
      parts: [
        { functionResponse: { id: 'call_a', name: 'get_weather', response: { output: { sky: 'sunny' } } } },
        { functionResponse: { id: 'call_b', name: 'get_time', response: { error: 'noon' } } },
      ],
    });
  });

  test('tool call ids can be left out for API versions that reject them', () => {
    const body = encodeGeminiRequest(
      base({
        messages: [
          { role: 'assistant', content: [], toolCalls: [{ id: 'call_a', name: 'f', arguments: '{}' }] },
          { role: 'tool', toolCallId: 'call_a', content: [{ type: 'text', text: 'ok' }] },
        ],
      }),
      { includeFunctionCallIds: false },
    );
    assert.deepEqual(body.contents, [
      { role: 'model', parts: [{ functionCall: { name: 'f', args: {} } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'f', response: { output: 'ok' } } }] },
    ]);
  });

  test('a tool result whose name cannot be found is rejected, naming the message', () => {
    assert.throws(
      () => geminiCodec.encodeRequest(base({ messages: [{ role: 'tool', toolCallId: 'call_unknown', content: [{ type: 'text', text: 'x' }] }] }), 'm'),
      (error: unknown) => GatewayError.is(error) && error.code === 'invalid_request' && error.param === 'messages[0].toolCallId',
    );
  });

  test('reasoning: thought parts keep their signature; a signature-only part lands on the following function call', () => {
    const body = geminiCodec.encodeRequest(
      base({
        messages: [
          {
            role: 'assistant',
            content: [
              { type: 'reasoning', text: 'thinking about it', signature: 'sig-thought' },
              { type: 'reasoning', text: '', signature: 'sig-call' },
              { type: 'redacted-reasoning', data: 'anthropic-only' },
            ],
            toolCalls: [
              { id: 'c1', name: 'f', arguments: '{"a":1}' },
              { id: 'c2', name: 'f', arguments: '{"a":2}' },
            ],
          },
        ],
      }),
      'm',
    );
    assert.deepEqual((body.contents as Json[])[0]!.parts, [
      { text: 'thinking about it', thought: true, thoughtSignature: 'sig-thought' },
      { functionCall: { id: 'c1', name: 'f', args: { a: 1 } }, thoughtSignature: 'sig-call' },
      { functionCall: { id: 'c2', name: 'f', args: { a: 2 } } },
    ]);
  });

  test('tools, tool choice and generation config', () => {
    const body = geminiCodec.encodeRequest(
      base({
        tools: [
          { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false } },
          { name: 'now', parameters: { type: 'object', properties: {} } },
        ],
        toolChoice: { type: 'tool', name: 'get_weather' },
        parallelToolCalls: false,
        maxOutputTokens: 100,
        temperature: 0.2,
        topP: 0.9,
        topK: 40,
        stop: ['END'],
        seed: 7,
        n: 2,
        presencePenalty: 0.1,
        frequencyPenalty: 0.3,
        reasoningEffort: 'medium',
        responseFormat: { type: 'json_schema', name: 'answer', schema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { ok: { type: 'boolean' } }, additionalProperties: false } },
      }),
      'm',
    );
    assert.deepEqual(body.tools, [
      {
        functionDeclarations: [
          { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
          { name: 'now' },
        ],
      },
    ]);
    assert.deepEqual(body.toolConfig, { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });
    assert.deepEqual(body.generationConfig, {
      maxOutputTokens: 100,
      temperature: 0.2,
      topP: 0.9,
      topK: 40,
      stopSequences: ['END'],
      seed: 7,
      candidateCount: 2,
      presencePenalty: 0.1,
      frequencyPenalty: 0.3,
      responseMimeType: 'application/json',
      responseSchema: { type: 'object', properties: { ok: { type: 'boolean' } } },
      thinkingConfig: { thinkingBudget: 8192, includeThoughts: true },
    });
  });

  test('tool choice modes and thinking budget', () => {
    const modes = (['auto', 'none', 'required'] as const).map((type) => (geminiCodec.encodeRequest(base({ toolChoice: { type } }), 'm').toolConfig as Json).functionCallingConfig);
    assert.deepEqual(modes, [{ mode: 'AUTO' }, { mode: 'NONE' }, { mode: 'ANY' }]);
    assert.deepEqual((geminiCodec.encodeRequest(base({ thinkingBudget: 2048, reasoningEffort: 'high' }), 'm').generationConfig as Json).thinkingConfig, { thinkingBudget: 2048, includeThoughts: true });
    assert.deepEqual((geminiCodec.encodeRequest(base({ thinkingBudget: 0 }), 'm').generationConfig as Json).thinkingConfig, { thinkingBudget: 0 });
    assert.deepEqual(geminiCodec.encodeRequest(base({ responseFormat: { type: 'json_object' } }), 'm').generationConfig, { responseMimeType: 'application/json' });
  });

  test('extra passes through only when it is Gemini’s own', () => {
    const safetySettings = [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }];
    const own = geminiCodec.encodeRequest(base({ temperature: 1, extra: { safetySettings, generationConfig: { responseModalities: ['TEXT'] } }, extraDialect: 'gemini' }), 'm');
    assert.deepEqual(own.safetySettings, safetySettings);
    assert.deepEqual(own.generationConfig, { responseModalities: ['TEXT'], temperature: 1 });
    const foreign = geminiCodec.encodeRequest(base({ extra: { logprobs: true }, extraDialect: 'openai-chat' }), 'm');
    assert.equal(foreign.logprobs, undefined);
  });
});

describe('gemini schema cleaning', () => {
  test('drops unsupported keywords and rewrites JSON Schema idioms Gemini does not know', () => {
    const cleaned = toGeminiSchema({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: 'x',
      type: 'object',
      additionalProperties: false,
      $defs: { address: { type: 'object', properties: { street: { type: 'string', format: 'uri' } }, additionalProperties: false } },
      properties: {
        nickname: { type: ['string', 'null'], description: 'optional', examples: ['Bob'] },
        kind: { const: 'person' },
        size: { enum: ['s', 'm', null] },
        when: { type: 'string', format: 'date-time' },
        home: { $ref: '#/$defs/address' },
        tags: { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true },
        either: { oneOf: [{ type: 'string' }, { type: 'integer', exclusiveMinimum: 0 }] },
        maybe: { anyOf: [{ type: 'number' }, { type: 'null' }] },
      },
      required: ['kind', 'missing'],
    });
    assert.deepEqual(cleaned, {
      type: 'object',
      properties: {
        nickname: { nullable: true, type: 'string', description: 'optional' },
        kind: { enum: ['person'], type: 'string' },
        size: { enum: ['s', 'm'], nullable: true },
        when: { type: 'string', format: 'date-time' },
        home: { type: 'object', properties: { street: { type: 'string' } } },
        tags: { type: 'array', items: { type: 'string', minLength: 1 } },
        either: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
        maybe: { nullable: true, type: 'number' },
      },
      required: ['kind'],
    });
  });

  test('recursive $refs are cut off instead of looping', () => {
    const cleaned = toGeminiSchema({ type: 'object', properties: { node: { $ref: '#/definitions/node' } }, definitions: { node: { type: 'object', properties: { child: { $ref: '#/definitions/node' } } } } });
    let depth = 0;
    let current = cleaned.properties as Json;
    while (current?.node ?? current?.child) {
      current = ((current.node ?? current.child) as Json).properties as Json;
      depth++;
    }
    assert.ok(depth > 1 && depth < 20, `depth ${depth}`);
  });
});

describe('gemini decodeRequest', () => {
  const body = {
    model: 'models/gemini-2.5-pro',
    stream: true,
    systemInstruction: { parts: [{ text: 'Be brief.' }] },
    contents: [
      { role: 'user', parts: [{ text: 'Weather?' }, { inlineData: { mimeType: 'image/png', data: PIXEL } }] },
      {
        role: 'model',
        parts: [
          { text: 'Let me think.', thought: true },
          { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'sig-1' },
          { functionCall: { id: 'fc-7', name: 'get_time', args: {} } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_weather', response: { output: { sky: 'sunny' } } } },
          { functionResponse: { id: 'fc-7', name: 'get_time', response: { error: 'clock broken' } } },
          { text: 'Thanks' },
        ],
      },
    ],
    tools: [{ functionDeclarations: [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }] }, { googleSearch: {} }],
    toolConfig: { functionCallingConfig: { mode: 'ANY' } },
    generationConfig: { maxOutputTokens: 64, temperature: 0.5, stopSequences: ['x'], candidateCount: 1, responseMimeType: 'application/json', responseSchema: { type: 'object' }, thinkingConfig: { thinkingBudget: 1024 }, responseModalities: ['TEXT'] },
    safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
  };

  test('maps every modelled field, pairs responses with calls and keeps the rest in extra', () => {
    const request = geminiCodec.decodeRequest(body);
    assert.equal(request.model, 'gemini-2.5-pro');
    assert.equal(request.stream, true);
    assert.deepEqual(request.messages, [
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Weather?' }, { type: 'image', data: PIXEL, mediaType: 'image/png' }] },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'Let me think.' },
          { type: 'reasoning', text: '', signature: 'sig-1' },
        ],
        toolCalls: [
          { id: 'call_0', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { id: 'fc-7', name: 'get_time', arguments: '{}' },
        ],
      },
      { role: 'tool', toolCallId: 'call_0', name: 'get_weather', content: [{ type: 'text', text: '{"sky":"sunny"}' }] },
      { role: 'tool', toolCallId: 'fc-7', name: 'get_time', content: [{ type: 'text', text: 'clock broken' }], isError: true },
      { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
    ]);
    assert.deepEqual(request.tools, [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }]);
    assert.deepEqual(request.toolChoice, { type: 'required' });
    assert.equal(request.maxOutputTokens, 64);
    assert.equal(request.temperature, 0.5);
    assert.deepEqual(request.stop, ['x']);
    assert.equal(request.n, 1);
    assert.equal(request.thinkingBudget, 1024);
    assert.deepEqual(request.responseFormat, { type: 'json_schema', name: 'response', schema: { type: 'object' } });
    assert.equal(request.extraDialect, 'gemini');
    assert.deepEqual(request.extra, { tools: [{ googleSearch: {} }], generationConfig: { responseModalities: ['TEXT'] }, safetySettings: body.safetySettings });
  });

  test('decode then encode gives back the wire body (same-dialect round trip)', () => {
    const encoded = geminiCodec.encodeRequest(geminiCodec.decodeRequest(body), 'gemini-2.5-pro');
    const contents = encoded.contents as Json[];
    assert.deepEqual(contents[1], {
      role: 'model',
      parts: [
        { text: 'Let me think.', thought: true },
        { functionCall: { id: 'call_0', name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'sig-1' },
        { functionCall: { id: 'fc-7', name: 'get_time', args: {} } },
      ],
    });
    assert.deepEqual((contents[2]!.parts as Json[]).slice(0, 2), [
      { functionResponse: { id: 'call_0', name: 'get_weather', response: { output: { sky: 'sunny' } } } },
      { functionResponse: { id: 'fc-7', name: 'get_time', response: { error: 'clock broken' } } },
    ]);
    assert.deepEqual(encoded.safetySettings, body.safetySettings);
    assert.deepEqual(encoded.tools, [{ functionDeclarations: [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }] }, { googleSearch: {} }]);
    assert.equal((encoded.generationConfig as Json).maxOutputTokens, 64);
  });

  test('validation names the offending field', () => {
    rejects([], 'body');
    rejects({ contents: [{ parts: [{ text: 'x' }] }] }, 'model');
    rejects({ model: 'm' }, 'contents');
    rejects({ model: 'm', contents: [] }, 'contents');
    rejects({ model: 'm', contents: [{ role: 'system', parts: [] }] }, 'contents[0].role');
    rejects({ model: 'm', contents: [{ parts: 'hello' }] }, 'contents[0].parts');
    rejects({ model: 'm', contents: [{ parts: [{ text: 5 }] }] }, 'contents[0].parts[0].text');
    rejects({ model: 'm', contents: [{ parts: [{}] }] }, 'contents[0].parts[0]');
    rejects({ model: 'm', contents: [{ parts: [{ inlineData: { mimeType: 'image/png' } }] }] }, 'contents[0].parts[0].inlineData.data');
    rejects({ model: 'm', contents: [{ parts: [{ inlineData: { mimeType: 'application/pdf', data: 'x' } }] }] }, 'contents[0].parts[0].inlineData.mimeType', 'unsupported_parameter');
    rejects({ model: 'm', contents: [{ parts: [{ executableCode: { code: 'x' } }] }] }, 'contents[0].parts[0].executableCode', 'unsupported_parameter');
    rejects({ model: 'm', contents: [{ role: 'user', parts: [{ functionCall: { name: 'f' } }] }] }, 'contents[0].parts[0].functionCall');
    rejects({ model: 'm', contents: [{ parts: [{ functionResponse: { name: 'f', response: 'ok' } }] }] }, 'contents[0].parts[0].functionResponse.response');
    rejects({ model: 'm', contents: [{ parts: [{ text: 'x' }] }], generationConfig: { temperature: 'hot' } }, 'generationConfig.temperature');
    rejects({ model: 'm', contents: [{ parts: [{ text: 'x' }] }], generationConfig: { stopSequences: [1] } }, 'generationConfig.stopSequences[0]');
    rejects({ model: 'm', contents: [{ parts: [{ text: 'x' }] }], generationConfig: { responseSchema: { type: 'object' } } }, 'generationConfig.responseMimeType');
    rejects({ model: 'm', contents: [{ parts: [{ text: 'x' }] }], toolConfig: { functionCallingConfig: { mode: 'SOMETIMES' } } }, 'toolConfig.functionCallingConfig.mode');
    rejects({ model: 'm', contents: [{ parts: [{ text: 'x' }] }], tools: [{ functionDeclarations: [{ description: 'no name' }] }] }, 'tools[0].functionDeclarations[0].name');
    rejects({ model: 'm', contents: [{ parts: [{ text: 'x' }] }], stream: 'yes' }, 'stream');
  });

  test('a forced single function and thinkingLevel are understood', () => {
    const request = geminiCodec.decodeRequest({
      model: 'm',
      contents: [{ parts: [{ text: 'x' }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] } },
      generationConfig: { thinkingConfig: { thinkingLevel: 'LOW' } },
    });
    assert.deepEqual(request.toolChoice, { type: 'tool', name: 'f' });
    assert.equal(request.reasoningEffort, 'low');
    assert.equal(request.stream, false);
    assert.equal(request.extra, undefined);
  });
});
