import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import { startBedrockFake, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY } from '../fakes/bedrock-fake.js';
import { startCohereFake } from '../fakes/cohere-fake.js';
import { startGeminiFake } from '../fakes/gemini-fake.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { startVertexFake, VERTEX_TEST_REGION, type VertexFake } from '../fakes/vertex-fake.js';

/** One provider adapter under test: the fake that speaks its wire format and the config that points at it. */
export interface ProviderCase {
  type: string;
  model: string;
  start(): Promise<FakeUpstream>;
  /** `providers.<name>` config for this case, given the running fake. */
  provider(fake: FakeUpstream): Record<string, unknown>;
  /**
   * The header carrying the provider key and how its value looks: exact, or a pattern for signed
   * requests (SigV4), whose `secret` must then never appear in logs.
   */
  auth: { header: string; value: string } | { header: string; pattern: RegExp; secret: string };
}

/**
 * Vertex AI through a fake that is also its OAuth token endpoint: the key is a service-account key
 * generated for the test, the bearer token one the fake issued for the JWT it verified.
 */
function vertexCase(model: string): ProviderCase {
  return {
    type: 'vertex',
    model,
    start: startVertexFake,
    provider: (fake) => ({
      type: 'vertex',
      base_url: `${fake.url}/v1`,
      options: { region: VERTEX_TEST_REGION },
      // Suites that bring their own upstream (not a VertexFake) set their own key.
      keys: 'serviceAccountJson' in fake ? [{ value: (fake as VertexFake).serviceAccountJson() }] : [],
      models: [model],
      max_retries: 0,
    }),
    auth: { header: 'authorization', pattern: /^Bearer ya29\.fake-\d+-[a-z0-9]+$/, secret: 'BEGIN PRIVATE KEY' },
  };
}

const openaiFamily = ['openai', 'groq', 'mistral', 'together', 'deepseek', 'xai', 'cerebras', 'perplexity', 'fireworks', 'openrouter', 'ollama', 'vllm', 'openai-compatible'];

export const providerCases: ProviderCase[] = [
  ...openaiFamily.map<ProviderCase>((type) => ({
    type,
    model: 'test-model',
    start: startOpenAIFake,
    provider: (fake) => ({ type, base_url: `${fake.url}/v1`, keys: [{ value: `test-key-${type}` }], models: ['test-model'], max_retries: 0 }),
    auth: { header: 'authorization', value: `Bearer test-key-${type}` },
  })),
  {
    type: 'azure',
    model: 'gpt-4o',
    start: startOpenAIFake,
    provider: (fake) => ({ type: 'azure', base_url: fake.url, api_version: '2024-10-21', deployments: { 'gpt-4o': 'prod-gpt4o' }, keys: [{ value: 'test-key-azure' }], models: ['gpt-4o'], max_retries: 0 }),
    auth: { header: 'api-key', value: 'test-key-azure' },
  },
  {
    type: 'anthropic',
    model: 'claude-sonnet-4-5',
    start: startAnthropicFake,
    provider: (fake) => ({ type: 'anthropic', base_url: fake.url, keys: [{ value: 'test-key-anthropic' }], models: ['claude-sonnet-4-5'], max_retries: 0 }),
    auth: { header: 'x-api-key', value: 'test-key-anthropic' },
  },
  {
    type: 'gemini',
    model: 'gemini-2.5-flash',
    start: startGeminiFake,
    provider: (fake) => ({ type: 'gemini', base_url: `${fake.url}/v1beta`, keys: [{ value: 'test-key-gemini' }], models: ['gemini-2.5-flash'], max_retries: 0 }),
    auth: { header: 'x-goog-api-key', value: 'test-key-gemini' },
  },
  {
    // The fake recomputes each SigV4 signature with the same test credentials and refuses a mismatch.
    type: 'bedrock',
    model: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
    start: () => startBedrockFake(),
    provider: (fake) => ({
      type: 'bedrock',
      base_url: fake.url,
      options: { region: 'us-east-1' },
      keys: [{ value: `${TEST_ACCESS_KEY_ID}:${TEST_SECRET_ACCESS_KEY}` }],
      models: ['anthropic.claude-sonnet-4-5-20250929-v1:0'],
      max_retries: 0,
    }),
    auth: {
      header: 'authorization',
      pattern: new RegExp(`^AWS4-HMAC-SHA256 Credential=${TEST_ACCESS_KEY_ID}/\\d{8}/us-east-1/bedrock/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$`),
      secret: TEST_SECRET_ACCESS_KEY,
    },
  },
  vertexCase('gemini-2.5-flash'),
  vertexCase('claude-sonnet-4-5@20250929'),
  {
    type: 'cohere',
    model: 'command-a-03-2025',
    start: startCohereFake,
    provider: (fake) => ({ type: 'cohere', base_url: fake.url, keys: [{ value: 'test-key-cohere' }], models: ['command-a-03-2025'], max_retries: 0 }),
    auth: { header: 'authorization', value: 'Bearer test-key-cohere' },
  },
];
