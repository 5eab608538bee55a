import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import WebSocket from 'ws';
import type { RequestRecord } from '../../src/observability/log/request-record.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { ADMIN_TOKEN } from './admin-client.js';

let running: RunningGateway;
let client: OpenAI;

before(async () => {
  running = await startGateway({
    admin: { token: ADMIN_TOKEN },
    providers: { mock: { type: 'mock', models: ['mock-small'] }, other: { type: 'mock', models: ['mock-small'] } },
  });
  client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'test-key-openai', maxRetries: 0 });
});

after(() => running.close());

function connect(query: string, token = ADMIN_TOKEN): Promise<WebSocket> {
  const socket = new WebSocket(`${running.url.replace('http:', 'ws:')}/admin/logs/tail${query}`, { headers: { authorization: `Bearer ${token}` } });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`status ${response.statusCode}`)));
    socket.once('error', reject);
  });
}

test('the tail streams matching records as they are written', async () => {
  const socket = await connect('?provider=other');
  const received: RequestRecord[] = [];
  const gotTwo = new Promise<void>((resolve) =>
    socket.on('message', (data) => {
      received.push(JSON.parse(String(data)) as RequestRecord);
      if (received.length === 2) resolve();
    }),
  );
  await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'not for the tail' }] }, { headers: { 'x-request-id': 'tail-skip' } });
  await client.chat.completions.create({ model: 'other/mock-small', messages: [{ role: 'user', content: 'tail one' }] }, { headers: { 'x-request-id': 'tail-1' } });
  await client.chat.completions.create({ model: 'other/mock-small', messages: [{ role: 'user', content: 'tail two' }] }, { headers: { 'x-request-id': 'tail-2' } });
  await gotTwo;
  socket.close();
  assert.deepEqual(received.map((record) => [record.request_id, record.provider, record.status]), [
    ['tail-1', 'other', 200],
    ['tail-2', 'other', 200],
  ]);
});

test('the tail refuses a wrong admin token and a bad filter', async () => {
  await assert.rejects(connect('', 'not-the-admin-token-value'), /status 401/);
  await assert.rejects(connect('?min_latency_ms=fast'), /status 400/);
});

test('an unknown upgrade path is refused with 404', async () => {
  const socket = new WebSocket(`${running.url.replace('http:', 'ws:')}/nowhere`);
  const status = await new Promise<number>((resolve) => socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0)));
  assert.equal(status, 404);
});
