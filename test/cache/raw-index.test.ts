import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RawIndex, type RawRoute } from '../../src/cache/raw-index.js';
import { validateConfig } from '../../src/config/load.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import type { RunningGateway } from '../helpers/gateway.js';
import { adminCall, cacheConfig, KEY_A, KEY_B, KEY_C, KEY_D, startCached, TestClock } from './helpers.js';

/**
 * The exact layer's raw index (src/cache/raw-index.ts): a body sent again byte for byte is answered
 * before it is decoded. Each test sends the very same bytes several times, so the second and later
 * requests go through the index, and checks it never answers what the exact key would not.
 */

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

let unique = 0;
/** A body, as bytes a caller sends again and again. */
const body = (label: string, extra: Record<string, unknown> = {}) => JSON.stringify({ model: 'openai/gpt-test', messages: [{ role: 'user', content: `${label} #${++unique}` }], ...extra });

async function send(key: string, bytes: string, headers: Record<string, string> = {}): Promise<{ status: number; cache: string | null; text: string; body: Record<string, unknown> }> {
  const response = await fetch(`${running.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body: bytes });
  const text = await response.text();
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const choices = parsed.choices as { message: { content: string } }[] | undefined;
  return { status: response.status, cache: response.headers.get('x-tollgate-cache'), text: choices?.[0]?.message.content ?? '', body: parsed };
}

test('two keys sending the same bytes never answer each other; each hits its own entry', async () => {
  const bytes = body('Same bytes, two keys.');
  fake.enqueue({ text: 'For alpha.' }, { text: 'For bravo.' });
  assert.equal((await send(KEY_A, bytes)).cache, 'miss');
  const bravo = await send(KEY_B, bytes);
  assert.deepEqual([bravo.cache, bravo.text], ['miss', 'For bravo.']);
  const upstream = fake.requests.length;
  for (let round = 0; round < 3; round++) {
    const alpha = await send(KEY_A, bytes);
    assert.deepEqual([alpha.cache, alpha.text], ['hit-exact', 'For alpha.']);
    const again = await send(KEY_B, bytes);
    assert.deepEqual([again.cache, again.text], ['hit-exact', 'For bravo.']);
  }
  assert.equal(fake.requests.length, upstream);
});

test('keys sharing a team namespace share the entry through the index too', async () => {
  const bytes = body('Team bytes.');
  fake.enqueue({ text: 'Team answer.' });
  await send(KEY_C, bytes);
  for (let round = 0; round < 3; round++) {
    const dave = await send(KEY_D, bytes);
    assert.deepEqual([dave.cache, dave.text], ['hit-exact', 'Team answer.']);
    assert.equal((await send(KEY_C, bytes)).text, 'Team answer.');
  }
});

test('cache headers are honoured on bytes the index knows: off bypasses, another sub-namespace misses, a malformed one is refused', async () => {
  const bytes = body('Header bytes.');
  fake.enqueue({ text: 'Stored.' });
  await send(KEY_D, bytes);
  assert.equal((await send(KEY_D, bytes)).cache, 'hit-exact');
  assert.equal((await send(KEY_D, bytes, { 'x-tollgate-cache': 'off' })).cache, 'bypass');
  fake.enqueue({ text: 'In project-y.' });
  const sub = await send(KEY_D, bytes, { 'x-tollgate-cache-namespace': 'project-y' });
  assert.deepEqual([sub.cache, sub.text], ['miss', 'In project-y.']);
  assert.equal((await send(KEY_D, bytes, { 'x-tollgate-cache-namespace': 'project-y' })).text, 'In project-y.');
  assert.equal((await send(KEY_D, bytes)).text, 'Stored.');
  const refused = await send(KEY_D, bytes, { 'x-tollgate-cache-ttl': 'forever' });
  assert.equal(refused.status, 400);
  assert.match(JSON.stringify(refused.body), /x-tollgate-cache-ttl/);
});

test('clearing an entry, a namespace or the cache makes the same bytes miss; expiry too', async () => {
  const bytes = body('Clear bytes.');
  await send(KEY_A, bytes);
  assert.equal((await send(KEY_A, bytes)).cache, 'hit-exact');
  assert.equal((await adminCall(running.url, 'DELETE', '/admin/cache')).status, 200);
  assert.equal((await send(KEY_A, bytes)).cache, 'miss');
  assert.equal((await send(KEY_A, bytes)).cache, 'hit-exact');
  assert.equal((await adminCall(running.url, 'DELETE', `/admin/cache/namespaces/${encodeURIComponent('key:alpha')}`)).status, 200);
  assert.equal((await send(KEY_A, bytes)).cache, 'miss');
  assert.equal((await send(KEY_A, bytes)).cache, 'hit-exact');
  clock.time += 3601_000;
  assert.equal((await send(KEY_A, bytes)).cache, 'miss');
});

test('a parameter changed by one byte misses; the same conversation streamed shares the entry', async () => {
  const messages = [{ role: 'user', content: `Near bytes #${++unique}` }];
  const bytes = JSON.stringify({ model: 'openai/gpt-test', messages, temperature: 0.2 });
  fake.enqueue({ text: 'At 0.2.' }, { text: 'At 0.3.' });
  await send(KEY_A, bytes);
  assert.equal((await send(KEY_A, bytes)).text, 'At 0.2.');
  const other = await send(KEY_A, bytes.replace('0.2', '0.3'));
  assert.deepEqual([other.cache, other.text], ['miss', 'At 0.3.']);
  const upstream = fake.requests.length;
  for (let round = 0; round < 2; round++) {
    const streamed = await fetch(`${running.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'openai/gpt-test', messages, temperature: 0.2, stream: true }) });
    assert.equal(streamed.headers.get('x-tollgate-cache'), 'hit-exact');
    assert.match(streamed.headers.get('content-type') ?? '', /text\/event-stream/);
    assert.match(await streamed.text(), /At 0\.2\./);
  }
  assert.equal(fake.requests.length, upstream);
});

test('a guardrail, a route or a namespace changed by a reload applies to bytes the index knows', async () => {
  const bytes = body('tell me about project bluebird');
  fake.enqueue({ text: 'Bluebird facts.' });
  await send(KEY_A, bytes);
  assert.equal((await send(KEY_A, bytes)).cache, 'hit-exact');
  const base = cacheConfig(fake.url);
  const guarded = { ...base, guardrails: { rules: [{ name: 'codeword', detector: 'keywords', words: ['project bluebird'], direction: 'input', action: 'block' }], apply: ['codeword'] } };
  await running.gateway.reload(validateConfig({ storage: { type: 'memory' }, ...guarded, server: { port: 0, host: '127.0.0.1' } }, 'reload', {}));
  const blocked = await send(KEY_A, bytes);
  assert.equal(blocked.status, 400);
  assert.match(JSON.stringify(blocked.body), /guardrail_blocked/);

  // Unguarded again, with an alias: once it names another model, the stored answer is not its answer.
  const reload = (aliases: Record<string, string>) => running.gateway.reload(validateConfig({ storage: { type: 'memory' }, ...base, providers: { openai: { ...(base.providers as { openai: object }).openai, models: ['gpt-test', 'gpt-other', 'embed-test'] } }, aliases, server: { port: 0, host: '127.0.0.1' } }, 'reload', {}));
  await reload({ quick: 'openai/gpt-test' });
  const other = JSON.stringify({ model: 'quick', messages: [{ role: 'user', content: `Alias bytes #${++unique}` }] });
  fake.enqueue({ text: 'From gpt-test.' }, { text: 'From gpt-other.' });
  await send(KEY_A, other);
  assert.equal((await send(KEY_A, other)).text, 'From gpt-test.');
  await reload({ quick: 'openai/gpt-other' });
  const moved = await send(KEY_A, other);
  assert.deepEqual([moved.cache, moved.text], ['miss', 'From gpt-other.']);
  assert.equal((await send(KEY_A, other)).text, 'From gpt-other.');

  // The key's namespace changes (its entries stay where they were): the same bytes miss in the new one.
  const mine = body('Namespace bytes.');
  fake.enqueue({ text: 'In key:bravo.' }, { text: 'In global.' });
  await send(KEY_B, mine);
  assert.equal((await send(KEY_B, mine)).text, 'In key:bravo.');
  const keys = (base.virtual_keys as { id: string }[]).map((key) => (key.id === 'bravo' ? { ...key, cache: { namespace: 'global' } } : key));
  await running.gateway.reload(validateConfig({ storage: { type: 'memory' }, ...base, virtual_keys: keys, server: { port: 0, host: '127.0.0.1' } }, 'reload', {}));
  const global = await send(KEY_B, mine);
  assert.deepEqual([global.cache, global.text], ['miss', 'In global.']);
  assert.equal((await send(KEY_B, mine)).text, 'In global.');
});

test('a request a stage ahead rewrote is not remembered by its bytes: once the stage is gone, they miss', async () => {
  const base = cacheConfig(fake.url);
  const reload = (extra: Record<string, unknown>) => running.gateway.reload(validateConfig({ storage: { type: 'memory' }, ...base, ...extra, server: { port: 0, host: '127.0.0.1' } }, 'reload', {}));
  await reload({ guardrails: { rules: [{ name: 'emails', detector: 'pii', types: ['email'], direction: 'input', action: 'redact' }], apply: ['emails'] } });
  const bytes = body('Write to jane.doe@example.com about');
  fake.enqueue({ text: 'Answer to the redacted prompt.' }, { text: 'Answer to the prompt as sent.' });
  await send(KEY_A, bytes);
  for (let round = 0; round < 2; round++) assert.equal((await send(KEY_A, bytes)).text, 'Answer to the redacted prompt.');
  await reload({});
  const unguarded = await send(KEY_A, bytes);
  assert.deepEqual([unguarded.cache, unguarded.text], ['miss', 'Answer to the prompt as sent.']);
});

test('the index keeps at most its count of bodies and its bytes, the least recently used going first', () => {
  const route = { request: { model: 'm', messages: [], stream: false }, id: 'id', namespace: 'ns', route: 'r' } as unknown as RawRoute;
  const index = new RawIndex(3, 8_000);
  for (const key of ['a', 'b', 'c']) index.set(key, key.length, route);
  index.get('a');
  index.set('d', 1, route);
  assert.deepEqual([index.get('a') !== undefined, index.get('b'), index.get('d') !== undefined, index.size], [true, undefined, true, 3]);
  const big = new RawIndex(100, 8_000);
  for (let n = 0; n < 10; n++) big.set(`${n}`.padEnd(900, 'x'), 900 + n, route);
  // Each body counts twice its key's length: 1,800 bytes, four of which fit in 8,000.
  assert.equal(big.size, 4);
  assert.notEqual(big.get('9'.padEnd(900, 'x')), undefined);
  assert.equal(big.get('5'.padEnd(900, 'x')), undefined);
  big.set('y'.repeat(1_001), 1_001, route);
  assert.equal(big.get('y'.repeat(1_001)), undefined, 'a body over a quarter of the bytes is not kept');
  // Lengths of bodies no longer held are not looked up; those held are.
  assert.deepEqual([big.mayHold(905), big.mayHold(909), big.mayHold(1_001), index.mayHold(1)], [false, true, false, true]);
});
