import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { startToolServer } from './agent-fixtures.js';

const KEY = 'vk-' + 'agent-cache-0001';
let fake: FakeUpstream;
let tools: Awaited<ReturnType<typeof startToolServer>>;
let running: RunningGateway;

before(async () => {
  [fake, tools] = await Promise.all([startOpenAIFake(), startToolServer()]);
  running = await startGateway({
    providers: { openai: { type: 'openai', base_url: `${fake.url}/v1`, keys: [{ value: 'sk-' + 'test-upstream' }], models: ['gpt-test'], max_retries: 0 } },
    pricing: { 'openai/gpt-test': { input: 1000, output: 1000 } },
    cache: { enabled: true },
    mcp: { servers: { calc: { transport: 'http', url: tools.url, auto_execute: ['add'] } }, inject: { enabled: true } },
    virtual_keys: [{ id: 'cached', value: KEY, models: ['*'], mcp: { allow: ['calc__*'] } }],
  });
  for (let attempt = 0; attempt < 200 && (await fetch(`${running.url}/ready`)).status !== 200; attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
});

after(async () => {
  await running?.close();
  await Promise.all([fake?.close(), tools?.close()]);
});

test('a repeated agent request is answered from the cache with its trail, whole and streamed, without running anything', async () => {
  const client = new OpenAI({ apiKey: KEY, baseURL: `${running.url}/v1`, maxRetries: 0 });
  fake.enqueue({ toolCalls: [{ id: 'c1', name: 'calc__add', arguments: '{"a":2,"b":3}' }], finish: 'tool-calls', usage: { input: 10, output: 5 } }, { text: 'five', finish: 'stop', usage: { input: 20, output: 4 } });
  const first = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: '2+3?' }] }).withResponse();
  assert.equal(first.response.headers.get('x-tollgate-cache'), 'miss');
  let hit: OpenAI.Chat.Completions.ChatCompletion.Choice | undefined;
  let trail: any;
  // The entry is stored once the request has ended.
  for (let attempt = 0; attempt < 50; attempt++) {
    const again = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: '2+3?' }] }).withResponse();
    if (again.response.headers.get('x-tollgate-cache') === 'hit-exact') {
      hit = again.data.choices[0];
      trail = (again.data as any).tollgate_agent;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(hit?.message.content, 'five');
  assert.deepEqual(trail.steps.map((step: any) => step.type), ['tool_call', 'tool_result']);
  assert.equal(fake.requests.length, 2);
  const stream = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: '2+3?' }], stream: true });
  const steps: string[] = [];
  let text = '';
  for await (const chunk of stream) {
    const step = (chunk as any).tollgate_agent;
    if (step !== undefined) steps.push(step.type);
    text += chunk.choices[0]?.delta.content ?? '';
  }
  assert.deepEqual(steps, ['tool_call', 'tool_result']);
  assert.equal(text, 'five');
  assert.equal(fake.requests.length, 2);
});
