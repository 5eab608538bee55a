import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { request } from 'undici';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

let running: RunningGateway;
let client: OpenAI;

before(async () => {
  running = await startGateway({
    providers: {
      mock: { type: 'mock', models: ['mock-small', 'mock-embedding'] },
      backup: { type: 'mock', models: ['mock-small'], mock: { reply: 'backup here' } },
    },
    aliases: { fast: 'mock/mock-small' },
    pricing: { 'mock/mock-small': { input: 1.25, output: 10 } },
  });
  client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
});

after(() => running.close());

test('non-streamed chat completion through the SDK, with the gateway headers', async () => {
  const { data, response } = await client.chat.completions
    .create({ model: 'mock/mock-small', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'ping pong' }] })
    .withResponse();
  assert.equal(data.object, 'chat.completion');
  assert.match(data.choices[0]!.message.content ?? '', /ping pong/);
  assert.equal(data.choices[0]!.finish_reason, 'stop');
  assert.ok(data.usage!.prompt_tokens > 0 && data.usage!.completion_tokens > 0);
  assert.equal(response.headers.get('x-tollgate-provider'), 'mock');
  assert.equal(response.headers.get('x-tollgate-model'), 'mock-small');
  assert.equal(response.headers.get('x-tollgate-attempts'), '1');
  assert.ok(response.headers.get('x-request-id'));
});

test('the caller\'s x-request-id is reused', async () => {
  const { response } = await client.chat.completions
    .create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'trace-abc.123' } })
    .withResponse();
  assert.equal(response.headers.get('x-request-id'), 'trace-abc.123');
});

test('streamed chat completion yields deltas, a finish reason and usage when asked', async () => {
  const stream = await client.chat.completions.create({ model: 'mock/mock-small', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'stream me please' }] });
  let text = '';
  let finish: string | null | undefined;
  let usage: OpenAI.CompletionUsage | undefined | null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? '';
    finish ??= chunk.choices[0]?.finish_reason;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.match(text, /stream me please/);
  assert.equal(finish, 'stop');
  assert.ok(usage && usage.completion_tokens > 0);
});

test('streams without include_usage carry no usage chunk', async () => {
  const stream = await client.chat.completions.create({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'no usage' }] });
  for await (const chunk of stream) assert.equal(chunk.usage ?? null, null);
});

test('tool calls round trip: the mock calls the offered tool, then answers the tool result', async () => {
  const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'lookup', description: 'look up', parameters: { type: 'object', properties: { input: { type: 'string' } } } } }];
  const first = await client.chat.completions.create({ model: 'mock/mock-small', tools, messages: [{ role: 'user', content: 'weather?' }] });
  const call = first.choices[0]!.message.tool_calls![0]!;
  assert.equal(first.choices[0]!.finish_reason, 'tool_calls');
  assert.equal(call.type === 'function' && call.function.name, 'lookup');
  const second = await client.chat.completions.create({
    model: 'mock/mock-small',
    tools,
    messages: [{ role: 'user', content: 'weather?' }, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'sunny' }],
  });
  assert.match(second.choices[0]!.message.content ?? '', /sunny/);
});

test('streamed tool calls arrive as indexed deltas the SDK can assemble', async () => {
  const stream = client.chat.completions.stream({
    model: 'mock/mock-small',
    tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
    messages: [{ role: 'user', content: 'call it' }],
  });
  const final = await stream.finalChatCompletion();
  const call = final.choices[0]!.message.tool_calls![0]!;
  assert.equal(call.type === 'function' && call.function.name, 'lookup');
  assert.deepEqual(call.type === 'function' && JSON.parse(call.function.arguments), { input: 'call it' });
});

test('embeddings and the model list', async () => {
  const embedding = await client.embeddings.create({ model: 'mock/mock-embedding', input: ['one', 'two'] });
  assert.equal(embedding.data.length, 2);
  assert.ok(embedding.data[0]!.embedding.length > 0);
  const models = await client.models.list();
  const ids = models.data.map((model) => model.id);
  assert.ok(ids.includes('fast') && ids.includes('mock/mock-small') && ids.includes('mock-small'), ids.join(','));
});

test('a model can be retrieved by id, slashes and all; an unknown one is a 404 model_not_found', async () => {
  for (const id of ['mock/mock-small', 'fast', 'mock-small']) {
    const model = await client.models.retrieve(id);
    assert.deepEqual({ id: model.id, object: model.object }, { id, object: 'model' });
  }
  await assert.rejects(client.models.retrieve('gpt-nonexistent'), (error: unknown) => {
    assert.ok(error instanceof OpenAI.NotFoundError);
    assert.equal(error.code, 'model_not_found');
    return true;
  });
});

test('the /openai/v1 prefix serves the same API', async () => {
  const other = new OpenAI({ baseURL: `${running.url}/openai/v1`, apiKey: 'x', maxRetries: 0 });
  const reply = await other.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'prefix' }] });
  assert.match(reply.choices[0]!.message.content ?? '', /prefix/);
  const embedding = await other.embeddings.create({ model: 'mock/mock-embedding', input: 'prefix' });
  assert.equal(embedding.data.length, 1);
  const models = await other.models.list();
  assert.deepEqual(models.data.map((model) => model.id), (await client.models.list()).data.map((model) => model.id));
});

test('an unknown model is a 404 model_not_found in the OpenAI envelope', async () => {
  await assert.rejects(client.chat.completions.create({ model: 'gpt-nonexistent', messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.NotFoundError);
    assert.equal(error.code, 'model_not_found');
    assert.match(error.message, /gpt-nonexistent/);
    return true;
  });
});

test('invalid requests are 400s naming the parameter', async () => {
  await assert.rejects(client.chat.completions.create({ model: 'fast', messages: [] }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.BadRequestError);
    assert.equal(error.param, 'messages');
    return true;
  });
});

test('x-tollgate-cost is the exact cost of the usage at the configured price; streams carry it as a trailer', async () => {
  const { data, response } = await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'price me' }] }).withResponse();
  // 1.25 USD/M input and 10 USD/M output, in integer micro-dollars to stay exact.
  const microUsd = data.usage!.prompt_tokens * 1.25 + data.usage!.completion_tokens * 10;
  assert.equal(Number(response.headers.get('x-tollgate-cost')), microUsd / 1_000_000);

  const streamed = await request(`${running.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'price me' }] }),
  });
  assert.equal(streamed.headers.trailer, 'x-tollgate-cost');
  await streamed.body.text();
  assert.equal(Number(streamed.trailers['x-tollgate-cost']), microUsd / 1_000_000);
});

test('failed requests cost nothing and say so', async () => {
  const response = await request(`${running.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }) });
  await response.body.dump();
  assert.equal(response.statusCode, 404);
  assert.equal(response.headers['x-tollgate-cost'], '0');
});

test('embeddings come back in the encoding the caller asked for, whatever the provider sent', async () => {
  const response = await request(`${running.url}/v1/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock/mock-embedding', input: 'abc', encoding_format: 'base64', dimensions: 8 }),
  });
  const body = (await response.body.json()) as { data: { embedding: unknown }[] };
  assert.equal(typeof body.data[0]!.embedding, 'string');
  assert.equal(Buffer.from(body.data[0]!.embedding as string, 'base64').length, 8 * 4);
  const floats = await client.embeddings.create({ model: 'mock/mock-embedding', input: 'abc', dimensions: 8, encoding_format: 'float' });
  assert.equal(floats.data[0]!.embedding.length, 8);
});
