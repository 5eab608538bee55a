import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import type { RequestRecord } from '../../src/observability/log/request-record.js';
import { startGeminiBatchesFake, type GeminiBatchesFake } from '../fakes/gemini-batches-fake.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { ADMIN_TOKEN, adminGet } from '../observability/admin-client.js';

/**
 * An OpenAI batch of chat completions for Gemini models, translated to Gemini's batch mode: the
 * SDK uploads and submits an OpenAI batch; the fake receives `:batchGenerateContent` with inline
 * GenerateContentRequests; the output file comes back in OpenAI's format (from the inline
 * responses, or from a responses file), each line priced at the batch rate and logged.
 */

const GEMINI_KEY = 'AIza' + 'SyBatchKey0123456789abcdefghijklmn';
const ALICE = 'vk-test-' + 'gemini-batch-alice';
const POOR = 'vk-test-' + 'gemini-batch-poor';

let fake: GeminiBatchesFake;
let running: RunningGateway;

before(async () => {
  fake = await startGeminiBatchesFake();
  running = await startGateway({
    admin: { token: ADMIN_TOKEN },
    providers: { gemini: { type: 'gemini', base_url: `${fake.url}/v1beta`, keys: [{ value: GEMINI_KEY }], models: ['gemini-2.5-flash', 'gemini-file-flash', 'gemini-broken-flash'], max_retries: 0 } },
    pricing: {
      'gemini/gemini-2.5-flash': { input: 0.3, output: 2.5, batch_input: 0.15, batch_output: 1.25 },
      'gemini/gemini-file-flash': { input: 0.3, output: 2.5, batch_input: 0.15, batch_output: 1.25 },
      'gemini/gemini-broken-flash': { input: 0.3, output: 2.5, batch_input: 0.15, batch_output: 1.25 },
    },
    virtual_keys: [
      { id: 'alice', value: ALICE, models: ['*'], budgets: [{ max_usd: 5, period: '1d' }] },
      { id: 'poor', value: POOR, models: ['*'], budgets: [{ max_usd: 0.00001, period: '1d' }] },
    ],
  });
});
after(async () => {
  await running?.close();
  await fake?.close();
});

function inputFile(prompts: string[], model = 'gemini-2.5-flash', maxTokens = 64): Buffer {
  return Buffer.from(prompts.map((prompt, index) => JSON.stringify({ custom_id: `q-${index}`, method: 'POST', url: '/v1/chat/completions', body: { model, max_tokens: maxTokens, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: prompt }] } })).join('\n'));
}

function client(key: string): OpenAI {
  return new OpenAI({ baseURL: `${running.url}/v1`, apiKey: key, maxRetries: 0 });
}

type OutputLine = { id: string; custom_id: string; error: unknown; response: { status_code: number; request_id: string; body: { object: string; model: string; choices: Array<{ message: { content: string } }>; usage: { prompt_tokens: number; completion_tokens: number }; error: { message: string } } } };

async function lines(openai: OpenAI, fileId: string): Promise<OutputLine[]> {
  return (await (await openai.files.content(fileId)).text()).trim().split('\n').map((line) => JSON.parse(line) as OutputLine);
}

async function poll(openai: OpenAI, batch: OpenAI.Batch): Promise<OpenAI.Batch> {
  for (let attempt = 0; attempt < 5 && !['completed', 'cancelled', 'failed', 'expired'].includes(batch.status); attempt++) batch = await openai.batches.retrieve(batch.id);
  return batch;
}

type Usage = { budgets: Array<{ level: string; spent_usd: number; reserved_usd: number }> };

async function keyBudget(key: string): Promise<{ spent: number; reserved: number }> {
  const answer = (await (await fetch(`${running.url}/v1/usage`, { headers: { authorization: `Bearer ${key}` } })).json()) as Usage;
  const budget = answer.budgets.find((entry) => entry.level === 'key')!;
  return { spent: budget.spent_usd, reserved: budget.reserved_usd };
}

type Page = { logs: RequestRecord[]; total: number };

test("an OpenAI batch for a Gemini model runs in Gemini's batch mode and answers in OpenAI's batch format", async () => {
  const alice = client(ALICE);
  const file = await alice.files.create({ file: await toFile(inputFile(['one', 'two', 'please FAIL']), 'gemini.jsonl'), purpose: 'batch', provider: 'gemini' } as unknown as OpenAI.FileCreateParams);
  assert.match(file.id, /^file-tg/, 'the gateway keeps the input: Gemini has no OpenAI Files API');
  const created = await alice.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }).withResponse();
  assert.equal(created.response.headers.get('x-tollgate-cost'), '0');
  assert.match(created.data.id, /^batch_tg/);
  assert.equal(created.data.status, 'in_progress');
  assert.ok(fake.requests.includes('POST /v1beta/models/gemini-2.5-flash:batchGenerateContent'), fake.requests.join(', '));
  assert.deepEqual([...fake.apiKeys], [GEMINI_KEY]);
  // Encoded by the Gemini codec: the system prompt apart, max_tokens as maxOutputTokens, each request keyed by its custom_id.
  const request = fake.params.get('q-0')!;
  assert.deepEqual(request.systemInstruction, { parts: [{ text: 'Be brief.' }] });
  assert.equal((request.generationConfig as { maxOutputTokens?: number }).maxOutputTokens, 64);
  assert.deepEqual(request.contents, [{ role: 'user', parts: [{ text: 'one' }] }]);

  const batch = await poll(alice, created.data);
  assert.equal(batch.status, 'completed');
  assert.deepEqual(batch.request_counts, { total: 3, completed: 2, failed: 1 });
  assert.ok(fake.requests.some((line) => /^GET \/v1beta\/batches\/[0-9a-f]+$/.test(line)), 'the state read from the batch\'s own name');
  assert.ok(!fake.requests.some((line) => line.includes('/download/')), 'inline results need no download');

  const output = await lines(alice, batch.output_file_id!);
  assert.deepEqual(output.map((line) => line.custom_id), ['q-0', 'q-1']);
  assert.equal(output[0]!.response.status_code, 200);
  assert.equal(output[0]!.response.body.object, 'chat.completion');
  assert.equal(output[0]!.response.body.choices[0]!.message.content, 'batch answer to q-0');
  assert.equal(output[0]!.response.body.usage.prompt_tokens, 10);
  assert.equal(output[0]!.response.body.usage.completion_tokens, 5);
  assert.equal(output[0]!.error, null);
  const errors = await lines(alice, batch.error_file_id!);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.custom_id, 'q-2');
  assert.equal(errors[0]!.response.status_code, 400, 'INVALID_ARGUMENT is a 400');
  assert.equal(errors[0]!.response.body.error.message, 'This request failed.');

  const { body } = await adminGet<Page>(running.url, `/admin/logs?request_id=${encodeURIComponent(`${batch.id}-0`)}`);
  assert.equal(body.total, 1);
  assert.equal(body.logs[0]!.metadata.batch_id, batch.id);
  assert.equal(body.logs[0]!.metadata.custom_id, 'q-0');
  assert.ok(Math.abs(body.logs[0]!.cost_usd! - (10 * 0.15 + 5 * 1.25) / 1_000_000) < 1e-12, `batch rate: ${body.logs[0]!.cost_usd}`);
});

test('results Gemini writes to a responses file are downloaded from the configured host', async () => {
  const alice = client(ALICE);
  const file = await alice.files.create({ file: await toFile(inputFile(['alpha', 'beta FAIL'], 'gemini-file-flash'), 'file.jsonl'), purpose: 'batch', provider: 'gemini' } as unknown as OpenAI.FileCreateParams);
  const batch = await poll(alice, await alice.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }));
  assert.equal(batch.status, 'completed');
  assert.deepEqual(batch.request_counts, { total: 2, completed: 1, failed: 1 });
  assert.ok(fake.requests.some((line) => /^GET \/download\/v1beta\/files\/batch-[0-9a-f]+:download$/.test(line)), fake.requests.join(', '));
  const output = await lines(alice, batch.output_file_id!);
  assert.equal(output[0]!.custom_id, 'q-0');
  assert.equal(output[0]!.response.body.choices[0]!.message.content, 'batch answer to q-0');
  assert.equal((await lines(alice, batch.error_file_id!))[0]!.custom_id, 'q-1');
});

test('an error line that echoes the provider key reaches the error file redacted', async () => {
  const alice = client(ALICE);
  const file = await alice.files.create({ file: await toFile(inputFile(['fine', 'LEAK please']), 'leak.jsonl'), purpose: 'batch', provider: 'gemini' } as unknown as OpenAI.FileCreateParams);
  const batch = await poll(alice, await alice.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }));
  assert.equal(batch.status, 'completed');
  const text = await (await alice.files.content(batch.error_file_id!)).text();
  assert.ok(!text.includes(GEMINI_KEY), 'the key never reaches a stored file');
  const [line] = text.trim().split('\n').map((entry) => JSON.parse(entry) as OutputLine);
  assert.equal(line!.custom_id, 'q-1');
  assert.equal(line!.response.status_code, 500);
});

test('a Gemini batch that fails as a whole ends failed, every request an error line', async () => {
  const alice = client(ALICE);
  const file = await alice.files.create({ file: await toFile(inputFile(['a', 'b'], 'gemini-broken-flash'), 'broken.jsonl'), purpose: 'batch', provider: 'gemini' } as unknown as OpenAI.FileCreateParams);
  const batch = await poll(alice, await alice.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }));
  assert.equal(batch.status, 'failed');
  assert.deepEqual(batch.request_counts, { total: 2, completed: 0, failed: 2 });
  assert.match(batch.errors?.data?.[0]?.message ?? '', /The Gemini batch failed: The batch could not be processed/);
  const errors = await lines(alice, batch.error_file_id!);
  assert.deepEqual(errors.map((line) => [line.custom_id, line.response.status_code]), [['q-0', 500], ['q-1', 500]]);
});

test('cancelling a translated batch cancels the Gemini batch; it ends cancelled with every request failed', async () => {
  const alice = client(ALICE);
  const file = await alice.files.create({ file: await toFile(inputFile(['a', 'b']), 'cancel.jsonl'), purpose: 'batch', provider: 'gemini' } as unknown as OpenAI.FileCreateParams);
  const batch = await alice.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
  const cancelling = await alice.batches.cancel(batch.id);
  assert.equal(cancelling.status, 'cancelling');
  assert.ok(fake.requests.some((line) => /^POST \/v1beta\/batches\/[0-9a-f]+:cancel$/.test(line)), fake.requests.join(', '));
  const ended = await alice.batches.retrieve(batch.id);
  assert.equal(ended.status, 'cancelled');
  assert.deepEqual(ended.request_counts, { total: 2, completed: 0, failed: 2 });
  assert.equal(ended.output_file_id, null);
  const errors = await lines(alice, ended.error_file_id!);
  assert.deepEqual(errors.map((line) => [line.custom_id, line.response.status_code]), [['q-0', 499], ['q-1', 499]]);
});

test('a batch whose worst case exceeds the budget is refused at submission with 402, and Gemini never sees it', async () => {
  const poor = client(POOR);
  const file = await poor.files.create({ file: await toFile(inputFile(['x', 'y', 'z'], 'gemini-2.5-flash', 4000), 'big.jsonl'), purpose: 'batch', provider: 'gemini' } as unknown as OpenAI.FileCreateParams);
  const before = fake.requests.filter((line) => line.endsWith(':batchGenerateContent')).length;
  await assert.rejects(poor.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.APIError && error.status === 402, String(error));
    assert.match((error as Error).message, /worst case/);
    return true;
  });
  assert.equal(fake.requests.filter((line) => line.endsWith(':batchGenerateContent')).length, before, 'no batch reached Gemini');
});

test('a batch whose lines name two Gemini models is refused: batch mode runs one model per batch', async () => {
  const alice = client(ALICE);
  const mixed = Buffer.concat([inputFile(['one']), Buffer.from('\n'), Buffer.from(JSON.stringify({ custom_id: 'other', method: 'POST', url: '/v1/chat/completions', body: { model: 'gemini-file-flash', max_tokens: 8, messages: [{ role: 'user', content: 'two' }] } }))]);
  const file = await alice.files.create({ file: await toFile(mixed, 'mixed.jsonl'), purpose: 'batch', provider: 'gemini' } as unknown as OpenAI.FileCreateParams);
  const before = fake.requests.filter((line) => line.endsWith(':batchGenerateContent')).length;
  const held = await keyBudget(ALICE);
  await assert.rejects(alice.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.BadRequestError, String(error));
    assert.match((error as Error).message, /one model per batch/);
    return true;
  });
  assert.equal(fake.requests.filter((line) => line.endsWith(':batchGenerateContent')).length, before);
  assert.equal((await keyBudget(ALICE)).reserved, held.reserved, 'the worst case held at submission is released');
});

test("a settled Gemini batch charges the key's budget the lines' batch-rate cost", async () => {
  const alice = client(ALICE);
  const start = await keyBudget(ALICE);
  const file = await alice.files.create({ file: await toFile(inputFile(['x', 'y']), 'spend.jsonl'), purpose: 'batch', provider: 'gemini' } as unknown as OpenAI.FileCreateParams);
  const created = await alice.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
  assert.ok((await keyBudget(ALICE)).reserved > start.reserved, 'the worst case is held from submission');
  assert.equal((await poll(alice, created)).status, 'completed');
  const end = await keyBudget(ALICE);
  assert.equal(end.reserved, start.reserved);
  assert.ok(Math.abs(end.spent - start.spent - (2 * (10 * 0.15 + 5 * 1.25)) / 1_000_000) < 1e-9, `spent ${end.spent - start.spent}`);
});
