import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { buildProviderInstances } from '../../src/providers/build-instances.js';
import { bedrockAdapter, converseUrl } from '../../src/providers/bedrock/index.js';
import { createAdapterRegistry } from '../../src/providers/registry.js';
import type { ConfigIssue } from '../../src/config/config-error.js';
import type { ProviderConfig } from '../../src/config/provider-schema.js';
import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import { startBedrockFake, TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY, type BedrockFakeReply } from '../fakes/bedrock-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { watchLeaks } from '../routing/leak-watch.js';

const MODEL = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const PROFILE_ARN = 'arn:aws:bedrock:us-east-1:000000000000:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0';

function bedrockProvider(fake: FakeUpstream, key: string, models: string[] = [MODEL]): Record<string, unknown> {
  return { type: 'bedrock', base_url: fake.url, options: { region: 'us-east-1' }, keys: [{ value: key }], models, max_retries: 0 };
}

function providerConfig(overrides: Partial<ProviderConfig>): ProviderConfig {
  return { type: 'bedrock', keys: [{ value: 'test-bedrock-api-key', weight: 1 }], headers: {}, timeout_ms: 1000, max_retries: 0, options: {}, ...overrides } as ProviderConfig;
}

describe('Bedrock adapter', () => {
  test('the endpoint comes from options.region; a malformed region is a config issue', () => {
    const issues: ConfigIssue[] = [];
    const instances = buildProviderInstances(
      { frankfurt: providerConfig({ options: { region: 'eu-central-1' } }), plain: providerConfig({}), broken: providerConfig({ options: { region: 'Frankfurt!' } }) },
      createAdapterRegistry(),
      issues,
    );
    assert.equal(instances.get('frankfurt')!.settings.baseUrl, 'https://bedrock-runtime.eu-central-1.amazonaws.com');
    assert.equal(instances.get('plain')!.settings.baseUrl, 'https://bedrock-runtime.us-east-1.amazonaws.com');
    assert.equal(instances.has('broken'), false);
    assert.deepEqual(issues.map((issue) => issue.path), ['providers.broken.options.region']);
    assert.match(issues[0]!.message, /must be an AWS region name, e.g. us-east-1/);
  });

  test('model ids and inference profile ARNs are percent-encoded into the path', () => {
    assert.equal(converseUrl('https://h', MODEL, false), 'https://h/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse');
    assert.equal(converseUrl('https://h', PROFILE_ARN, true), `https://h/model/${encodeURIComponent(PROFILE_ARN)}/converse-stream`);
  });

  test('a Bedrock API key goes as a bearer token and nothing is signed', async () => {
    const settings = { name: 'b', type: 'bedrock', baseUrl: 'https://bedrock-runtime.us-east-1.amazonaws.com', headers: {}, options: {} };
    const key = { id: 'b-0', value: 'test-bedrock-api-key', weight: 1, models: undefined };
    const built = bedrockAdapter.buildChatRequest({ model: 'b/m', stream: true, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] }, MODEL, key, settings);
    const signed = await bedrockAdapter.sign!(built, key, settings);
    assert.equal(signed.headers.authorization, 'Bearer test-bedrock-api-key');
    assert.equal(signed.headers['x-amz-date'], undefined);
    assert.equal(signed.headers.accept, 'application/vnd.amazon.eventstream');
    assert.equal(signed.framing, 'aws-eventstream');
  });
});

describe('Bedrock through the gateway', () => {
  let bedrock: FakeUpstream;
  let anthropic: FakeUpstream;

  before(async () => {
    bedrock = await startBedrockFake();
    anthropic = await startAnthropicFake();
  });
  after(async () => {
    await bedrock.close();
    await anthropic.close();
  });

  async function withGateway(providers: Record<string, unknown>, run: (client: OpenAI, running: RunningGateway) => Promise<void>, extra: Record<string, unknown> = {}): Promise<void> {
    const running = await startGateway({ providers, ...extra });
    const leaks = watchLeaks(running);
    try {
      await run(new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0 }), running);
      // Exception frames and all: no timer, routing session or in-flight attempt is left behind.
      await leaks.settled({ idleSockets: 2 });
    } finally {
      await running.close();
    }
  }

  test('an in-stream throttlingException before any content fails over to the second provider', async () => {
    const throttled: BedrockFakeReply = { text: 'never seen', streamException: { type: 'throttlingException', message: 'Too many tokens, please wait before trying again.', afterEvents: 1 } };
    bedrock.enqueue(throttled);
    anthropic.enqueue({ text: 'Answer from Anthropic.', usage: { input: 5, output: 4 } });
    const bedrockBefore = bedrock.requests.length;
    const anthropicBefore = anthropic.requests.length;
    await withGateway(
      {
        aws: bedrockProvider(bedrock, `${TEST_ACCESS_KEY_ID}:${TEST_SECRET_ACCESS_KEY}`),
        claude: { type: 'anthropic', base_url: anthropic.url, keys: [{ value: 'test-key-anthropic' }], models: ['claude-sonnet-4-5'], max_retries: 0 },
      },
      async (client) => {
        const stream = await client.chat.completions.create({ model: 'sonnet', stream: true, messages: [{ role: 'user', content: 'hello' }] });
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
        assert.equal(text, 'Answer from Anthropic.');
      },
      { routes: { sonnet: { targets: [{ model: `aws/${MODEL}` }], fallbacks: ['claude/claude-sonnet-4-5'] } } },
    );
    assert.equal(bedrock.requests.length - bedrockBefore, 1, 'Bedrock was tried once');
    assert.equal(bedrock.requests[bedrock.requests.length - 1]!.summary!.stream, true);
    assert.equal(anthropic.requests.length - anthropicBefore, 1, 'then Anthropic answered');
  });

  test('an exception after content has reached the caller ends the stream with an error', async () => {
    const broken: BedrockFakeReply = { text: 'Partial answer here', streamException: { type: 'modelStreamErrorException', message: 'The model stream broke.', afterEvents: 3 } };
    bedrock.enqueue(broken);
    await withGateway({ aws: bedrockProvider(bedrock, `${TEST_ACCESS_KEY_ID}:${TEST_SECRET_ACCESS_KEY}`) }, async (client) => {
      const stream = await client.chat.completions.create({ model: `aws/${MODEL}`, stream: true, messages: [{ role: 'user', content: 'hello' }] });
      let text = '';
      await assert.rejects(async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      }, /model stream broke/);
      assert.ok(text.startsWith('Partial'), text);
    });
  });

  test('a wrong secret is refused by the signature check and reported as upstream_auth_failed', async () => {
    await withGateway({ aws: bedrockProvider(bedrock, `${TEST_ACCESS_KEY_ID}:not-the-secret`) }, async (client, running) => {
      await assert.rejects(client.chat.completions.create({ model: `aws/${MODEL}`, messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
        assert.ok(error instanceof OpenAI.APIError);
        assert.equal((error.error as { code?: string }).code, 'upstream_auth_failed');
        assert.match(error.message, /InvalidSignatureException/);
        return true;
      });
      assert.ok(!JSON.stringify(running.logs).includes('not-the-secret'), 'the secret never appears in logs');
    });
  });

  test('temporary credentials send a signed x-amz-security-token; ARN model ids are signed over the encoded path', async () => {
    await withGateway({ aws: bedrockProvider(bedrock, `${TEST_ACCESS_KEY_ID}:${TEST_SECRET_ACCESS_KEY}:test-session-token`, [PROFILE_ARN]) }, async (client) => {
      const reply = await client.chat.completions.create({ model: `aws/${PROFILE_ARN}`, messages: [{ role: 'user', content: 'x' }] });
      assert.equal(reply.choices[0]!.message.content, 'Hello from the fake upstream.');
    });
    const last = bedrock.requests[bedrock.requests.length - 1]!;
    assert.equal(last.headers['x-amz-security-token'], 'test-session-token');
    assert.match(String(last.headers.authorization), /SignedHeaders=[a-z0-9;-]*x-amz-security-token/);
    assert.equal(last.path, `/model/${encodeURIComponent(PROFILE_ARN)}/converse`);
    assert.equal(last.summary!.model, PROFILE_ARN);
  });

  test('a Bedrock API key reaches the upstream as a bearer token', async () => {
    await withGateway({ aws: bedrockProvider(bedrock, 'test-bedrock-api-key') }, async (client) => {
      const reply = await client.chat.completions.create({ model: `aws/${MODEL}`, messages: [{ role: 'user', content: 'x' }] });
      assert.equal(reply.model, MODEL, 'Converse bodies name no model: the one asked for is shown');
    });
    const last = bedrock.requests[bedrock.requests.length - 1]!;
    assert.equal(last.headers.authorization, 'Bearer test-bedrock-api-key');
    assert.equal(last.headers['x-amz-date'], undefined);
  });
});
