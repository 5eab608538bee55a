import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import type { RunningGateway } from '../helpers/gateway.js';
import { cachedEntries, cacheConfig, KEY_A, KEY_B, startCached, storedBeyond } from './helpers.js';

/** Every chat surface, streamed miss then streamed hit: the hit replays the same content in the caller's dialect, without the upstream. */

let fake: FakeUpstream;
/** Entries shared across dialects (`share_across_dialects: true`). */
let running: RunningGateway;
/** The default: each dialect its own entries, but for key bravo, whose own settings share them. */
let apart: RunningGateway;

before(async () => {
  fake = await startOpenAIFake();
  running = await startCached(cacheConfig(fake.url, { share_across_dialects: true }));
  const config = cacheConfig(fake.url) as { virtual_keys: Record<string, unknown>[] };
  config.virtual_keys = config.virtual_keys.map((key) => (key.id === 'bravo' ? { ...key, cache: { share_across_dialects: true } } : key));
  apart = await startCached(config);
});
after(async () => {
  await running.close();
  await apart.close();
  await fake.close();
});

const ANSWER = 'Streams are replayed, word for word: «ünïcödé» and 🦜 included.';

async function missThenHit(label: string, read: () => Promise<{ text: string; cache: string | null }>): Promise<void> {
  fake.enqueue({ text: ANSWER, usage: { input: 12, output: 9 } });
  const entries = await cachedEntries(running.url);
  const first = await read();
  assert.equal(first.cache, 'miss', `${label}: first request`);
  assert.equal(first.text, ANSWER, `${label}: the streamed miss`);
  await storedBeyond(running.url, entries);
  const before = fake.requests.length;
  const second = await read();
  assert.equal(second.cache, 'hit-exact', `${label}: second request`);
  assert.equal(Buffer.compare(Buffer.from(second.text), Buffer.from(first.text)), 0, `${label}: byte-identical content`);
  assert.equal(fake.requests.length, before, `${label}: the hit never reached the upstream`);
}

test('OpenAI chat completions', async () => {
  const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: KEY_A, maxRetries: 0 });
  await missThenHit('openai', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'openai/gpt-test', messages: [{ role: 'user', content: 'dialect openai' }], stream: true }).withResponse();
    let text = '';
    for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
    return { text, cache: response.headers.get('x-tollgate-cache') };
  });
});

test('OpenAI Responses', async () => {
  const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: KEY_A, maxRetries: 0 });
  await missThenHit('responses', async () => {
    const { data, response } = await client.responses.create({ model: 'openai/gpt-test', input: 'dialect responses', stream: true }).withResponse();
    let text = '';
    for await (const event of data) if (event.type === 'response.output_text.delta') text += event.delta;
    return { text, cache: response.headers.get('x-tollgate-cache') };
  });
});

test('Anthropic messages', async () => {
  const client = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: KEY_A, maxRetries: 0 });
  await missThenHit('anthropic', async () => {
    const { data, response } = await client.messages.create({ model: 'openai/gpt-test', max_tokens: 100, messages: [{ role: 'user', content: 'dialect anthropic' }], stream: true }).withResponse();
    let text = '';
    for await (const event of data) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    return { text, cache: response.headers.get('x-tollgate-cache') };
  });
  // The same question not streamed shares the entry, in Anthropic's shape.
  const { data, response } = await client.messages.create({ model: 'openai/gpt-test', max_tokens: 100, messages: [{ role: 'user', content: [{ type: 'text', text: 'dialect anthropic' }] }] }).withResponse();
  assert.equal(response.headers.get('x-tollgate-cache'), 'hit-exact');
  assert.equal(data.content[0]!.type === 'text' ? data.content[0]!.text : '', ANSWER);
});

test('Gemini generateContent', async () => {
  let cache: string | null = null;
  const ai = new GoogleGenAI({
    apiKey: KEY_A,
    httpOptions: { baseUrl: `${running.url}/gemini` },
  });
  await missThenHit('gemini', async () => {
    const original = globalThis.fetch;
    // The SDK hides response headers on streams: read them at the fetch it makes.
    globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
      const response = await original(...args);
      cache = response.headers.get('x-tollgate-cache');
      return response;
    };
    try {
      let text = '';
      for await (const chunk of await ai.models.generateContentStream({ model: 'openai/gpt-test', contents: 'dialect gemini' })) text += chunk.text ?? '';
      return { text, cache };
    } finally {
      globalThis.fetch = original;
    }
  });
});

test('the cache key does not depend on the dialect when the request says the same', async () => {
  // OpenAI and Anthropic decode `hello twins` with max tokens 100 to the same spec request.
  const openai = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: KEY_A, maxRetries: 0 });
  const anthropic = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: KEY_A, maxRetries: 0 });
  fake.enqueue({ text: 'Twins.' });
  const first = await anthropic.messages.create({ model: 'openai/gpt-test', max_tokens: 100, messages: [{ role: 'user', content: 'hello twins' }] }).withResponse();
  assert.equal(first.response.headers.get('x-tollgate-cache'), 'miss');
  const second = await openai.chat.completions.create({ model: 'openai/gpt-test', max_tokens: 100, messages: [{ role: 'user', content: 'hello twins' }] }).withResponse();
  assert.equal(second.response.headers.get('x-tollgate-cache'), 'hit-exact');
  assert.equal(second.data.choices[0]!.message.content, 'Twins.');
});

test('by default each dialect has its own entries: the same request in another dialect is a miss, unless the key shares them', async () => {
  const ask = async (key: string, dialect: 'openai' | 'anthropic', content: string) => {
    if (dialect === 'openai') {
      const { response } = await new OpenAI({ baseURL: `${apart.url}/v1`, apiKey: key, maxRetries: 0 }).chat.completions.create({ model: 'openai/gpt-test', max_tokens: 100, messages: [{ role: 'user', content }] }).withResponse();
      return response.headers.get('x-tollgate-cache');
    }
    const { response } = await new Anthropic({ baseURL: `${apart.url}/anthropic`, apiKey: key, maxRetries: 0 }).messages.create({ model: 'openai/gpt-test', max_tokens: 100, messages: [{ role: 'user', content }] }).withResponse();
    return response.headers.get('x-tollgate-cache');
  };
  assert.equal(await ask(KEY_A, 'anthropic', 'twins kept apart'), 'miss');
  assert.equal(await ask(KEY_A, 'openai', 'twins kept apart'), 'miss', 'the OpenAI caller does not get the entry the Anthropic caller stored');
  assert.equal(await ask(KEY_A, 'openai', 'twins kept apart'), 'hit-exact');
  assert.equal(await ask(KEY_A, 'anthropic', 'twins kept apart'), 'hit-exact');
  // A key whose own settings share entries across dialects.
  assert.equal(await ask(KEY_B, 'anthropic', 'twins shared by a key'), 'miss');
  assert.equal(await ask(KEY_B, 'openai', 'twins shared by a key'), 'hit-exact');
});

test('whole hits in several dialects of one entry: each dialect answers in its own shape, the same bytes hit after hit', async () => {
  // The same body in both dialects (it decodes to the same request, so it is one entry).
  const body = { model: 'openai/gpt-test', max_tokens: 100, messages: [{ role: 'user', content: 'rendered once per dialect' }] };
  const paths: Record<string, string> = { openai: '/v1/chat/completions', anthropic: '/anthropic/v1/messages' };
  const post = async (dialect: string) => {
    const response = await fetch(`${running.url}${paths[dialect]}`, { method: 'POST', headers: { authorization: `Bearer ${KEY_A}`, 'x-api-key': KEY_A, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(response.status, 200, dialect);
    return { cache: response.headers.get('x-tollgate-cache'), text: await response.text() };
  };
  fake.enqueue({ text: 'Rendered.' });
  assert.equal((await post('openai')).cache, 'miss');
  const openai = await post('openai');
  const anthropic = await post('anthropic');
  assert.deepEqual([openai.cache, anthropic.cache], ['hit-exact', 'hit-exact']);
  assert.equal((JSON.parse(openai.text) as OpenAI.ChatCompletion).choices[0]!.message.content, 'Rendered.');
  const message = JSON.parse(anthropic.text) as Anthropic.Message;
  assert.equal(message.type, 'message');
  assert.equal(message.content[0]!.type === 'text' ? message.content[0]!.text : '', 'Rendered.');
  for (let round = 0; round < 3; round++) {
    assert.equal((await post('openai')).text, openai.text, 'openai: the same bytes');
    assert.equal((await post('anthropic')).text, anthropic.text, 'anthropic: the same bytes');
  }
});

test('OpenAI legacy text completions, whole and streamed: the same prompt again is a hit in the completions shape', async () => {
  const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: KEY_A, maxRetries: 0 });
  const ask = async () => {
    const { data, response } = await client.completions.create({ model: 'openai/gpt-test', prompt: 'dialect legacy completions', max_tokens: 32 }).withResponse();
    return { text: data.choices[0]!.text, object: data.object, cache: response.headers.get('x-tollgate-cache') };
  };
  fake.enqueue({ text: ANSWER, usage: { input: 12, output: 9 } });
  const entries = await cachedEntries(running.url);
  const first = await ask();
  assert.equal(first.cache, 'miss');
  assert.equal(first.text, ANSWER);
  await storedBeyond(running.url, entries);
  const before = fake.requests.length;
  const second = await ask();
  assert.deepEqual(second, { text: ANSWER, object: 'text_completion', cache: 'hit-exact' });
  assert.equal(fake.requests.length, before, 'the hit never reached the upstream');
  // Streamed, the same entry replays as text_completion chunks.
  const { data: stream, response } = await client.completions.create({ model: 'openai/gpt-test', prompt: 'dialect legacy completions', max_tokens: 32, stream: true }).withResponse();
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
  assert.equal(response.headers.get('x-tollgate-cache'), 'hit-exact');
  assert.equal(text, ANSWER);
});
