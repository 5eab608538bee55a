import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import type { RunningGateway } from '../helpers/gateway.js';
import { ADMIN_TOKEN, adminCall, cachedEntries, cacheConfig, KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, startCached, storedBeyond, TestClock } from './helpers.js';

let fake: FakeUpstream;
let running: RunningGateway;
const clock = new TestClock(Date.parse('2026-05-01T00:00:00Z'));

before(async () => {
  fake = await startOpenAIFake();
  running = await startCached(cacheConfig(fake.url), { now: clock.now });
});
after(async () => {
  await running.close();
  await fake.close();
});

function client(key: string, headers: Record<string, string> = {}): OpenAI {
  return new OpenAI({ baseURL: `${running.url}/v1`, apiKey: key, maxRetries: 0, defaultHeaders: headers });
}

async function ask(key: string, content: string, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}, headers: Record<string, string> = {}) {
  const { data, response } = await client(key, headers).chat.completions.create({ model: 'openai/gpt-test', messages: [{ role: 'user', content }], ...extra }).withResponse();
  return { data, headers: response.headers };
}

let unique = 0;
const fresh = (label: string) => `${label} #${++unique}`;

test('an identical request hits the exact layer: no upstream call, cost 0, the same answer, the saved cost', async () => {
  const question = fresh('What is the capital of France?');
  fake.enqueue({ text: 'Paris.', usage: { input: 10, output: 2 } });
  const before = fake.requests.length;
  const first = await ask(KEY_A, question);
  assert.equal(first.headers.get('x-tollgate-cache'), 'miss');
  assert.equal(first.data.choices[0]!.message.content, 'Paris.');
  assert.equal(fake.requests.length, before + 1);
  const paid = Number(first.headers.get('x-tollgate-cost'));
  assert.ok(paid > 0);

  const second = await ask(KEY_A, question);
  assert.equal(fake.requests.length, before + 1, 'the hit never reached the upstream');
  assert.equal(second.headers.get('x-tollgate-cache'), 'hit-exact');
  assert.equal(second.headers.get('x-tollgate-cost'), '0');
  assert.equal(Number(second.headers.get('x-tollgate-cache-saved-usd')), paid);
  assert.equal(second.data.choices[0]!.message.content, 'Paris.');
  assert.equal(second.data.id, first.data.id);
});

test('the same request reformatted (key order, whitespace, number spelling, content as one text part) hits', async () => {
  const question = fresh('Name a prime number.');
  fake.enqueue({ text: 'Seven.', usage: { input: 10, output: 2 } });
  await ask(KEY_A, question, { temperature: 0.5, max_tokens: 20 });
  const before = fake.requests.length;
  const raw = `{ "temperature" : 5e-1,\n "messages": [ { "content": [ { "text": ${JSON.stringify(question)}, "type": "text" } ], "role": "user" } ],\n\t"max_tokens": 20.0, "model": "openai/gpt-test" }`;
  const response = await fetch(`${running.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' }, body: raw });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-tollgate-cache'), 'hit-exact');
  const body = (await response.json()) as OpenAI.ChatCompletion;
  assert.equal(body.choices[0]!.message.content, 'Seven.');
  assert.equal(fake.requests.length, before);
});

test('a parameter that changes the answer misses', async () => {
  const question = fresh('Write a haiku.');
  await ask(KEY_A, question, { temperature: 0 });
  const other = await ask(KEY_A, question, { temperature: 0.7 });
  assert.equal(other.headers.get('x-tollgate-cache'), 'miss');
  const tokens = await ask(KEY_A, question, { temperature: 0, max_tokens: 5 });
  assert.equal(tokens.headers.get('x-tollgate-cache'), 'miss');
});

test('two keys never share entries; keys whose namespace is their team do', async () => {
  const question = fresh('Tell me a secret.');
  fake.enqueue({ text: 'Alpha-only answer.' });
  await ask(KEY_A, question);
  const before = fake.requests.length;
  const bravo = await ask(KEY_B, question);
  assert.equal(bravo.headers.get('x-tollgate-cache'), 'miss');
  assert.notEqual(bravo.data.choices[0]!.message.content, 'Alpha-only answer.');
  assert.equal(fake.requests.length, before + 1);

  fake.enqueue({ text: 'Team answer.' });
  await ask(KEY_C, question);
  const dave = await ask(KEY_D, question);
  assert.equal(dave.headers.get('x-tollgate-cache'), 'hit-exact');
  assert.equal(dave.data.choices[0]!.message.content, 'Team answer.');
});

test('a shared entry reaches only keys that may use the model', async () => {
  const question = fresh('Team-shared question.');
  await ask(KEY_C, question);
  assert.equal((await ask(KEY_D, question)).headers.get('x-tollgate-cache'), 'hit-exact');
  await assert.rejects(ask(KEY_E, question), (error: unknown) => {
    assert.ok(error instanceof OpenAI.PermissionDeniedError);
    assert.equal((error.error as { code?: string }).code, 'model_not_allowed');
    return true;
  });
});

test('x-tollgate-cache-namespace narrows the namespace, only where the key allows it', async () => {
  const question = fresh('Sub-namespace question.');
  await ask(KEY_D, question, {}, { 'x-tollgate-cache-namespace': 'project-x' });
  const same = await ask(KEY_D, question, {}, { 'x-tollgate-cache-namespace': 'project-x' });
  assert.equal(same.headers.get('x-tollgate-cache'), 'hit-exact');
  const outside = await ask(KEY_D, question);
  assert.equal(outside.headers.get('x-tollgate-cache'), 'miss');
  await assert.rejects(ask(KEY_A, question, {}, { 'x-tollgate-cache-namespace': 'project-x' }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.BadRequestError);
    return true;
  });
});

test('x-tollgate-cache: off bypasses; no-store looks up but does not store', async () => {
  const question = fresh('Bypass me.');
  const bypass = await ask(KEY_A, question, {}, { 'x-tollgate-cache': 'off' });
  assert.equal(bypass.headers.get('x-tollgate-cache'), 'bypass');
  const noStore = await ask(KEY_A, question, {}, { 'x-tollgate-cache-no-store': 'true' });
  assert.equal(noStore.headers.get('x-tollgate-cache'), 'miss');
  const after = await ask(KEY_A, question);
  assert.equal(after.headers.get('x-tollgate-cache'), 'miss', 'neither stored an entry');
  const hit = await ask(KEY_A, question, {}, { 'x-tollgate-cache-no-store': 'true' });
  assert.equal(hit.headers.get('x-tollgate-cache'), 'hit-exact', 'no-store still reads');
});

test('entries expire after their TTL (injectable clock); the TTL header sets a shorter one', async () => {
  const question = fresh('Expiring question.');
  await ask(KEY_A, question);
  clock.time += 3599_000;
  assert.equal((await ask(KEY_A, question)).headers.get('x-tollgate-cache'), 'hit-exact');
  clock.time += 2_000;
  assert.equal((await ask(KEY_A, question)).headers.get('x-tollgate-cache'), 'miss');

  const short = fresh('Short-lived question.');
  await ask(KEY_A, short, {}, { 'x-tollgate-cache-ttl': '10' });
  clock.time += 9_000;
  assert.equal((await ask(KEY_A, short)).headers.get('x-tollgate-cache'), 'hit-exact');
  clock.time += 2_000;
  assert.equal((await ask(KEY_A, short)).headers.get('x-tollgate-cache'), 'miss');
});

test('hits cost 0 and leave the key\'s spend in GET /v1/usage untouched', async () => {
  const question = fresh('Budget question.');
  const usage = async () => ((await (await fetch(`${running.url}/v1/usage`, { headers: { authorization: `Bearer ${KEY_A}` } })).json()) as { budgets: { spent_usd: number }[] }).budgets[0]!.spent_usd;
  const before = await usage();
  await ask(KEY_A, question);
  // The miss's cost is settled once its request has ended: waited for, up to 5 s.
  let spent = await usage();
  for (let tries = 0; spent === before && tries < 1_000; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    spent = await usage();
  }
  assert.ok(spent > before, 'the miss was charged');
  for (let index = 0; index < 3; index++) assert.equal((await ask(KEY_A, question)).headers.get('x-tollgate-cost'), '0');
  assert.equal(await usage(), spent);
});

test('a streamed miss is stored when it completes; a streamed hit replays the same content; stream and non-stream share entries', async () => {
  const question = fresh('Stream me a story.');
  fake.enqueue({ text: 'Once upon a time, a cache hit.', usage: { input: 10, output: 8 } });
  const readStream = async (headers: Record<string, string> = {}) => {
    const { data: stream, response } = await client(KEY_A, headers).chat.completions.create({ model: 'openai/gpt-test', messages: [{ role: 'user', content: question }], stream: true }).withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    return { text, cache: response.headers.get('x-tollgate-cache') };
  };
  const entries = await cachedEntries(running.url);
  const first = await readStream();
  assert.equal(first.cache, 'miss');
  assert.equal(first.text, 'Once upon a time, a cache hit.');
  await storedBeyond(running.url, entries);
  const before = fake.requests.length;
  const second = await readStream();
  assert.equal(second.cache, 'hit-exact');
  assert.equal(second.text, first.text);
  const whole = await ask(KEY_A, question);
  assert.equal(whole.headers.get('x-tollgate-cache'), 'hit-exact');
  assert.equal(whole.data.choices[0]!.message.content, first.text);
  assert.equal(fake.requests.length, before);
});

test('a stream cut short is not stored', async () => {
  const question = fresh('Broken stream.');
  fake.enqueue({ text: 'This stream breaks in the middle of its answer, after a few words of it have gone out to the caller.', breakAfterEvents: 4, eventIntervalMs: 10 });
  let received = '';
  await assert.rejects(async () => {
    const stream = await client(KEY_A).chat.completions.create({ model: 'openai/gpt-test', messages: [{ role: 'user', content: question }], stream: true });
    for await (const chunk of stream) received += chunk.choices[0]?.delta.content ?? '';
  });
  assert.ok(received.length > 0, 'the stream had committed before it broke');
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal((await ask(KEY_A, question)).headers.get('x-tollgate-cache'), 'miss');
});

test('embeddings hit the exact layer too, in the encoding the caller asks for', async () => {
  const openai = client(KEY_A);
  const input = fresh('embed this');
  const before = fake.requests.length;
  const first = await openai.embeddings.create({ model: 'openai/embed-test', input, encoding_format: 'float' }).withResponse();
  assert.equal(first.response.headers.get('x-tollgate-cache'), 'miss');
  const second = await openai.embeddings.create({ model: 'openai/embed-test', input, encoding_format: 'float' }).withResponse();
  assert.equal(second.response.headers.get('x-tollgate-cache'), 'hit-exact');
  assert.equal(second.response.headers.get('x-tollgate-cost'), '0');
  assert.deepEqual(second.data.data[0]!.embedding, first.data.data[0]!.embedding);
  const base64 = await openai.embeddings.create({ model: 'openai/embed-test', input }).withResponse();
  assert.equal(base64.response.headers.get('x-tollgate-cache'), 'hit-exact');
  assert.deepEqual(base64.data.data[0]!.embedding, first.data.data[0]!.embedding);
  assert.equal(fake.requests.length, before + 1);
});

test('a malformed cache header is a 400 naming it', async () => {
  const response = await fetch(`${running.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json', 'x-tollgate-cache-ttl': 'forever' },
    body: JSON.stringify({ model: 'openai/gpt-test', messages: [{ role: 'user', content: 'x' }] }),
  });
  assert.equal(response.status, 400);
  assert.match(await response.text(), /x-tollgate-cache-ttl/);
});

test('admin: clear an entry, a namespace, everything', async () => {
  const question = fresh('Admin question.');
  await ask(KEY_A, question);
  const logged = await ask(KEY_A, question);
  assert.equal(logged.headers.get('x-tollgate-cache'), 'hit-exact');
  const state = await adminCall(running.url, 'GET', '/admin/cache');
  assert.equal(state.status, 200);
  assert.ok((state.body.entries as number) > 0);

  const requestId = logged.headers.get('x-request-id')!;
  const logs = await adminCall(running.url, 'GET', `/admin/logs?request_id=${encodeURIComponent(requestId)}`);
  const record = (logs.body.logs as Record<string, unknown>[])[0]!;
  assert.equal(record.cache_hit, 'exact');
  assert.equal(record.cost_usd, 0);
  assert.equal(record.cache_saved_usd, Number(logged.headers.get('x-tollgate-cache-saved-usd')));
  assert.match(String(record.cache_entry_id), /^[0-9a-f]{64}$/);
  const metrics = await (await fetch(`${running.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
  assert.match(metrics, /tollgate_cache_requests_total\{result="exact"\} [1-9]/);
  assert.match(metrics, /tollgate_cache_saved_usd_total\{virtual_key_id="alpha",team_id="",customer_id=""\} 0\.\d+/);

  assert.equal((await adminCall(running.url, 'DELETE', `/admin/cache/entries/${String(record.cache_entry_id)}`)).status, 204);
  assert.equal((await ask(KEY_A, question)).headers.get('x-tollgate-cache'), 'miss');
  assert.equal((await ask(KEY_A, question)).headers.get('x-tollgate-cache'), 'hit-exact');
  const cleared = await adminCall(running.url, 'DELETE', `/admin/cache/namespaces/${encodeURIComponent('key:alpha')}`);
  assert.equal(cleared.status, 200);
  assert.ok((cleared.body.removed as number) >= 1);
  assert.equal((await ask(KEY_A, question)).headers.get('x-tollgate-cache'), 'miss');
  assert.equal((await adminCall(running.url, 'DELETE', '/admin/cache/entries/nope')).status, 404);
  const all = await adminCall(running.url, 'DELETE', '/admin/cache');
  assert.equal(all.status, 200);
  assert.equal((await adminCall(running.url, 'GET', '/admin/cache')).body.entries, 0);
});
