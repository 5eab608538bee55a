import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import type { RequestRecord } from '../../src/observability/log/request-record.js';
import { startGateway } from '../helpers/gateway.js';
import { ADMIN_TOKEN, adminGet } from './admin-client.js';

type Page = { logs: RequestRecord[]; total: number };

async function contentOf(url: string, requestId: string): Promise<[string | null, string | null]> {
  const { body } = await adminGet<Page>(url, `/admin/logs?request_id=${requestId}`);
  assert.equal(body.total, 1, requestId);
  return [body.logs[0]!.request_content, body.logs[0]!.response_content];
}

test('content logging is off unless the config turns it on', async () => {
  const running = await startGateway({ admin: { token: ADMIN_TOKEN }, providers: { mock: { type: 'mock', models: ['mock-small'] } } });
  try {
    const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'not kept by default' }] }, { headers: { 'x-request-id': 'default-off' } });
    assert.deepEqual(await contentOf(running.url, 'default-off'), [null, null]);
  } finally {
    await running.close();
  }
});

test('with content logging on, a key with log_content: false and a request opting out keep their bodies out', async () => {
  const running = await startGateway({
    admin: { token: ADMIN_TOKEN },
    providers: { mock: { type: 'mock', models: ['mock-small'] } },
    virtual_keys: [
      { id: 'open-book', value: 'vk-test-open-book', models: ['*'] },
      { id: 'discreet', value: 'vk-test-discreet', models: ['*'], log_content: false },
    ],
    observability: { log_content: true },
  });
  try {
    const as = (key: string) => new OpenAI({ baseURL: `${running.url}/v1`, apiKey: key, maxRetries: 0 });
    const ask = (key: string, requestId: string, headers: Record<string, string> = {}) =>
      as(key).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: `words of ${requestId}` }] }, { headers: { 'x-request-id': requestId, ...headers } });
    await ask('vk-test-open-book', 'open-1');
    await ask('vk-test-discreet', 'discreet-1');
    await ask('vk-test-open-book', 'open-opted-out', { 'x-tollgate-log-content': 'off' });
    const [request, response] = await contentOf(running.url, 'open-1');
    assert.match(request ?? '', /words of open-1/);
    assert.match(response ?? '', /words of open-1/);
    assert.deepEqual(await contentOf(running.url, 'discreet-1'), [null, null]);
    assert.deepEqual(await contentOf(running.url, 'open-opted-out'), [null, null]);
    // The rest of the discreet key's record is kept.
    const { body } = await adminGet<Page>(running.url, '/admin/logs?virtual_key_id=discreet');
    assert.deepEqual(body.logs.map((record) => [record.request_id, record.status, record.provider]), [['discreet-1', 200, 'mock']]);
  } finally {
    await running.close();
  }
});

test('secrets in a logged prompt are redacted and bodies are capped at max_content_bytes', async () => {
  const running = await startGateway({ admin: { token: ADMIN_TOKEN }, providers: { mock: { type: 'mock', models: ['mock-small'] } }, observability: { log_content: true, max_content_bytes: 300 } });
  try {
    const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const secret = 'sk-proj-' + '0123456789abcdefghijABCDEFGHIJ'; // made up; split for secret scanners
    await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: `my key is ${secret} ${'padding '.repeat(100)}` }] }, { headers: { 'x-request-id': 'secretive' } });
    const [request, response] = await contentOf(running.url, 'secretive');
    for (const body of [request, response]) {
      assert.ok(body !== null);
      assert.ok(!body.includes(secret), body);
      assert.match(body, /\[REDACTED\]/);
      assert.ok(body.endsWith('…[truncated]'), body);
      assert.ok(Buffer.byteLength(body.slice(0, -'…[truncated]'.length)) <= 300);
    }
  } finally {
    await running.close();
  }
});
