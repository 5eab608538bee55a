import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import type { RunningGateway } from '../helpers/gateway.js';
import { ADMIN_TOKEN, cacheConfig, KEY_A, KEY_B, KEY_C, startCached } from './helpers.js';

/** Identical requests in flight at once (request coalescing): key carol has `coalesce: false`. */
let fake: FakeUpstream;
let running: RunningGateway;

before(async () => {
  fake = await startOpenAIFake();
  const config = cacheConfig(fake.url) as { virtual_keys: { id: string; cache?: Record<string, unknown> }[] };
  config.virtual_keys = config.virtual_keys.map((key) => (key.id === 'carol' ? { ...key, cache: { ...key.cache, coalesce: false } } : key));
  running = await startCached(config);
});
after(async () => {
  await running.close();
  await fake.close();
});

function client(key: string): OpenAI {
  return new OpenAI({ baseURL: `${running.url}/v1`, apiKey: key, maxRetries: 0 });
}

async function ask(key: string, content: string, options: { signal?: AbortSignal } = {}) {
  const { data, response } = await client(key).chat.completions.create({ model: 'openai/gpt-test', messages: [{ role: 'user', content }] }, options).withResponse();
  return { text: data.choices[0]!.message.content, id: data.id, cache: response.headers.get('x-tollgate-cache'), coalesced: response.headers.get('x-tollgate-cache-coalesced'), cost: response.headers.get('x-tollgate-cost') };
}

/** Resolves once the fake has seen `count` requests in all (the first of a burst is on its way). */
async function upstreamSaw(count: number): Promise<void> {
  while (fake.requests.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
}

let unique = 0;
const fresh = (label: string) => `${label} #${++unique}`;

test('a burst of the same whole request pays the provider once: the others wait and hit its entry', async () => {
  const question = fresh('What is the tallest mountain?');
  const before = fake.requests.length;
  fake.enqueue({ text: 'Everest.', usage: { input: 10, output: 2 }, delayMs: 300 });
  const first = ask(KEY_A, question);
  await upstreamSaw(before + 1);
  const rest = await Promise.all([1, 2, 3, 4].map(() => ask(KEY_A, question)));
  const leader = await first;
  assert.equal(fake.requests.length, before + 1, 'one upstream call for five requests');
  assert.equal(leader.cache, 'miss');
  assert.ok(Number(leader.cost) > 0);
  for (const answer of rest) {
    assert.equal(answer.text, 'Everest.');
    assert.equal(answer.id, leader.id);
    assert.equal(answer.cache, 'hit-exact');
    assert.equal(answer.coalesced, 'true');
    assert.equal(answer.cost, '0');
  }
  // Later, an ordinary hit: not coalesced.
  const later = await ask(KEY_A, question);
  assert.equal(later.cache, 'hit-exact');
  assert.equal(later.coalesced, null);
  const metrics = await (await fetch(`${running.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
  assert.match(metrics, /tollgate_cache_coalesced_total\{virtual_key_id="alpha"\} 4\n/);
});

test('when the first request fails, the waiting ones go to the provider themselves and succeed', async () => {
  const question = fresh('Name a river.');
  const before = fake.requests.length;
  fake.enqueue({ error: { status: 500, message: 'upstream broke' }, delayMs: 200 }, { text: 'The Nile.' }, { text: 'The Nile.' });
  const first = ask(KEY_A, question).then(
    () => 'answered',
    (error: unknown) => (error instanceof OpenAI.APIError ? error.status : error),
  );
  await upstreamSaw(before + 1);
  const rest = await Promise.all([ask(KEY_A, question), ask(KEY_A, question)]);
  assert.notEqual(await first, 'answered');
  assert.equal(fake.requests.length, before + 3);
  for (const answer of rest) {
    assert.equal(answer.text, 'The Nile.');
    assert.equal(answer.cache, 'miss');
  }
});

test('a streamed request does not wait for an identical one in flight', async () => {
  const question = fresh('Count to three.');
  const before = fake.requests.length;
  fake.enqueue({ text: 'One, two, three.', delayMs: 300 }, { text: 'One, two, three.' });
  const first = ask(KEY_A, question);
  await upstreamSaw(before + 1);
  const { data: stream, response } = await client(KEY_A).chat.completions.create({ model: 'openai/gpt-test', messages: [{ role: 'user', content: question }], stream: true }).withResponse();
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  assert.equal(response.headers.get('x-tollgate-cache'), 'miss');
  assert.equal(text, 'One, two, three.');
  assert.equal(fake.requests.length, before + 2, 'the stream went to the provider while the whole request was still there');
  assert.equal((await first).cache, 'miss');
});

test('requests of two keys never wait for each other (each key its own namespace)', async () => {
  const question = fresh('Who wrote Hamlet?');
  const before = fake.requests.length;
  fake.enqueue({ text: 'Shakespeare (for alpha).', delayMs: 200 }, { text: 'Shakespeare (for bravo).' });
  const first = ask(KEY_A, question);
  await upstreamSaw(before + 1);
  const other = await ask(KEY_B, question);
  assert.equal(other.text, 'Shakespeare (for bravo).');
  assert.equal(other.cache, 'miss');
  assert.equal((await first).text, 'Shakespeare (for alpha).');
  assert.equal(fake.requests.length, before + 2);
});

test('a key with `coalesce: false` sends each identical request on', async () => {
  const question = fresh('Spell cat.');
  const before = fake.requests.length;
  fake.enqueue({ text: 'C-A-T.', delayMs: 200 }, { text: 'C-A-T.' });
  const first = ask(KEY_C, question);
  await upstreamSaw(before + 1);
  const second = await ask(KEY_C, question);
  assert.equal(second.cache, 'miss');
  assert.equal(second.coalesced, null);
  await first;
  assert.equal(fake.requests.length, before + 2);
});

test('a waiting caller that leaves is let go; the first request still answers and stores', async () => {
  const question = fresh('Describe the sea.');
  const before = fake.requests.length;
  fake.enqueue({ text: 'Wide and blue.', delayMs: 400 });
  const first = ask(KEY_A, question);
  await upstreamSaw(before + 1);
  const leaving = new AbortController();
  const waiting = ask(KEY_A, question, { signal: leaving.signal }).then(
    () => 'answered',
    (error: unknown) => (error instanceof OpenAI.APIUserAbortError ? 'aborted' : error),
  );
  setTimeout(() => leaving.abort(), 50);
  assert.equal(await waiting, 'aborted');
  assert.equal((await first).text, 'Wide and blue.');
  const again = await ask(KEY_A, question);
  assert.equal(again.cache, 'hit-exact');
  assert.equal(fake.requests.length, before + 1, 'the caller that left sent nothing upstream');
});

test('identical embeddings requests in flight are coalesced too', async () => {
  const input = fresh('embed this sentence');
  const before = fake.requests.length;
  fake.enqueue({ delayMs: 300 });
  const embed = () => client(KEY_A).embeddings.create({ model: 'openai/embed-test', input }).withResponse();
  const first = embed();
  await upstreamSaw(before + 1);
  const second = await embed();
  const leader = await first;
  assert.equal(fake.requests.length, before + 1);
  assert.equal(leader.response.headers.get('x-tollgate-cache'), 'miss');
  assert.equal(second.response.headers.get('x-tollgate-cache'), 'hit-exact');
  assert.equal(second.response.headers.get('x-tollgate-cache-coalesced'), 'true');
  assert.deepEqual(second.data.data[0]!.embedding, leader.data.data[0]!.embedding);
});

test('a whole request waits for an identical streamed one and gets the answer the stream recorded', async () => {
  const question = fresh('List three colours.');
  const before = fake.requests.length;
  fake.enqueue({ text: 'Red, green, blue.', eventIntervalMs: 60 });
  const streamed = (async () => {
    const stream = await client(KEY_A).chat.completions.create({ model: 'openai/gpt-test', messages: [{ role: 'user', content: question }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    return text;
  })();
  await upstreamSaw(before + 1);
  const whole = await ask(KEY_A, question);
  assert.equal(await streamed, 'Red, green, blue.');
  assert.equal(whole.text, 'Red, green, blue.');
  assert.equal(whole.cache, 'hit-exact');
  assert.equal(whole.coalesced, 'true');
  assert.equal(fake.requests.length, before + 1);
});
