import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import OpenAI from 'openai';
import { startCli } from '../helpers/cli.js';

/** The gateway as `npx tollgate` runs it, on an SQLite file: entries stored before SIGTERM answer after a restart. */

const CONFIG = `
storage: { type: sqlite, path: ./tollgate.db }
providers:
  mock:
    type: mock
    models: [small]
    mock: { reply: "A mock answer worth keeping." }
pricing:
  mock/small: { input: 1000, output: 1000 }
cache: { enabled: true, ttl_seconds: 600 }
`;

test('restart keeps entries: whole and streamed answers stored before SIGTERM hit after it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-cache-restart-'));
  const file = join(dir, 'tollgate.yaml');
  await writeFile(file, CONFIG);
  const ask = async (url: string, content: string) => {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: 'mock/small', messages: [{ role: 'user', content }] }).withResponse();
    return { text: data.choices[0]!.message.content, cache: response.headers.get('x-tollgate-cache'), cost: response.headers.get('x-tollgate-cost') };
  };
  const stream = async (url: string, content: string) => {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const { data, response } = await client.chat.completions.create({ model: 'mock/small', messages: [{ role: 'user', content }], stream: true }).withResponse();
    let text = '';
    for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
    return { text, cache: response.headers.get('x-tollgate-cache') };
  };

  const first = await startCli(['--config', file, '--port', '0'], { cwd: dir });
  const whole = await ask(first.url, 'keep me');
  const streamed = await stream(first.url, 'keep me streamed');
  assert.equal(whole.cache, 'miss');
  assert.equal(streamed.cache, 'miss');
  assert.equal(await first.stop(), 0);

  const second = await startCli(['--config', file, '--port', '0'], { cwd: dir });
  try {
    const again = await ask(second.url, 'keep me');
    assert.equal(again.cache, 'hit-exact');
    assert.equal(again.cost, '0');
    assert.equal(again.text, whole.text);
    const replayed = await stream(second.url, 'keep me streamed');
    assert.equal(replayed.cache, 'hit-exact');
    assert.equal(replayed.text, streamed.text);
  } finally {
    assert.equal(await second.stop(), 0);
  }
});
