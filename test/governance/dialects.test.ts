import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import type { RunningGateway } from '../helpers/gateway.js';
import { DEAR_PRICING, startGoverned } from './helpers.js';

let running: RunningGateway;

before(async () => {
  running = await startGoverned({
    providers: { mock: { type: 'mock', models: ['mock-small', 'mock-large'], mock: { output_tokens: 5 } } },
    pricing: DEAR_PRICING,
    virtual_keys: [
      { id: 'claude-user', value: 'vk-test-claude', models: ['*'], budgets: [{ max_usd: 0.000001 }] },
      { id: 'gemini-user', value: 'vk-test-gemini', models: ['mock/mock-small'] },
      { id: 'claude-limited', value: 'vk-test-claude-limited', models: ['*'], rate_limits: { requests: { max: 1, period: '1h' } } },
    ],
  });
});

after(() => running.close());

test('the Anthropic SDK authenticates with x-api-key and gets refusals in its own error envelope', async () => {
  const client = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: 'vk-test-claude', maxRetries: 0 });
  await assert.rejects(client.messages.create({ model: 'mock/mock-small', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }), (error: { status?: number; error?: { type?: string; error?: { type?: string } } }) => {
    assert.equal(error.status, 402);
    assert.equal(error.error?.type, 'error');
    return true;
  });
  const unknown = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: 'vk-test-unknown', maxRetries: 0 });
  await assert.rejects(unknown.messages.create({ model: 'mock/mock-small', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }), (error: { status?: number; error?: { error?: { type?: string } } }) => {
    assert.equal(error.status, 401);
    assert.equal(error.error?.error?.type, 'authentication_error');
    return true;
  });
});

test('a rate-limited Anthropic caller gets 429 rate_limit_error with Retry-After and x-ratelimit-* headers', async () => {
  const client = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: 'vk-test-claude-limited', maxRetries: 0 });
  const ask = () => client.messages.create({ model: 'mock/mock-small', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] });
  await ask();
  await assert.rejects(ask(), (error: { status?: number; headers?: Headers | Record<string, string>; error?: { error?: { type?: string } } }) => {
    assert.equal(error.status, 429);
    assert.equal(error.error?.error?.type, 'rate_limit_error');
    const header = (name: string) => (error.headers instanceof Headers ? error.headers.get(name) : error.headers?.[name]);
    assert.ok(Number(header('retry-after')) > 0);
    assert.equal(header('x-ratelimit-limit-requests'), '1');
    assert.equal(header('x-ratelimit-remaining-requests'), '0');
    return true;
  });
});

test('Gemini callers authenticate with x-goog-api-key; refusals use the Gemini envelope', async () => {
  const send = (key: string, model: string) =>
    fetch(`${running.url}/gemini/v1beta/models/${model}:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': key },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hello' }] }] }),
    });
  assert.equal((await send('vk-test-gemini', 'mock/mock-small')).status, 200);
  const refused = await send('vk-test-gemini', 'mock/mock-large');
  assert.equal(refused.status, 403);
  assert.equal(((await refused.json()) as { error?: { status?: string } }).error?.status, 'PERMISSION_DENIED');
  const unknown = await send('vk-test-nope', 'mock/mock-small');
  assert.equal(unknown.status, 401);
  const body = (await unknown.json()) as { error?: { code?: number; status?: string } };
  assert.equal(body.error?.code, 401);
});
