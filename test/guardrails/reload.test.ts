import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import { validateConfig } from '../../src/config/load.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { startGateway } from '../helpers/gateway.js';

test('a reload swaps the rules and the apply lists for the next request', async () => {
  const fake = await startOpenAIFake();
  const providers = { openai: { type: 'openai', base_url: `${fake.url}/v1`, keys: [{ value: 'test-key-openai' }], models: ['gpt-4o-mini'], max_retries: 0 } };
  const running = await startGateway({ providers });
  try {
    const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const ask = () => client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'mail bo@example.com' }] });
    await ask();
    assert.equal(fake.requests.at(-1)!.summary!.messages.at(-1)?.text, 'mail bo@example.com');
    const base = { storage: { type: 'memory' }, server: { port: 0, host: '127.0.0.1', shutdown_grace_ms: 2000 }, providers };
    const rules = [{ name: 'emails', detector: 'pii', types: ['email'], action: 'redact' }];
    await running.gateway.reload(validateConfig({ ...base, guardrails: { rules, apply: ['emails'] } }, 'next', {}));
    await ask();
    assert.equal(fake.requests.at(-1)!.summary!.messages.at(-1)?.text, 'mail [EMAIL_1]');
    // Defined but applied nowhere: the rule does not run.
    await running.gateway.reload(validateConfig({ ...base, guardrails: { rules, apply: [] } }, 'next', {}));
    await ask();
    assert.equal(fake.requests.at(-1)!.summary!.messages.at(-1)?.text, 'mail bo@example.com');
  } finally {
    await running.close();
    await fake.close();
  }
});
