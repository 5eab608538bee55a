import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateEmbeddingInputTokens, estimateInputTokens } from '../../src/pipeline/estimate-tokens.js';
import type { ChatRequest } from '../../src/spec/index.js';

describe('estimateInputTokens', () => {
  it('counts a quarter token per character, rounded up, plus a few tokens per message', () => {
    const request: ChatRequest = {
      model: 'm',
      stream: false,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'x'.repeat(10) }] },
        { role: 'user', content: [{ type: 'text', text: 'y'.repeat(30) }] },
      ],
    };
    assert.equal(estimateInputTokens(request), 10 + 2 * 4);
  });

  it('counts documents by their text or their decoded size', () => {
    const plain: ChatRequest = { model: 'm', stream: false, messages: [{ role: 'user', content: [] }] };
    const pdf: ChatRequest = { model: 'm', stream: false, messages: [{ role: 'user', content: [{ type: 'file', mediaType: 'application/pdf', data: 'A'.repeat(40_000) }] }] };
    const text: ChatRequest = { model: 'm', stream: false, messages: [{ role: 'user', content: [{ type: 'file', mediaType: 'text/plain', text: 'z'.repeat(4_000) }] }] };
    assert.equal(estimateInputTokens(pdf) - estimateInputTokens(plain), 10_000);
    assert.equal(estimateInputTokens(text) - estimateInputTokens(plain), 1_000);
  });

  it('adds an allowance per image and counts tool calls and tool definitions', () => {
    const withImage: ChatRequest = { model: 'm', stream: false, messages: [{ role: 'user', content: [{ type: 'image', url: 'https://example.com/a.png' }] }] };
    const plain: ChatRequest = { model: 'm', stream: false, messages: [{ role: 'user', content: [] }] };
    assert.ok(estimateInputTokens(withImage) - estimateInputTokens(plain) >= 1_000);
    const withTools: ChatRequest = {
      ...plain,
      tools: [{ name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
      messages: [{ role: 'assistant', content: [], toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' }] }],
    };
    assert.ok(estimateInputTokens(withTools) > estimateInputTokens(plain) + 10);
  });

  it('estimates embeddings input from text or token ids', () => {
    assert.equal(estimateEmbeddingInputTokens({ model: 'e', input: ['abcd', 'abcde'] }), 1 + 2);
    assert.equal(estimateEmbeddingInputTokens({ model: 'e', input: [[1, 2, 3]] }), 3);
  });
});
