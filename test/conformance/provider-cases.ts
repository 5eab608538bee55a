import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import { startGeminiFake } from '../fakes/gemini-fake.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';

/** One provider adapter under test: the fake that speaks its wire format and the config that points at it. */
export interface ProviderCase {
  type: string;
  model: string;
  start(): Promise<FakeUpstream>;
  /** `providers.<name>` config for this case, given the running fake. */
  provider(fake: FakeUpstream): Record<string, unknown>;
  /** The header carrying the provider key, and how its value looks. */
  auth: { header: string; value: string };
}

const openaiFamily = ['openai', 'groq', 'mistral', 'together', 'deepseek', 'xai', 'cerebras', 'perplexity', 'fireworks', 'openrouter', 'vllm', 'openai-compatible'];

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
];
