import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeFloat32Base64, encodeFloat32Base64, openaiEmbeddingCodec } from '../../src/codecs/openai-embeddings/index.js';
import { GatewayError } from '../../src/spec/index.js';

function rejects(body: unknown, param: string): void {
  assert.throws(
    () => openaiEmbeddingCodec.decodeRequest(body),
    (error: unknown) => GatewayError.is(error) && error.code === 'invalid_request' && error.param === param,
  );
}

describe('openai-embeddings codec', () => {
  test('decodes every input shape', () => {
    assert.deepEqual(openaiEmbeddingCodec.decodeRequest({ model: 'e', input: 'one' }), { model: 'e', input: ['one'], singleInput: true });
    assert.deepEqual(openaiEmbeddingCodec.decodeRequest({ model: 'e', input: ['a', 'b'] }), { model: 'e', input: ['a', 'b'] });
    assert.deepEqual(openaiEmbeddingCodec.decodeRequest({ model: 'e', input: [1, 2, 3] }), { model: 'e', input: [[1, 2, 3]], singleInput: true });
    assert.deepEqual(openaiEmbeddingCodec.decodeRequest({ model: 'e', input: [[1, 2], [3]] }), { model: 'e', input: [[1, 2], [3]] });
  });

  test('dimensions, encoding_format, user and extras', () => {
    const request = openaiEmbeddingCodec.decodeRequest({ model: 'e', input: 'x', dimensions: 256, encoding_format: 'base64', user: 'u', input_type: 'query' });
    assert.equal(request.dimensions, 256);
    assert.equal(request.encodingFormat, 'base64');
    assert.equal(request.user, 'u');
    assert.deepEqual(request.extra, { input_type: 'query' });
    assert.equal(request.extraDialect, 'openai-embeddings');
    assert.deepEqual(openaiEmbeddingCodec.encodeRequest(request, 'upstream-e'), { input_type: 'query', model: 'upstream-e', input: 'x', dimensions: 256, encoding_format: 'base64', user: 'u' });
  });

  test('validation errors name their param', () => {
    rejects({ input: 'x' }, 'model');
    rejects({ model: 'e' }, 'input');
    rejects({ model: 'e', input: [] }, 'input');
    rejects({ model: 'e', input: 5 }, 'input');
    rejects({ model: 'e', input: ['a', 5] }, 'input[1]');
    rejects({ model: 'e', input: [[1], 'a'] }, 'input[1]');
    rejects({ model: 'e', input: 'x', dimensions: 0 }, 'dimensions');
    rejects({ model: 'e', input: 'x', encoding_format: 'int8' }, 'encoding_format');
  });

  test('response round trip in float', () => {
    const wire = { object: 'list', data: [{ object: 'embedding', index: 1, embedding: [0.5, -0.25] }, { object: 'embedding', index: 0, embedding: [1, 0] }], model: 'text-embedding-3-small', usage: { prompt_tokens: 6, total_tokens: 6 } };
    const response = openaiEmbeddingCodec.decodeResponse(wire);
    assert.deepEqual(response.embeddings, [[1, 0], [0.5, -0.25]], 'ordered by index');
    assert.deepEqual(response.usage, { inputTokens: 6, outputTokens: 0 });
    assert.equal(response.encodingFormat, undefined);
    assert.deepEqual(openaiEmbeddingCodec.encodeResponse(response, 'alias'), {
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [1, 0] }, { object: 'embedding', index: 1, embedding: [0.5, -0.25] }],
      model: 'alias',
      usage: { prompt_tokens: 6, total_tokens: 6 },
    });
  });

  test('base64 is little-endian float32, both ways', () => {
    const vector = [0.5, -1.25, 3, 0];
    const expected = Buffer.alloc(16);
    vector.forEach((value, index) => expected.writeFloatLE(value, index * 4));
    assert.equal(encodeFloat32Base64(vector), expected.toString('base64'));
    assert.deepEqual(decodeFloat32Base64(expected.toString('base64')), vector);

    const response = openaiEmbeddingCodec.decodeResponse({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: expected.toString('base64') }], model: 'e', usage: { prompt_tokens: 1, total_tokens: 1 } });
    assert.deepEqual(response.embeddings, [vector]);
    assert.equal(response.encodingFormat, 'base64');
    const encoded = openaiEmbeddingCodec.encodeResponse(response, 'e') as { data: { embedding: unknown }[] };
    assert.equal(encoded.data[0]!.embedding, expected.toString('base64'));
    const asFloat = openaiEmbeddingCodec.encodeResponse({ ...response, encodingFormat: 'float' }, 'e') as { data: { embedding: unknown }[] };
    assert.deepEqual(asFloat.data[0]!.embedding, vector);
  });

  test('a body without data is an invalid upstream response', () => {
    assert.throws(() => openaiEmbeddingCodec.decodeResponse({ error: 'x' }), (error: unknown) => GatewayError.is(error) && error.code === 'upstream_invalid_response');
    assert.throws(() => openaiEmbeddingCodec.decodeResponse({ data: [{ embedding: { a: 1 } }] }), (error: unknown) => GatewayError.is(error) && error.code === 'upstream_invalid_response');
  });
});
