import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openaiChatCodec } from '../../src/codecs/openai-chat/index.js';
import { azureAdapter, type AzureOptions } from '../../src/providers/azure/index.js';
import { openaiFamilyAdapters } from '../../src/providers/openai-compatible/index.js';
import type { ProviderAdapter, ProviderKey, ProviderSettings } from '../../src/providers/provider.js';
import type { ChatRequest } from '../../src/spec/index.js';

const key: ProviderKey = { id: 'k0', value: 'test-key-openai', weight: 1, models: undefined };

function settings(type: string, baseUrl: string, options: Record<string, unknown> = {}): ProviderSettings {
  return { name: type, type, baseUrl, headers: { 'x-team': 'blue' }, options };
}

/** Azure's options as the config would give them: through its options schema, defaults filled in. */
function azureSettings(baseUrl: string, options: Record<string, unknown> = {}): ProviderSettings<AzureOptions> {
  return { ...settings('azure', baseUrl), options: azureAdapter.optionsSchema.parse(options) };
}

function adapter(type: string): ProviderAdapter {
  const found = openaiFamilyAdapters.find((candidate) => candidate.type === type);
  assert.ok(found, `adapter ${type}`);
  return found;
}

const request: ChatRequest = openaiChatCodec.decodeRequest({ model: 'route', messages: [{ role: 'user', content: 'hi' }], max_tokens: 40, seed: 1, user: 'u', stream: true });

describe('OpenAI-compatible family', () => {
  test('every documented type is there, with its default base URL', () => {
    const defaults = Object.fromEntries(openaiFamilyAdapters.map((candidate) => [candidate.type, candidate.defaultBaseUrl]));
    assert.deepEqual(defaults, {
      openai: 'https://api.openai.com/v1',
      groq: 'https://api.groq.com/openai/v1',
      mistral: 'https://api.mistral.ai/v1',
      together: 'https://api.together.xyz/v1',
      deepseek: 'https://api.deepseek.com',
      xai: 'https://api.x.ai/v1',
      cerebras: 'https://api.cerebras.ai/v1',
      perplexity: 'https://api.perplexity.ai',
      fireworks: 'https://api.fireworks.ai/inference/v1',
      openrouter: 'https://openrouter.ai/api/v1',
      ollama: 'http://127.0.0.1:11434/v1',
      vllm: undefined,
      'openai-compatible': undefined,
    });
    assert.deepEqual(openaiFamilyAdapters.filter((candidate) => !candidate.requiresKey).map((candidate) => candidate.type), ['ollama', 'vllm', 'openai-compatible']);
    for (const candidate of openaiFamilyAdapters) assert.equal(candidate.chatCodec.dialect, 'openai-chat');
  });

  test('openai: URL, bearer key, settings headers, SSE framing, max_completion_tokens', () => {
    const built = adapter('openai').buildChatRequest(request, 'gpt-4o', key, settings('openai', 'https://api.openai.com/v1'));
    assert.equal(built.url, 'https://api.openai.com/v1/chat/completions');
    assert.equal(built.method, 'POST');
    assert.equal(built.framing, 'sse');
    assert.equal(built.headers.authorization, 'Bearer test-key-openai');
    assert.equal(built.headers['x-team'], 'blue');
    assert.equal(built.headers['content-type'], 'application/json');
    const body = JSON.parse(built.body!);
    assert.equal(body.model, 'gpt-4o');
    assert.equal(body.max_completion_tokens, 40);
    assert.deepEqual(body.stream_options, { include_usage: true });
  });

  test('other providers get max_tokens', () => {
    for (const type of ['groq', 'together', 'deepseek', 'xai', 'cerebras', 'perplexity', 'fireworks', 'openrouter', 'ollama', 'vllm', 'openai-compatible']) {
      const body = JSON.parse(adapter(type).buildChatRequest(request, 'm', key, settings(type, 'http://upstream/v1')).body!);
      assert.equal(body.max_tokens, 40, type);
      assert.equal('max_completion_tokens' in body, false, type);
    }
  });

  test('mistral: no stream_options or user, seed as random_seed', () => {
    const body = JSON.parse(adapter('mistral').buildChatRequest(request, 'mistral-large-latest', key, settings('mistral', 'https://api.mistral.ai/v1')).body!);
    assert.equal('stream_options' in body, false);
    assert.equal('user' in body, false);
    assert.equal('seed' in body, false);
    assert.equal(body.random_seed, 1);
    assert.equal(body.max_tokens, 40);
    assert.equal(body.stream, true);
  });

  test('top_k reaches servers that sample with it', () => {
    const withTopK: ChatRequest = { ...request, topK: 5 };
    assert.equal(JSON.parse(adapter('together').buildChatRequest(withTopK, 'm', key, settings('together', 'https://x/v1')).body!).top_k, 5);
    assert.equal('top_k' in JSON.parse(adapter('openai').buildChatRequest(withTopK, 'm', key, settings('openai', 'https://x/v1')).body!), false);
  });

  test('keyless servers send no authorization header', () => {
    const built = adapter('ollama').buildChatRequest(request, 'llama3', undefined, settings('ollama', 'http://127.0.0.1:11434/v1'));
    assert.equal(built.url, 'http://127.0.0.1:11434/v1/chat/completions');
    assert.equal('authorization' in built.headers, false);
  });

  test('embeddings: POST <base>/embeddings with the spec request encoded for the upstream model; absent where there is no endpoint', () => {
    const built = adapter('openai').buildEmbeddingRequest!({ model: 'alias', input: ['a'], dimensions: 8, gateway: { fallbacks: ['x'] } }, 'text-embedding-3-small', key, settings('openai', 'https://api.openai.com/v1'));
    assert.equal(built.url, 'https://api.openai.com/v1/embeddings');
    assert.equal(built.headers.authorization, 'Bearer test-key-openai');
    assert.deepEqual(JSON.parse(built.body!), { model: 'text-embedding-3-small', input: ['a'], dimensions: 8 });
    assert.equal(adapter('groq').buildEmbeddingRequest, undefined);
    assert.equal(adapter('groq').embeddingCodec, undefined);
  });
});

describe('Azure OpenAI', () => {
  test('deployment URL, api-version, api-key header', () => {
    const built = azureAdapter.buildChatRequest(request, 'gpt-4o', key, azureSettings('https://res.openai.azure.com', { api_version: '2025-01-01-preview', deployments: { 'gpt-4o': 'prod gpt4o' } }));
    assert.equal(built.url, 'https://res.openai.azure.com/openai/deployments/prod%20gpt4o/chat/completions?api-version=2025-01-01-preview');
    assert.equal(built.headers['api-key'], 'test-key-openai');
    assert.equal('authorization' in built.headers, false);
    assert.equal(built.headers['x-team'], 'blue');
    assert.equal(built.framing, 'sse');
    assert.equal(JSON.parse(built.body!).max_completion_tokens, 40);
  });

  test('defaults: the model is the deployment, a GA api-version', () => {
    const built = azureAdapter.buildChatRequest(request, 'gpt-4o-mini', key, azureSettings('https://res.openai.azure.com'));
    assert.equal(built.url, 'https://res.openai.azure.com/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21');
  });

  test('embeddings use the deployment too; the v1 API needs no api-version', () => {
    const built = azureAdapter.buildEmbeddingRequest!({ model: 'e', input: ['x'], singleInput: true }, 'text-embedding-3-large', key, azureSettings('https://res.openai.azure.com', { deployments: { 'text-embedding-3-large': 'emb' } }));
    assert.equal(built.url, 'https://res.openai.azure.com/openai/deployments/emb/embeddings?api-version=2024-10-21');
    assert.deepEqual(JSON.parse(built.body!), { model: 'text-embedding-3-large', input: 'x' }, 'a single input goes as the caller sent it');
    const v1 = azureAdapter.buildChatRequest(request, 'gpt-4o', key, azureSettings('https://res.openai.azure.com/openai/v1'));
    assert.equal(v1.url, 'https://res.openai.azure.com/openai/v1/chat/completions');
  });
});
