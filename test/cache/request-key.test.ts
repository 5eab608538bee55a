import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, jsonString } from '../../src/cache/canonical-json.js';
import { chatKeyText } from '../../src/cache/chat-key-text.js';
import { chatKey, chatKeyObject, embeddingKey } from '../../src/cache/request-key.js';
import { decodeChatRequest } from '../../src/codecs/openai-chat/decode-request.js';

/**
 * Property tests of the exact key, by randomised loops with a seeded generator: what does not
 * change the answer (key order, number spelling, JSON whitespace, a string or one text part or a
 * text split in parts, streaming) never changes the key; any parameter that changes the answer
 * always does.
 */

const SCOPE = { namespace: 'key:alpha', route: 'targets:openai/gpt-test' };
const ROUNDS = 300;

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const WORDS = ['alpha', 'beta', 'ünï', '🦜', 'x y', 'quote"', 'back\\slash', 'new\nline', ' '];
const words = (random: Random, count: number) => Array.from({ length: count }, () => pick(random, WORDS)).join(' ');

/** A random OpenAI chat body. */
function randomBody(random: Random): Record<string, unknown> {
  const messages: Record<string, unknown>[] = [];
  if (random() < 0.5) messages.push({ role: 'system', content: words(random, 3) });
  const turns = 1 + Math.floor(random() * 4);
  for (let turn = 0; turn < turns; turn++) {
    messages.push({ role: 'user', content: words(random, 1 + Math.floor(random() * 6)) });
    if (turn < turns - 1) messages.push({ role: 'assistant', content: words(random, 2) });
  }
  const body: Record<string, unknown> = { model: 'openai/gpt-test', messages };
  if (random() < 0.5) body.temperature = pick(random, [0, 0.25, 0.5, 1, 1.5]);
  if (random() < 0.5) body.max_tokens = pick(random, [10, 100, 1000]);
  if (random() < 0.3) body.top_p = pick(random, [0.5, 0.9, 1]);
  if (random() < 0.3) body.stop = ['END'];
  if (random() < 0.3) body.tools = [{ type: 'function', function: { name: 'lookup', description: 'Look up', parameters: { type: 'object', properties: { q: { type: 'string' }, n: { type: 'integer', minimum: 1 } }, required: ['q'] } } }];
  if (random() < 0.3) body.response_format = { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object', properties: { a: { type: 'number' } } } } };
  return body;
}

/** The same value with shuffled keys, text content forms varied, and the same numbers spelt differently, as JSON text with random whitespace. */
function reformat(random: Random, value: unknown, path: string[] = []): string {
  const space = () => pick(random, ['', ' ', '\n', '\t', '  \n ']);
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return pick(random, [`${value}`, `${value}.0`, `${value}e0`, `${value * 10}E-1`]);
    return pick(random, [`${value}`, `${value * 10}e-1`, `${value}0`]);
  }
  if (typeof value === 'string' && path.at(-1) === 'content' && path.at(-3) === 'messages' && random() < 0.7) {
    // A string content as one text part, or split into two.
    const cut = Math.floor(random() * (value.length + 1));
    const parts = random() < 0.5 || value.length === 0 ? [value] : [value.slice(0, cut), value.slice(cut)];
    return reformat(random, parts.map((text) => ({ type: 'text', text })), [...path, 'parts']);
  }
  if (Array.isArray(value)) return `[${space()}${value.map((item, index) => reformat(random, item, [...path, String(index)])).join(`,${space()}`)}${space()}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort(() => random() - 0.5);
    return `{${space()}${keys.map((key) => `${JSON.stringify(key)}${space()}:${space()}${reformat(random, (value as Record<string, unknown>)[key], [...path, key])}`).join(`,${space()}`)}${space()}}`;
  }
  return JSON.stringify(value);
}

const keyOf = (body: unknown) => chatKey(SCOPE, decodeChatRequest(body));

test('key order, number spelling, JSON whitespace and content forms never change the key', () => {
  const random = generator(17);
  for (let round = 0; round < ROUNDS; round++) {
    const body = randomBody(random);
    const expected = keyOf(body);
    const text = reformat(random, body);
    assert.equal(keyOf(JSON.parse(text)), expected, `round ${round}: ${text}`);
    // Streaming and usage reporting do not change the answer either.
    assert.equal(keyOf({ ...body, stream: true, stream_options: { include_usage: true } }), expected, `round ${round}: stream`);
  }
});

/** Each answer-changing parameter, and a change of it. */
const CHANGES: [name: string, change: (body: Record<string, unknown>, random: Random) => Record<string, unknown>][] = [
  ['model route', (body) => body],
  ['temperature', (body) => ({ ...body, temperature: ((body.temperature as number | undefined) ?? 1) + 0.1 })],
  ['max_tokens', (body) => ({ ...body, max_tokens: ((body.max_tokens as number | undefined) ?? 50) + 1 })],
  ['top_p', (body) => ({ ...body, top_p: body.top_p === 0.3 ? 0.4 : 0.3 })],
  ['stop', (body) => ({ ...body, stop: ['HALT'] })],
  ['seed', (body) => ({ ...body, seed: 42 })],
  ['n', (body) => ({ ...body, n: 2 })],
  ['presence_penalty', (body) => ({ ...body, presence_penalty: 0.5 })],
  ['frequency_penalty', (body) => ({ ...body, frequency_penalty: 0.5 })],
  ['user', (body) => ({ ...body, user: 'someone' })],
  ['reasoning_effort', (body) => ({ ...body, reasoning_effort: 'high' })],
  ['tools', (body) => ({ ...body, tools: [{ type: 'function', function: { name: 'other', parameters: { type: 'object' } } }] })],
  ['tool_choice', (body) => ({ ...body, tools: body.tools ?? [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }], tool_choice: 'required' })],
  ['response_format', (body) => ({ ...body, response_format: { type: 'json_object' } })],
  ['last message', (body, random) => ({ ...body, messages: [...(body.messages as object[]).slice(0, -1), { role: 'user', content: `${words(random, 2)} changed` }] })],
  ['an earlier turn', (body) => ({ ...body, messages: [{ role: 'user', content: 'an extra first turn' }, ...(body.messages as object[])] })],
  ['the system prompt', (body) => ({ ...body, messages: [{ role: 'system', content: 'another system prompt' }, ...(body.messages as object[]).filter((message) => (message as { role: string }).role !== 'system')] })],
  ['a role', (body) => ({ ...body, messages: [...(body.messages as object[]).slice(0, -1), { role: 'assistant', content: ((body.messages as { content: string }[]).at(-1)!).content }, { role: 'user', content: 'next' }] })],
  ['an unmodelled field', (body) => ({ ...body, logit_bias: { '50256': -100 } })],
];

test('any change of a parameter that changes the answer always changes the key', () => {
  const random = generator(99);
  for (let round = 0; round < ROUNDS; round++) {
    const body = randomBody(random);
    const base = keyOf(body);
    for (const [name, change] of CHANGES) {
      if (name === 'model route') {
        assert.notEqual(chatKey({ ...SCOPE, route: 'targets:openai/other' }, decodeChatRequest(body)), base, `round ${round}: ${name}`);
        continue;
      }
      const changed = change(body, random);
      assert.notEqual(keyOf(changed), base, `round ${round}: ${name} ${JSON.stringify(changed)}`);
    }
    assert.notEqual(chatKey({ ...SCOPE, namespace: 'key:bravo' }, decodeChatRequest(body)), base, `round ${round}: namespace`);
  }
});

test('embedding keys: the same input in any JSON spelling shares a key; input, dimensions and route do not', () => {
  const request = { model: 'e', input: ['one', 'two'] };
  const base = embeddingKey(SCOPE, request);
  assert.equal(embeddingKey(SCOPE, JSON.parse('{ "input" : [ "one" ,"two" ], "model":"e" }')), base);
  assert.equal(embeddingKey(SCOPE, { ...request, encodingFormat: 'base64' }), base, 'the encoding is rendering, not the answer');
  assert.notEqual(embeddingKey(SCOPE, { ...request, input: ['one'] }), base);
  assert.notEqual(embeddingKey(SCOPE, { ...request, dimensions: 256 }), base);
  assert.notEqual(embeddingKey({ ...SCOPE, route: 'targets:x/y' }, request), base);
});

test('canonical JSON sorts keys at every depth and leaves undefined members out', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [3, { f: undefined, e: 1.0 }], c: -0 } }), '{"a":{"c":0,"d":[3,{"e":1}]},"b":1}');
});

test('the key text written straight from the request is the canonical JSON of the key object', () => {
  const random = generator(5);
  const extras: Record<string, unknown>[] = [
    { messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } }, { type: 'text', text: 'and' }, { type: 'text', text: ' this' }] }] },
    { messages: [{ role: 'user', content: 'q', name: 'ann' }, { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{ "q" : "x", "n": 1.0 }' } }, { id: 'c2', type: 'function', function: { name: 'lookup', arguments: 'not json' } }] }, { role: 'tool', tool_call_id: 'c1', content: 'found' }, { role: 'user', content: 'go on' }] },
    { n: 1, seed: 3, presence_penalty: 0.1, frequency_penalty: -0.5, user: 'u"1', reasoning_effort: 'low', parallel_tool_calls: false, tool_choice: { type: 'function', function: { name: 'lookup' } }, logit_bias: { '1': 2 }, metadata: { a: 'b' }, store: true },
    { n: 3, stop: 'END', top_k: 5, tools: [{ type: 'function', function: { name: 'lookup', strict: true, parameters: { type: 'object', properties: { z: {}, a: {} } } } }] },
  ];
  for (let round = 0; round < ROUNDS; round++) {
    const body = { ...randomBody(random), ...(random() < 0.5 ? pick(random, extras) : {}) };
    const request = decodeChatRequest(body);
    assert.equal(chatKeyText(SCOPE, request), canonicalJson(chatKeyObject(SCOPE, request)), `round ${round}: ${JSON.stringify(body)}`);
  }
});

test('strings are written exactly as JSON.stringify writes them (quotes, backslashes, controls, surrogates lone and paired, U+2028)', () => {
  const random = generator(2028);
  const alphabet = ['a', 'Z', ' ', '"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\u2028', 'é', '\ud83d\ude00', '\ud800', '\udfff', '/', '<'];
  for (let round = 0; round < ROUNDS * 10; round++) {
    let text = '';
    const length = Math.floor(random() * 12);
    for (let index = 0; index < length; index++) text += alphabet[Math.floor(random() * alphabet.length)];
    assert.equal(jsonString(text), JSON.stringify(text), JSON.stringify(text));
  }
});

test('keys are stable: fixed requests keep the keys stored entries were written under (a change here invalidates every stored entry)', () => {
  const plain = { model: 'm', messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: 'Say hello in one short sentence.' }], max_tokens: 32, temperature: 0, user: 'u00000001' };
  const rich = {
    model: 'm',
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'ünï 🦜 "q"\n' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }], name: 'ann' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{ "q" : "x", "n": 1.0 }' } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'found' },
    ],
    temperature: -0,
    top_p: 0.25,
    frequency_penalty: -0.5,
    seed: 3,
    n: 2,
    stop: ['END'],
    tool_choice: 'auto',
    tools: [{ type: 'function', function: { name: 'lookup', strict: true, parameters: { type: 'object', properties: { z: {}, a: {} } } } }],
    logit_bias: { '1': 2 },
    metadata: { a: 'b' },
  };
  assert.equal(keyOf(plain), '51ee46152d9faf2325eaeb85ddb5773236d19786770c5c5e38ca07979dda1eda');
  assert.equal(keyOf(rich), 'e83b751005dda52c59959a91c1cb65c7ce774d5500507390691130e1fb8e2996');
  assert.equal(embeddingKey(SCOPE, { model: 'e', input: ['one', 'two'], dimensions: 256 }), 'de01f27222312750f69723533ca3ead22591fb0ca9493fcdf7c6d8fe45fad703');
});

test('numbers are written as JSON.stringify writes them', () => {
  for (const value of [0, -0, 1, -1, 0.1, 1.5e-7, 1e21, 123456789012345680000, -2.5e-300, Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity]) {
    assert.equal(canonicalJson(value), JSON.stringify(value), String(value));
    assert.equal(canonicalJson([value]), JSON.stringify([value]), String(value));
  }
});
