import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { BUDGET_SNAPSHOT, MissingCapabilityError } from '../../src/pipeline/capabilities.js';
import type { GatewayModule, ModuleFactory } from '../../src/pipeline/module.js';
import type { RequestStage, StreamTap } from '../../src/pipeline/stages.js';
import { featureModules } from '../../src/server/modules.js';
import { GatewayError, type ChatRequest, type ChatResponse, type StreamPart } from '../../src/spec/index.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

const SECRET = 'sk-live-0123456789abcdef';
const MASK = '[masked]';

/** The text of a user message, whatever its shape. */
function userText(request: ChatRequest): string {
  const last = request.messages.at(-1);
  if (last === undefined || last.role !== 'user') return '';
  return last.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

const cannedAnswer: ChatResponse = {
  id: 'stage-answer',
  model: 'stage-model',
  created: 1_700_000_000,
  choices: [{ index: 0, content: [{ type: 'text', text: 'answered by a stage' }], toolCalls: [], finishReason: { unified: 'stop', raw: 'stop' } }],
  usage: { inputTokens: 3, outputTokens: 4 },
};

/** Holds back text that might be the start of SECRET until it can tell, and masks SECRET even across chunks. */
function maskingTap(): StreamTap {
  let held = '';
  const flush = (final: boolean): StreamPart[] => {
    held = held.split(SECRET).join(MASK);
    // Keep the longest tail that could still grow into the secret.
    let keep = 0;
    if (!final) for (let length = Math.min(SECRET.length - 1, held.length); length > 0; length--) if (SECRET.startsWith(held.slice(-length))) { keep = length; break; }
    const out = held.slice(0, held.length - keep);
    held = held.slice(held.length - keep);
    return out.length === 0 ? [] : [{ type: 'text-delta', choice: 0, text: out }];
  };
  return {
    part(part) {
      if (part.type !== 'text-delta') return part.type === 'finish' ? [...flush(true), part] : [part];
      held += part.text;
      return flush(false);
    },
    end: () => flush(true),
  };
}

/** A test feature: answers `ask the stage`, refuses `refuse me`, masks SECRET in prompts and in answers (whole and streamed). */
const stage: RequestStage = {
  name: 'test-stage',
  phase: 'guard',
  beforeDispatch(_context, call) {
    if (call.operation !== 'chat') return undefined;
    const request = call.request as ChatRequest;
    const text = userText(request);
    if (text === 'ask the stage') return { answer: cannedAnswer };
    if (text === 'refuse me') throw new GatewayError('invalid_request', 'Refused by the test stage.');
    if (text.includes(SECRET)) request.messages = request.messages.map((message) => (message.role === 'user' ? { ...message, content: [{ type: 'text' as const, text: text.split(SECRET).join(MASK) }] } : message));
    return undefined;
  },
  afterResponse(_context, call, response) {
    if (call.operation !== 'chat') return undefined;
    const answer = response as ChatResponse;
    const text = answer.choices[0]?.content.map((part) => (part.type === 'text' ? part.text : '')).join('') ?? '';
    if (!text.includes(SECRET)) return undefined;
    return { ...answer, choices: [{ ...answer.choices[0]!, content: [{ type: 'text', text: text.split(SECRET).join(MASK) }] }] };
  },
  openStream: () => maskingTap(),
};

const stageModule: ModuleFactory = (): GatewayModule => ({ name: 'test-stage', stages: [stage] });

let fake: FakeUpstream;
let running: RunningGateway;
let openai: OpenAI;

before(async () => {
  fake = await startOpenAIFake();
  running = await startGateway(
    { providers: { alpha: { type: 'openai', base_url: `${fake.url}/v1`, keys: [{ value: 'sk-provider-key-alpha' }], models: ['echo'] } } },
    { modules: [...featureModules, stageModule] },
  );
  openai = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

after(async () => {
  await running.close();
  await fake.close();
});

test('a stage answers before dispatch: no provider is called, nothing is billed, whole and streamed', async () => {
  const before = fake.requests.length;
  const { data, response } = await openai.chat.completions.create({ model: 'alpha/echo', messages: [{ role: 'user', content: 'ask the stage' }] }).withResponse();
  assert.equal(data.choices[0]?.message.content, 'answered by a stage');
  assert.equal(response.headers.get('x-tollgate-cost'), '0');
  const stream = await openai.chat.completions.create({ model: 'alpha/echo', messages: [{ role: 'user', content: 'ask the stage' }], stream: true });
  let text = '';
  let finish: string | null | undefined;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(text, 'answered by a stage');
  assert.equal(finish, 'stop');
  assert.equal(fake.requests.length, before);
});

test('a stage refuses before dispatch, in the caller\'s dialect', async () => {
  const anthropic = new Anthropic({ baseURL: `${running.url}/anthropic`, apiKey: 'unused', maxRetries: 0 });
  const refused = await anthropic.messages.create({ model: 'alpha/echo', max_tokens: 10, messages: [{ role: 'user', content: 'refuse me' }] }).catch((error: unknown) => error);
  assert.ok(refused instanceof Anthropic.APIError);
  assert.equal(refused.status, 400);
  assert.equal((refused.error as { type?: string }).type, 'error');
  assert.match(JSON.stringify(refused.error), /Refused by the test stage/);
});

test('a stage rewrites the request before dispatch: the provider sees the rewritten prompt', async () => {
  await openai.chat.completions.create({ model: 'alpha/echo', messages: [{ role: 'user', content: `my key is ${SECRET}` }] });
  const sent = fake.requests.at(-1)!.summary!;
  assert.equal(sent.messages.at(-1)?.text, `my key is ${MASK}`);
});

test('a stage rewrites a whole answer: the caller gets the rewrite even from a same-dialect upstream', async () => {
  fake.enqueue({ text: `the key is ${SECRET}.`, finish: 'stop', usage: { input: 5, output: 5 } });
  const answer = await openai.chat.completions.create({ model: 'alpha/echo', messages: [{ role: 'user', content: 'tell me' }] });
  assert.equal(answer.choices[0]?.message.content, `the key is ${MASK}.`);
});

test('a stream tap masks a secret split across chunks and releases held text at the end', async () => {
  fake.enqueue({ text: `first ${SECRET} then ${SECRET.slice(0, 10)}`, finish: 'stop', usage: { input: 5, output: 9 } });
  const stream = await openai.chat.completions.create({ model: 'alpha/echo', messages: [{ role: 'user', content: 'stream it' }], stream: true, stream_options: { include_usage: true } });
  let text = '';
  let usage: OpenAI.CompletionUsage | undefined | null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? '';
    usage = chunk.usage ?? usage;
  }
  assert.equal(text, `first ${MASK} then ${SECRET.slice(0, 10)}`);
  // Billing reads the upstream's usage, whatever the tap did to the text.
  assert.equal(usage?.completion_tokens, 9);
});

test('a module that requires a capability nobody provides stops start-up, naming both', async () => {
  const needy: ModuleFactory = (): GatewayModule => ({
    name: 'needy',
    connect(capabilities) {
      capabilities.require(BUDGET_SNAPSHOT, 'needy');
    },
  });
  const failure = await startGateway({ providers: { alpha: { type: 'openai', base_url: `${fake.url}/v1`, keys: [{ value: 'sk-a' }], models: ['echo'] } } }, { modules: [needy] }).catch((error: unknown) => error);
  assert.ok(failure instanceof MissingCapabilityError);
  assert.match(failure.message, /needy module needs `budget snapshot`/);
  // With governance loaded, the same module starts.
  const governed = await startGateway({ providers: { alpha: { type: 'openai', base_url: `${fake.url}/v1`, keys: [{ value: 'sk-a' }], models: ['echo'] } } }, { modules: [...featureModules, needy] });
  await governed.close();
});
