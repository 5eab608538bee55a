import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import type { RequestRecord } from '../../src/observability/log/request-record.js';
import { startAnthropicBatchesFake, type AnthropicBatchesFake } from '../fakes/anthropic-batches-fake.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { ADMIN_TOKEN, adminGet } from '../observability/admin-client.js';

/**
 * An OpenAI batch of chat completions for Claude models, translated to Anthropic's Message Batches:
 * the SDK uploads and submits an OpenAI batch; the fake receives Anthropic requests; the output file
 * comes back in OpenAI's format, each line priced at the batch rate and logged with the batch id.
 */

const ANTHROPIC_KEY = 'sk-ant-' + 'batchKey0123456789abcdef0123';
const ALICE = 'vk-test-' + 'anthropic-batch-alice';

let fake: AnthropicBatchesFake;
let running: RunningGateway;

before(async () => {
  fake = await startAnthropicBatchesFake();
  running = await startGateway({
    admin: { token: ADMIN_TOKEN },
    providers: { anthropic: { type: 'anthropic', base_url: fake.url, keys: [{ value: ANTHROPIC_KEY }], models: ['claude-sonnet-4-5'], max_retries: 0 } },
    pricing: { 'anthropic/claude-sonnet-4-5': { input: 3, output: 15, batch_input: 1.5, batch_output: 7.5 } },
    virtual_keys: [{ id: 'alice', value: ALICE, models: ['claude-sonnet-4-5'], budgets: [{ max_usd: 5, period: '1d' }] }],
  });
});
after(async () => {
  await running?.close();
  await fake?.close();
});

function inputFile(prompts: string[]): Buffer {
  return Buffer.from(prompts.map((prompt, index) => JSON.stringify({ custom_id: `q-${index}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: prompt }] } })).join('\n'));
}

type Page = { logs: RequestRecord[]; total: number };

test('an OpenAI batch for a Claude model runs as an Anthropic Message Batch and answers in OpenAI\'s batch format', async () => {
  const alice = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: ALICE, maxRetries: 0 });
  const file = await alice.files.create({ file: await toFile(inputFile(['one', 'two', 'please FAIL']), 'claude.jsonl'), purpose: 'batch', provider: 'anthropic' } as unknown as OpenAI.FileCreateParams);
  assert.match(file.id, /^file-tg/, 'the gateway keeps the input: Anthropic has no OpenAI Files API');
  const created = await alice.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }).withResponse();
  assert.equal(created.response.headers.get('x-tollgate-cost'), '0');
  assert.match(created.data.id, /^batch_tg/);
  assert.ok(fake.requests.includes('POST /v1/messages/batches'));
  assert.deepEqual([...fake.apiKeys], [ANTHROPIC_KEY]);
  // Translated to Anthropic's Messages params: the system prompt apart, max_tokens kept, not streamed.
  const params = fake.params.get('q-0')!;
  assert.equal(params.system !== undefined, true);
  assert.equal(params.max_tokens, 64);
  assert.equal(params.stream, undefined);

  let batch = created.data;
  for (let poll = 0; poll < 5 && batch.status !== 'completed'; poll++) batch = await alice.batches.retrieve(batch.id);
  assert.equal(batch.status, 'completed');
  assert.deepEqual(batch.request_counts, { total: 3, completed: 2, failed: 1 });
  assert.ok(fake.requests.some((request) => request.endsWith('/results')), 'results read from the batch\'s own path');

  const output = (await (await alice.files.content(batch.output_file_id!)).text()).trim().split('\n').map((line) => JSON.parse(line) as { custom_id: string; response: { status_code: number; body: { object: string; choices: Array<{ message: { content: string } }>; usage: { prompt_tokens: number } } } });
  assert.deepEqual(output.map((line) => line.custom_id), ['q-0', 'q-1']);
  assert.equal(output[0]!.response.body.object, 'chat.completion');
  assert.equal(output[0]!.response.body.choices[0]!.message.content, 'batch answer to q-0');
  assert.equal(output[0]!.response.body.usage.prompt_tokens, 10);
  const errors = (await (await alice.files.content(batch.error_file_id!)).text()).trim().split('\n').map((line) => JSON.parse(line) as { custom_id: string; response: { status_code: number; body: { error: { message: string } } } });
  assert.equal(errors[0]!.custom_id, 'q-2');
  assert.equal(errors[0]!.response.status_code, 400);

  const { body } = await adminGet<Page>(running.url, `/admin/logs?request_id=${encodeURIComponent(`${batch.id}-0`)}`);
  assert.equal(body.total, 1);
  assert.equal(body.logs[0]!.metadata.batch_id, batch.id);
  assert.ok(Math.abs(body.logs[0]!.cost_usd! - (10 * 1.5 + 5 * 7.5) / 1_000_000) < 1e-12, `batch rate: ${body.logs[0]!.cost_usd}`);
});

test('cancelling a translated batch cancels the Message Batch; it ends cancelled', async () => {
  const alice = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: ALICE, maxRetries: 0 });
  const file = await alice.files.create({ file: await toFile(inputFile(['a', 'b']), 'cancel.jsonl'), purpose: 'batch', provider: 'anthropic' } as unknown as OpenAI.FileCreateParams);
  const batch = await alice.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
  const cancelling = await alice.batches.cancel(batch.id);
  assert.equal(cancelling.status, 'cancelling');
  assert.ok(fake.requests.some((request) => request.endsWith('/cancel')));
  const ended = await alice.batches.retrieve(batch.id);
  assert.equal(ended.status, 'cancelled');
  assert.equal(ended.request_counts?.failed, 2);
});
