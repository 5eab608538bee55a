import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import { ConfigError } from '../../src/config/config-error.js';
import { validateConfig } from '../../src/config/load.js';
import { createGateway } from '../../src/server/gateway.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { startGateway } from '../helpers/gateway.js';

/** The issues a gateway built from `providers` reports, one line each, as `tollgate validate` prints them. */
async function problems(providers: Record<string, unknown>): Promise<string[]> {
  const config = validateConfig({ storage: { type: 'memory' }, providers }, 'x', {});
  try {
    const gateway = await createGateway(config, { modules: [] });
    await gateway.close();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.issues.map((issue) => `${issue.path}: ${issue.message}${issue.fix === undefined ? '' : `. Fix: ${issue.fix}`}`).sort();
  }
  return [];
}

const azure = { type: 'azure', base_url: 'https://example.openai.azure.com', keys: [{ value: 'test-key-azure' }] };

test('each adapter validates its own options; problems name the path where they were written', async () => {
  assert.deepEqual(
    await problems({
      beside: { ...azure, api_version: 20241021 },
      under: { ...azure, options: { deployments: { 'gpt-4o': 7 } } },
      slow: { type: 'mock', mock: { latency_ms: -1 } },
      frankfurt: { type: 'bedrock', keys: [{ value: 'test-bedrock-key' }], options: { region: 'Frankfurt' } },
      gcp: { type: 'vertex', keys: [{ value: '/etc/tollgate/sa.json' }], options: { region: 'Iowa, USA', anthropic_models: 'claude*' } },
      co: { type: 'cohere', keys: [{ value: 'test-key-cohere' }], options: { input_type: 'query' } },
    }),
    [
      'providers.beside.api_version: expected a string, got 20241021. Fix: give providers.beside.api_version a string',
      'providers.co.options.input_type: "query" is not allowed here. Fix: use one of: search_document, search_query, classification, clustering',
      'providers.frankfurt.options.region: must be an AWS region name, e.g. us-east-1, got "Frankfurt"',
      'providers.gcp.options.anthropic_models: expected a list, got "claude*". Fix: give providers.gcp.options.anthropic_models a list',
      'providers.gcp.options.region: must be a Google Cloud region, e.g. us-central1 or global, got "Iowa, USA"',
      'providers.slow.mock.latency_ms: must be at least 0, got -1',
      'providers.under.options.deployments.gpt-4o: expected a string, got 7. Fix: give providers.under.options.deployments.gpt-4o a string',
    ],
  );
});

test('an option the provider type does not have is reported, beside `type` or under `options`', async () => {
  assert.deepEqual(
    await problems({
      typo: { type: 'mock', mock: { latenc_ms: 5 } },
      stray: { type: 'openai', keys: [{ value: 'test-key-openai' }], api_version: '2024-10-21' },
      misspelt: { ...azure, options: { api_verison: '2024-10-21' } },
    }),
    [
      'providers.misspelt.options: unknown key `api_verison` for provider type `azure`. Fix: check the spelling against the `azure` options in docs/providers.md',
      'providers.stray: unknown key `api_version` for provider type `openai`. Fix: check the spelling against the `openai` options in docs/providers.md',
      'providers.typo.mock: unknown key `latenc_ms` for provider type `mock`. Fix: check the spelling against the `mock` options in docs/providers.md',
    ],
  );
});

test('an option given both beside `type` and under `options` is refused rather than one silently winning', async () => {
  assert.deepEqual(await problems({ both: { ...azure, api_version: '2024-10-21', options: { api_version: '2025-01-01-preview' } } }), [
    'providers.both.api_version: is also set under `options`. Fix: keep one of the two',
  ]);
});

test('Azure options under `options` and beside `type` address the same deployment through a real gateway', async () => {
  const upstream = await startOpenAIFake();
  const base = { type: 'azure', base_url: upstream.url, keys: [{ value: 'test-key-azure' }], models: ['gpt-4o'], max_retries: 0 };
  const running = await startGateway({
    providers: {
      nested: { ...base, options: { api_version: '2025-01-01-preview', deployments: { 'gpt-4o': 'prod-gpt4o' } } },
      beside: { ...base, api_version: '2025-01-01-preview', deployments: { 'gpt-4o': 'prod-gpt4o' } },
      defaults: base,
    },
  });
  try {
    const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const paths: string[] = [];
    for (const provider of ['nested', 'beside', 'defaults']) {
      await client.chat.completions.create({ model: `${provider}/gpt-4o`, messages: [{ role: 'user', content: 'hi' }] });
      paths.push(upstream.requests.at(-1)!.path);
    }
    assert.deepEqual(paths, [
      '/openai/deployments/prod-gpt4o/chat/completions?api-version=2025-01-01-preview',
      '/openai/deployments/prod-gpt4o/chat/completions?api-version=2025-01-01-preview',
      '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21',
    ]);
  } finally {
    await running.close();
    await upstream.close();
  }
});
