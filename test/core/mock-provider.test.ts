import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/** The built-in `mock` provider, driven like any other through the OpenAI SDK: what demos, tests and load tests rely on. */

let running: RunningGateway;
let client: OpenAI;

before(async () => {
  running = await startGateway({
    providers: {
      echo: { type: 'mock', models: ['small', 'embed'] },
      fixed: { type: 'mock', models: ['sized'], mock: { reply: 'Fixed answer.', output_tokens: 12 } },
      slow: { type: 'mock', models: ['slow'], mock: { latency_ms: 150 } },
      broken: { type: 'mock', models: ['small'], max_retries: 0, mock: { failure_rate: 1 } },
    },
    routes: { resilient: { targets: [{ model: 'broken/small' }], fallbacks: ['echo/small'] } },
  });
  client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

after(() => running.close());

test('replies are deterministic: the same conversation gets the same id, text and usage', async () => {
  const ask = () => client.chat.completions.create({ model: 'echo/small', messages: [{ role: 'user', content: 'same question' }] });
  const [first, second] = [await ask(), await ask()];
  assert.equal(first.id, second.id);
  assert.equal(first.choices[0]!.message.content, 'This is the mock provider answering: same question');
  assert.equal(second.choices[0]!.message.content, first.choices[0]!.message.content);
  assert.deepEqual(second.usage, first.usage);
  const other = await client.chat.completions.create({ model: 'echo/small', messages: [{ role: 'user', content: 'another question' }] });
  assert.notEqual(other.id, first.id);
});

test('a fixed reply with a configured output size reports that usage, streamed or not, and n choices', async () => {
  const reply = await client.chat.completions.create({ model: 'fixed/sized', n: 2, messages: [{ role: 'user', content: 'x' }] });
  assert.equal(reply.choices.length, 2);
  assert.ok(reply.choices.every((choice) => choice.message.content!.startsWith('Fixed answer.')));
  assert.equal(reply.usage!.completion_tokens, 24);

  const stream = await client.chat.completions.create({ model: 'fixed/sized', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'x' }] });
  let text = '';
  let usage: OpenAI.CompletionUsage | undefined;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? '';
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, reply.choices[0]!.message.content);
  assert.equal(usage?.completion_tokens, 12);
});

test('latency_ms delays the answer by at least that long', async () => {
  const started = performance.now();
  await client.chat.completions.create({ model: 'slow/slow', messages: [{ role: 'user', content: 'x' }] });
  assert.ok(performance.now() - started >= 150);
});

test('failure_rate 1 answers every request with a 503 the router fails over from', async () => {
  await assert.rejects(client.chat.completions.create({ model: 'broken/small', messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.APIError);
    assert.equal(error.status, 503);
    assert.equal(error.code, 'upstream_error');
    assert.match(error.message, /failure_rate/);
    assert.equal(error.headers?.get('x-tollgate-provider'), 'broken');
    return true;
  });
  const { data, response } = await client.chat.completions.create({ model: 'resilient', messages: [{ role: 'user', content: 'fail over' }] }).withResponse();
  assert.match(data.choices[0]!.message.content ?? '', /fail over/);
  assert.equal(response.headers.get('x-tollgate-provider'), 'echo');
  assert.equal(response.headers.get('x-tollgate-attempts'), '2');
});

test('embeddings are deterministic unit vectors of the asked dimensions', async () => {
  const first = await client.embeddings.create({ model: 'echo/embed', input: ['alpha', 'beta'], dimensions: 16 });
  const again = await client.embeddings.create({ model: 'echo/embed', input: 'alpha', dimensions: 16 });
  assert.deepEqual(again.data[0]!.embedding, first.data[0]!.embedding);
  assert.notDeepEqual(first.data[1]!.embedding, first.data[0]!.embedding);
  assert.equal(first.data[0]!.embedding.length, 16);
  const norm = Math.sqrt(first.data[0]!.embedding.reduce((sum, value) => sum + value * value, 0));
  assert.ok(Math.abs(norm - 1) < 1e-6, String(norm));
});
