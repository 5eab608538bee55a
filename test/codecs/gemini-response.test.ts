import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeGeminiUsage, encodeGeminiUsage, geminiCodec } from '../../src/codecs/gemini/index.js';
import { decodeFinishReason, encodeFinishReason } from '../../src/codecs/gemini/finish-reason.js';
import { GatewayError } from '../../src/spec/index.js';

type Json = Record<string, unknown>;

describe('gemini decodeResponse / encodeResponse', () => {
  const body = {
    candidates: [
      {
        content: {
          role: 'model',
          parts: [
            { text: 'Checking the sky.', thought: true },
            { text: 'Let me look that up.' },
            { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'sig-a' },
            { functionCall: { id: 'given-id', name: 'get_weather', args: { city: 'Tokyo' } } },
          ],
        },
        finishReason: 'STOP',
        index: 0,
      },
    ],
    usageMetadata: { promptTokenCount: 120, candidatesTokenCount: 20, thoughtsTokenCount: 50, cachedContentTokenCount: 100, totalTokenCount: 190 },
    modelVersion: 'gemini-2.5-flash',
    responseId: 'resp-xyz',
  };

  test('parts → reasoning, text and tool calls (ids generated when missing); STOP with calls → tool-calls', () => {
    const response = geminiCodec.decodeResponse(body);
    assert.equal(response.id, 'resp-xyz');
    assert.equal(response.model, 'gemini-2.5-flash');
    const choice = response.choices[0]!;
    assert.deepEqual(choice.content, [
      { type: 'reasoning', text: 'Checking the sky.' },
      { type: 'text', text: 'Let me look that up.' },
      { type: 'reasoning', text: '', signature: 'sig-a' },
    ]);
    assert.deepEqual(choice.toolCalls, [
      { id: 'call_0', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { id: 'given-id', name: 'get_weather', arguments: '{"city":"Tokyo"}' },
    ]);
    assert.deepEqual(choice.finishReason, { unified: 'tool-calls', raw: 'STOP' });
    assert.deepEqual(response.usage, { inputTokens: 120, outputTokens: 70, cachedInputTokens: 100, reasoningTokens: 50 });
  });

  test('encodeResponse writes what decodeResponse reads (signature back on its function call)', () => {
    const encoded = geminiCodec.encodeResponse(geminiCodec.decodeResponse(body), 'gemini-2.5-flash') as Json;
    const candidate = (encoded.candidates as Json[])[0]!;
    assert.deepEqual((candidate.content as Json).parts, [
      { text: 'Checking the sky.', thought: true },
      { text: 'Let me look that up.' },
      { functionCall: { id: 'call_0', name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'sig-a' },
      { functionCall: { id: 'given-id', name: 'get_weather', args: { city: 'Tokyo' } } },
    ]);
    assert.equal(candidate.finishReason, 'STOP');
    assert.deepEqual(encoded.usageMetadata, { promptTokenCount: 120, candidatesTokenCount: 20, thoughtsTokenCount: 50, cachedContentTokenCount: 100, totalTokenCount: 190 });
    assert.equal(encoded.responseId, 'resp-xyz');
    assert.deepEqual(geminiCodec.decodeResponse(encoded).choices, geminiCodec.decodeResponse(body).choices);
  });

  test('a blocked prompt has no candidates: one empty content-filter choice', () => {
    const response = geminiCodec.decodeResponse({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 8, totalTokenCount: 8 } });
    assert.deepEqual(response.choices, [{ index: 0, content: [], toolCalls: [], finishReason: { unified: 'content-filter', raw: 'SAFETY' } }]);
    assert.deepEqual(response.usage, { inputTokens: 8, outputTokens: 0, cachedInputTokens: 0, reasoningTokens: 0 });
  });

  test('several candidates keep their index', () => {
    const response = geminiCodec.decodeResponse({
      candidates: [
        { content: { role: 'model', parts: [{ text: 'a' }] }, finishReason: 'STOP', index: 0 },
        { content: { role: 'model', parts: [{ text: 'b' }] }, finishReason: 'MAX_TOKENS', index: 1 },
      ],
    });
    assert.deepEqual(
      response.choices.map((choice) => [choice.index, choice.finishReason.unified]),
      [
        [0, 'stop'],
        [1, 'length'],
      ],
    );
    assert.deepEqual(response.usage, { inputTokens: undefined, outputTokens: undefined });
  });

  test('not a GenerateContentResponse → upstream_invalid_response', () => {
    assert.throws(() => geminiCodec.decodeResponse([1, 2]), (error: unknown) => GatewayError.is(error) && error.code === 'upstream_invalid_response');
  });
});

describe('gemini usage arithmetic', () => {
  test('input includes cached and tool-use prompt tokens; output includes thoughts; zeros left out by protobuf JSON are zeros', () => {
    assert.deepEqual(decodeGeminiUsage({ promptTokenCount: 1000, cachedContentTokenCount: 600, candidatesTokenCount: 40, thoughtsTokenCount: 160, toolUsePromptTokenCount: 25 }), {
      inputTokens: 1025,
      outputTokens: 200,
      cachedInputTokens: 600,
      reasoningTokens: 160,
    });
    assert.deepEqual(decodeGeminiUsage({ promptTokenCount: 7 }), { inputTokens: 7, outputTokens: 0, cachedInputTokens: 0, reasoningTokens: 0 });
    assert.deepEqual(decodeGeminiUsage(undefined), { inputTokens: undefined, outputTokens: undefined });
  });

  test('encode splits output back into candidates and thoughts; unknown usage is left out', () => {
    assert.deepEqual(encodeGeminiUsage({ inputTokens: 1000, outputTokens: 200, cachedInputTokens: 600, reasoningTokens: 160 }), {
      promptTokenCount: 1000,
      candidatesTokenCount: 40,
      totalTokenCount: 1200,
      cachedContentTokenCount: 600,
      thoughtsTokenCount: 160,
    });
    assert.equal(encodeGeminiUsage({ inputTokens: undefined, outputTokens: undefined }), undefined);
  });
});

describe('gemini finish reasons', () => {
  test('raw → unified', () => {
    const table: [string, boolean, string][] = [
      ['STOP', false, 'stop'],
      ['STOP', true, 'tool-calls'],
      ['MAX_TOKENS', false, 'length'],
      ['SAFETY', false, 'content-filter'],
      ['RECITATION', false, 'content-filter'],
      ['BLOCKLIST', false, 'content-filter'],
      ['PROHIBITED_CONTENT', false, 'content-filter'],
      ['SPII', false, 'content-filter'],
      ['MALFORMED_FUNCTION_CALL', false, 'error'],
      ['OTHER', false, 'other'],
      ['SOMETHING_NEW', false, 'other'],
    ];
    for (const [raw, calls, unified] of table) assert.deepEqual(decodeFinishReason(raw, calls), { unified, raw }, raw);
  });

  test('unified → raw, keeping a Gemini raw value that agrees', () => {
    assert.equal(encodeFinishReason({ unified: 'stop', raw: 'end_turn' }), 'STOP');
    assert.equal(encodeFinishReason({ unified: 'tool-calls', raw: 'tool_calls' }), 'STOP');
    assert.equal(encodeFinishReason({ unified: 'length', raw: undefined }), 'MAX_TOKENS');
    assert.equal(encodeFinishReason({ unified: 'content-filter', raw: 'RECITATION' }), 'RECITATION');
    assert.equal(encodeFinishReason({ unified: 'content-filter', raw: 'content_filter' }), 'SAFETY');
    assert.equal(encodeFinishReason({ unified: 'error', raw: 'MALFORMED_FUNCTION_CALL' }), 'MALFORMED_FUNCTION_CALL');
  });
});
