import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import type { GatewayModule, ModuleFactory } from '../../src/pipeline/module.js';
import type { RequestStage } from '../../src/pipeline/stages.js';
import { featureModules } from '../../src/server/modules.js';
import { GatewayError, type ChatRequest, type StreamPart } from '../../src/spec/index.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

const ADMIN = 'conduct-admin-' + 'token-0123456789';
const KEY = 'vk-' + 'conduct-0001';
const SECRET = 'sk-live-' + 'conduct0123456789';

function lastUserText(request: ChatRequest): string {
  const last = [...request.messages].reverse().find((message) => message.role === 'user');
  return last?.content.map((part) => (part.type === 'text' ? part.text : '')).join('') ?? '';
}

/**
 * A test feature in the `policy` phase that conducts requests saying "conduct": two turns, the
 * second with a follow-up question, the caller's stream seeing both turns' text and a marker
 * between them; "conduct and fail" fails after the first turn.
 */
const conductingStage: RequestStage = {
  name: 'test-conductor',
  phase: 'policy',
  beforeDispatch(_context, call) {
    if (call.operation !== 'chat') return undefined;
    const text = lastUserText(call.request as ChatRequest);
    if (!text.startsWith('conduct')) return undefined;
    return {
      conduct: async (session) => {
        const request = session.request;
        const forward = async (part: StreamPart) => {
          if (part.type === 'text-delta' || part.type === 'start') await session.emit([part]);
        };
        const first = await session.turn(request, forward);
        if (lastUserText(request).includes('fail')) throw new GatewayError('tool_call_failed', 'The conductor failed on purpose.');
        await session.emit([{ type: 'text-delta', choice: 0, text: ' | ' }]);
        const messages = [...request.messages, { role: 'assistant' as const, content: first.choices[0]!.content }, { role: 'user' as const, content: [{ type: 'text' as const, text: 'and then?' }] }];
        const second = await session.turn({ ...request, messages }, async (part) => {
          if (part.type === 'text-delta' || part.type === 'finish') await session.emit([part]);
        });
        return second;
      },
    };
  },
};

/** A guard after the conductor: masks SECRET in prompts, so the turns never carry it. */
const maskingStage: RequestStage = {
  name: 'test-mask',
  phase: 'guard',
  beforeDispatch(_context, call) {
    if (call.operation !== 'chat') return undefined;
    const request = call.request as ChatRequest;
    request.messages = request.messages.map((message) => (message.role === 'user' ? { ...message, content: message.content.map((part) => (part.type === 'text' ? { ...part, text: part.text.split(SECRET).join('[masked]') } : part)) } : message));
    return undefined;
  },
};

const testModule: ModuleFactory = (): GatewayModule => ({ name: 'test-conductor', stages: [conductingStage, maskingStage] });

let fake: FakeUpstream;
let running: RunningGateway;
let client: OpenAI;

before(async () => {
  fake = await startOpenAIFake();
  running = await startGateway(
    {
      admin: { token: ADMIN },
      providers: { openai: { type: 'openai', base_url: `${fake.url}/v1`, keys: [{ value: 'sk-' + 'test-upstream' }], models: ['gpt-test'], max_retries: 0 } },
      pricing: { 'openai/gpt-test': { input: 1000, output: 1000 } },
      virtual_keys: [{ id: 'conductor', value: KEY, models: ['*'], budgets: [{ max_usd: 100 }] }],
    },
    { modules: [...featureModules, testModule] },
  );
  client = new OpenAI({ apiKey: KEY, baseURL: `${running.url}/v1`, maxRetries: 0 });
});

after(async () => {
  await running?.close();
  await fake?.close();
});

async function logs(query: string): Promise<any[]> {
  const response = await fetch(`${running.url}/admin/logs?${query}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(response.status, 200);
  return ((await response.json()) as { logs: any[] }).logs;
}

async function eventually<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('never happened');
}

test('a conducted request runs its turns as requests of their own and answers with the last, priced as their sum', async () => {
  fake.requests.length = 0;
  fake.enqueue({ text: 'first', usage: { input: 10, output: 2 } }, { text: 'second', usage: { input: 20, output: 3 } });
  const { data, response } = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: `conduct ${SECRET}` }] }).withResponse();
  assert.equal(data.choices[0]!.message.content, 'second');
  assert.deepEqual({ prompt: data.usage?.prompt_tokens, completion: data.usage?.completion_tokens }, { prompt: 30, completion: 5 });
  // 35 tokens at $1000 per million.
  assert.equal(response.headers.get('x-tollgate-cost'), '0.035');
  assert.equal(fake.requests.length, 2);
  // The guard after the conductor still ran on the prompt: no turn carried the secret.
  for (const request of fake.requests) assert.doesNotMatch(JSON.stringify(request.body), /sk-live-conduct/);
  assert.equal(fake.requests[1]!.summary!.messages.at(-1)!.text, 'and then?');
  const id = response.headers.get('x-request-id')!;
  const records = await eventually(async () => {
    const found = (await logs('limit=20')).filter((record) => record.request_id === id || record.parent_request_id === id);
    return found.length === 3 ? found : undefined;
  });
  const turns = records.filter((record) => record.parent_request_id === id).sort((a, b) => a.request_id.localeCompare(b.request_id));
  assert.deepEqual(turns.map((record) => record.request_id), [`${id}.1`, `${id}.2`]);
  assert.deepEqual(turns.map((record) => record.cost_exact), ['0.012', '0.023']);
  // Each turn was admitted and charged the budget on its own; the request itself charged nothing more.
  assert.ok(turns.every((record) => record.charged_nano_usd > 0));
  const parent = records.find((record) => record.request_id === id)!;
  assert.equal(parent.cost_exact, '0.035');
  assert.equal(parent.charged_nano_usd, null);
});

test('a streaming caller sees what the conductor emits, through the stages, with the summed cost at the end', async () => {
  fake.enqueue({ text: 'first', usage: { input: 10, output: 2 } }, { text: 'second', usage: { input: 20, output: 3 } });
  const stream = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'conduct' }], stream: true, stream_options: { include_usage: true } });
  let text = '';
  let finish: string | null | undefined;
  let cost: unknown;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? '';
    finish ??= chunk.choices[0]?.finish_reason;
    if (chunk.usage) cost = (chunk.usage as unknown as { x_tollgate_cost: string }).x_tollgate_cost;
  }
  assert.equal(text, 'first | second');
  assert.equal(finish, 'stop');
  assert.equal(cost, '0.035');
});

test('a conductor failing after its stream started ends the stream with an error in the dialect', async () => {
  fake.enqueue({ text: 'first', usage: { input: 10, output: 2 } });
  const stream = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'conduct and fail' }], stream: true });
  let text = '';
  await assert.rejects(
    (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })(),
    /failed on purpose/,
  );
  assert.equal(text, 'first');
});

test('a conductor failing before anything was streamed answers with an error', async () => {
  fake.enqueue({ text: 'first', usage: { input: 10, output: 2 } });
  await assert.rejects(client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'conduct and fail' }] }), (error: InstanceType<typeof OpenAI.APIError>) => {
    assert.equal(error.status, 502);
    assert.match(error.message, /failed on purpose/);
    return true;
  });
});

test('usage of several turns adds up; input or output tokens one turn does not know are unknown', async () => {
  const { sumUsage } = await import('../../src/pipeline/usage-accumulator.js');
  assert.deepEqual(sumUsage([{ inputTokens: 10, outputTokens: 2, cachedInputTokens: 4 }, { inputTokens: 5, outputTokens: 1 }]), { inputTokens: 15, outputTokens: 3, cachedInputTokens: 4 });
  assert.deepEqual(sumUsage([{ inputTokens: 10, outputTokens: 2 }, { inputTokens: undefined, outputTokens: 1 }]), { inputTokens: undefined, outputTokens: 3 });
  assert.equal(sumUsage([]), undefined);
});
