import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import type { RequestRecord } from '../../src/observability/log/request-record.js';
import { startFilesFake, type FilesFake } from '../fakes/openai-files-fake.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { ADMIN_TOKEN, adminGet } from '../observability/admin-client.js';

/**
 * OpenAI's Batch API through the gateway, driven by the official SDK: a native batch at an
 * OpenAI-dialect fake (created, polled to completion, its output read back, each line priced at
 * the batch rate and logged with the batch id), a batch the gateway runs itself for a provider
 * without a Batch API, ownership, and the budget check at submission.
 */

const PROVIDER_KEY = 'sk-proj-' + 'batchProviderKey0123456789abcdef';
const ALICE = 'vk-test-' + 'batch-alice';
const BOB = 'vk-test-' + 'batch-bob';
const POOR = 'vk-test-' + 'batch-poor';
const NARROW = 'vk-test-' + 'batch-narrow';
const CAROL = 'vk-test-' + 'batch-carol';
const MINI = 'vk-test-' + 'batch-mini';
const TEAMED = 'vk-test-' + 'batch-teamed';

let fake: FilesFake;
let running: RunningGateway;
let directory: string;

before(async () => {
  fake = await startFilesFake();
  directory = await mkdtemp(join(tmpdir(), 'tollgate-batches-'));
  running = await startGateway({
    storage: { type: 'sqlite', path: join(directory, 'gateway.db') },
    admin: { token: ADMIN_TOKEN },
    providers: {
      openai: { type: 'openai', base_url: `${fake.url}/v1`, keys: [{ value: PROVIDER_KEY }], models: ['gpt-4o-mini'], max_retries: 0 },
      local: { type: 'openai-compatible', base_url: `${fake.url}/v1`, models: ['llama-small'], max_retries: 0 },
    },
    pricing: {
      'openai/gpt-4o-mini': { input: 0.15, output: 0.6, batch_input: 0.075, batch_output: 0.3, max_output_tokens: 1000 },
      'local/llama-small': { input: 1, output: 2 },
    },
    teams: [{ id: 'thrifty', budgets: [{ max_usd: 0.001, period: '1d' }] }],
    virtual_keys: [
      { id: 'alice', value: ALICE, models: ['*'] },
      { id: 'bob', value: BOB, models: ['*'] },
      { id: 'teamed', value: TEAMED, models: ['*'], team: 'thrifty', budgets: [{ max_usd: 100, period: '1d' }] },
      { id: 'poor', value: POOR, models: ['*'], budgets: [{ max_usd: 0.0001, period: '1d' }] },
      { id: 'narrow', value: NARROW, models: ['llama-small'] },
      { id: 'mini', value: MINI, models: ['gpt-4o-mini'] },
      { id: 'carol', value: CAROL, models: ['*'], budgets: [{ max_usd: 5, period: '1d' }] },
    ],
  });
});
after(async () => {
  await running?.close();
  await fake?.close();
  await rm(directory, { recursive: true, force: true });
});

const client = (key: string): OpenAI => new OpenAI({ baseURL: `${running.url}/v1`, apiKey: key, maxRetries: 0 });

function inputFile(model: string, count: number, maxTokens?: number): Buffer {
  const lines: string[] = [];
  for (let index = 0; index < count; index++) {
    lines.push(JSON.stringify({ custom_id: `line-${index}`, method: 'POST', url: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content: `question number ${index}` }], ...(maxTokens === undefined ? {} : { max_tokens: maxTokens }) } }));
  }
  return Buffer.from(lines.join('\n') + '\n');
}

type Page = { logs: RequestRecord[]; total: number };

test('a native batch: created at the provider, polled to completion, its output read back, each line priced at the batch rate and logged with the batch id', async () => {
  const alice = client(ALICE);
  const file = await alice.files.create({ file: await toFile(inputFile('gpt-4o-mini', 3, 50), 'input.jsonl'), purpose: 'batch' });
  const created = await alice.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }).withResponse();
  assert.equal(created.response.headers.get('x-tollgate-cost'), '0');
  assert.equal(created.response.headers.get('x-tollgate-provider'), 'openai');
  assert.ok(fake.requests.includes('POST /v1/batches'));
  let batch = created.data;
  for (let poll = 0; poll < 5 && batch.status !== 'completed'; poll++) {
    const retrieved = await alice.batches.retrieve(batch.id).withResponse();
    assert.equal(retrieved.response.headers.get('x-tollgate-cost'), '0');
    batch = retrieved.data;
  }
  assert.equal(batch.status, 'completed');
  assert.equal(batch.request_counts?.completed, 3);
  const output = await (await alice.files.content(batch.output_file_id!)).text();
  const lines = output.trim().split('\n').map((line) => JSON.parse(line) as { custom_id: string; response: { body: { usage: { prompt_tokens: number; completion_tokens: number } } } });
  assert.deepEqual(lines.map((line) => line.custom_id).sort(), ['line-0', 'line-1', 'line-2']);

  // One record per line, with the batch id, priced at the batch rates ($0.075/M in, $0.30/M out).
  for (let index = 0; index < 3; index++) {
    const { body } = await adminGet<Page>(running.url, `/admin/logs?request_id=${encodeURIComponent(`${batch.id}-${index}`)}`);
    assert.equal(body.total, 1, `line ${index} is logged`);
    const record = body.logs[0]!;
    assert.equal(record.metadata.batch_id, batch.id);
    assert.equal(record.virtual_key_id, 'alice');
    assert.equal(record.provider, 'openai');
    const usage = lines.find((line) => line.custom_id === record.metadata.custom_id)!.response.body.usage;
    const expected = (usage.prompt_tokens * 0.075 + usage.completion_tokens * 0.3) / 1_000_000;
    assert.ok(Math.abs(record.cost_usd! - expected) < 1e-12, `cost ${record.cost_usd} vs ${expected}`);
  }
  // Polling again settles nothing twice.
  await alice.batches.retrieve(batch.id);
  const { body } = await adminGet<Page>(running.url, `/admin/logs?request_id=${encodeURIComponent(`${batch.id}-0`)}`);
  assert.equal(body.total, 1);
});

test('a batch whose worst case exceeds the budget is refused at submission with 402, and the provider never sees it', async () => {
  const poor = client(POOR);
  // 20 lines of up to 1000 output tokens at $0.60/M: about $0.012, over the $0.0001 budget.
  const file = await poor.files.create({ file: await toFile(inputFile('gpt-4o-mini', 20), 'big.jsonl'), purpose: 'batch' });
  const before = fake.requests.filter((request) => request === 'POST /v1/batches').length;
  await assert.rejects(poor.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }), (error: unknown) => {
    assert.ok(error instanceof OpenAI.APIError && error.status === 402, String(error));
    assert.equal((error as InstanceType<typeof OpenAI.APIError>).headers?.get('x-tollgate-cost'), '0');
    assert.match((error as Error).message, /worst case/);
    return true;
  });
  assert.equal(fake.requests.filter((request) => request === 'POST /v1/batches').length, before, 'no batch reached the provider');
});

test("each line's model must be allowed to the key", async () => {
  const narrow = client(NARROW);
  const file = await narrow.files.create({ file: await toFile(inputFile('gpt-4o-mini', 2), 'other.jsonl'), purpose: 'batch', provider: 'gateway' } as unknown as OpenAI.FileCreateParams);
  await assert.rejects(narrow.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }), (error: unknown) => error instanceof OpenAI.PermissionDeniedError);
});

test('a batch is invisible to another key: 404 on retrieve and cancel, absent from its list', async () => {
  const alice = client(ALICE);
  const file = await alice.files.create({ file: await toFile(inputFile('gpt-4o-mini', 1), 'one.jsonl'), purpose: 'batch' });
  const batch = await alice.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
  const bob = client(BOB);
  await assert.rejects(bob.batches.retrieve(batch.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
  await assert.rejects(bob.batches.cancel(batch.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
  await assert.rejects(bob.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }), (error: unknown) => error instanceof OpenAI.NotFoundError);
  const listed = await bob.batches.list();
  assert.ok(!listed.data.some((item) => item.id === batch.id));
  assert.ok((await alice.batches.list()).data.some((item) => item.id === batch.id));
  const cancelled = await alice.batches.cancel(batch.id);
  assert.equal(cancelled.status, 'cancelled');
});

test('a batch for a provider without a Batch API is run by the gateway: each line through the pipeline, the output in OpenAI\'s format', async () => {
  const alice = client(ALICE);
  const before = fake.prompts.length;
  const file = await alice.files.create({ file: await toFile(inputFile('llama-small', 4, 20), 'local.jsonl'), purpose: 'batch', provider: 'local' } as unknown as OpenAI.FileCreateParams);
  assert.match(file.id, /^file-tg/, 'the gateway keeps the input of a provider without files');
  const created = await alice.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }).withResponse();
  assert.equal(created.response.headers.get('x-tollgate-cost'), '0');
  let batch = created.data;
  for (let poll = 0; poll < 200 && batch.status !== 'completed'; poll++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    batch = await alice.batches.retrieve(batch.id);
  }
  assert.equal(batch.status, 'completed', running.logs.filter((line) => /batch|error/i.test(line)).join('\n'));
  assert.deepEqual(batch.request_counts, { total: 4, completed: 4, failed: 0 });
  assert.equal(fake.prompts.length - before, 4);
  const output = await (await alice.files.content(batch.output_file_id!)).text();
  const lines = output.trim().split('\n').map((line) => JSON.parse(line) as { custom_id: string; response: { status_code: number; body: { object: string; choices: Array<{ message: { content: string } }> } } });
  assert.deepEqual(lines.map((line) => line.custom_id), ['line-0', 'line-1', 'line-2', 'line-3']);
  assert.equal(lines[2]!.response.status_code, 200);
  assert.equal(lines[2]!.response.body.object, 'chat.completion');
  assert.equal(lines[2]!.response.body.choices[0]!.message.content, 'answer to question number 2');
  await assert.rejects(client(BOB).files.content(batch.output_file_id!), (error: unknown) => error instanceof OpenAI.NotFoundError);
  // Each line is a request of its own in the log, priced at the provider's standard rate, tagged with the batch.
  const { body } = await adminGet<Page>(running.url, `/admin/logs?request_id=${encodeURIComponent(`${batch.id}-1`)}`);
  assert.equal(body.total, 1);
  assert.equal(body.logs[0]!.metadata.batch_id, batch.id);
  assert.equal(body.logs[0]!.metadata.custom_id, 'line-1');
  assert.ok(Math.abs(body.logs[0]!.cost_usd! - (20 * 1 + 4 * 2) / 1_000_000) < 1e-12);
});

type Usage = { budgets: Array<{ level: string; spent_usd: number; reserved_usd: number }> };

async function keyBudget(key: string): Promise<{ spent: number; reserved: number }> {
  const answer = (await (await fetch(`${running.url}/v1/usage`, { headers: { authorization: `Bearer ${key}` } })).json()) as Usage;
  const budget = answer.budgets.find((entry) => entry.level === 'key')!;
  return { spent: budget.spent_usd, reserved: budget.reserved_usd };
}

test("a native batch's worst case is held on the key's budget from submission, and settled to the lines' batch-rate cost when a poll sees it done", async () => {
  const carol = client(CAROL);
  const file = await carol.files.create({ file: await toFile(inputFile('gpt-4o-mini', 4, 100), 'held.jsonl'), purpose: 'batch' });
  const start = await keyBudget(CAROL);
  let batch = await carol.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
  const held = await keyBudget(CAROL);
  // Four lines of a few prompt tokens and 100 output tokens each, at the standard rates.
  assert.ok(held.reserved - start.reserved > (4 * 100 * 0.6) / 1_000_000, `held ${held.reserved - start.reserved}`);
  assert.ok(held.reserved - start.reserved < (4 * 200 * 0.6) / 1_000_000, `held ${held.reserved - start.reserved}`);
  while (batch.status !== 'completed') batch = await carol.batches.retrieve(batch.id);
  const settled = await keyBudget(CAROL);
  assert.equal(settled.reserved, start.reserved, 'the hold is given back');
  let logged = 0;
  for (let index = 0; index < 4; index++) {
    const { body } = await adminGet<Page>(running.url, `/admin/logs?request_id=${encodeURIComponent(`${batch.id}-${index}`)}`);
    logged += body.logs[0]!.cost_usd!;
    assert.ok(body.logs[0]!.charged_nano_usd! > 0, 'each line records what it charged');
  }
  assert.ok(Math.abs(settled.spent - start.spent - logged) < 1e-9, `spent ${settled.spent - start.spent}, logged ${logged}`);
});

test('Azure keeps files and runs batches per resource: `<base>/openai/files` and `/openai/batches` with api-version and its api-key', async () => {
  const azureFake = await startFilesFake();
  const azure = await startGateway({
    providers: { azure: { type: 'azure', base_url: azureFake.url, keys: [{ value: 'azure-key-0123456789abcdef' }], models: ['gpt-4o-mini'], options: { api_version: '2024-10-21' }, max_retries: 0 } },
    virtual_keys: [{ id: 'alice', value: ALICE, models: ['*'] }],
  });
  try {
    const alice = new OpenAI({ baseURL: `${azure.url}/v1`, apiKey: ALICE, maxRetries: 0 });
    const file = await alice.files.create({ file: await toFile(inputFile('gpt-4o-mini', 2, 10), 'azure.jsonl'), purpose: 'batch' });
    let batch = await alice.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    while (batch.status !== 'completed') batch = await alice.batches.retrieve(batch.id);
    const output = await (await alice.files.content(batch.output_file_id!)).text();
    assert.equal(output.trim().split('\n').length, 2);
    assert.ok(azureFake.requests.includes('POST /openai/files'));
    assert.ok(azureFake.requests.includes('POST /openai/batches'));
    assert.deepEqual([...azureFake.authorizations], ['api-key azure-key-0123456789abcdef']);
  } finally {
    await azure.close();
    await azureFake.close();
  }
});

test('cancelling a batch the gateway runs stops its pending lines; it ends cancelled with the lines that finished', async () => {
  const alice = client(ALICE);
  fake.chatDelayMs = 50;
  try {
    const file = await alice.files.create({ file: await toFile(inputFile('llama-small', 12, 5), 'cancel.jsonl'), purpose: 'batch', provider: 'gateway' } as unknown as OpenAI.FileCreateParams);
    const before = fake.prompts.length;
    const batch = await alice.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    while (fake.prompts.length === before) await new Promise((resolve) => setTimeout(resolve, 5));
    const cancelling = await alice.batches.cancel(batch.id);
    assert.ok(['cancelling', 'cancelled'].includes(cancelling.status), cancelling.status);
    let ended = cancelling;
    while (ended.status !== 'cancelled') {
      await new Promise((resolve) => setTimeout(resolve, 10));
      ended = await alice.batches.retrieve(batch.id);
    }
    const sent = fake.prompts.length - before;
    assert.ok(sent < 12, `only ${sent} of 12 lines were sent`);
    assert.equal(ended.request_counts!.completed + ended.request_counts!.failed, sent);
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(fake.prompts.length - before, sent, 'no line is sent after the batch is cancelled');
  } finally {
    fake.chatDelayMs = 0;
  }
});

test('a key allowed only the batch\'s model uploads, submits, polls and reads the output of a native batch', async () => {
  const mini = client(MINI);
  const file = await mini.files.create({ file: await toFile(inputFile('gpt-4o-mini', 2, 10), 'mini.jsonl'), purpose: 'batch' });
  assert.equal((await mini.files.retrieve(file.id)).id, file.id);
  let batch = await mini.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
  while (batch.status !== 'completed') batch = await mini.batches.retrieve(batch.id);
  const output = await (await mini.files.content(batch.output_file_id!)).text();
  assert.equal(output.trim().split('\n').length, 2);
});

test('a native batch nobody polls is settled by the background poll once it ends', async () => {
  const pollFake = await startFilesFake();
  const polled = await startGateway({
    admin: { token: ADMIN_TOKEN },
    providers: { openai: { type: 'openai', base_url: `${pollFake.url}/v1`, keys: [{ value: PROVIDER_KEY }], models: ['gpt-4o-mini'], max_retries: 0 } },
    pricing: { 'openai/gpt-4o-mini': { input: 0.15, output: 0.6, batch_input: 0.075, batch_output: 0.3 } },
    batches: { poll_interval_ms: 20 },
    virtual_keys: [{ id: 'alice', value: ALICE, models: ['*'] }],
  });
  try {
    const alice = new OpenAI({ baseURL: `${polled.url}/v1`, apiKey: ALICE, maxRetries: 0 });
    const file = await alice.files.create({ file: await toFile(inputFile('gpt-4o-mini', 2, 10), 'unpolled.jsonl'), purpose: 'batch' });
    const batch = await alice.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    let logged = 0;
    for (let tries = 0; tries < 500 && logged < 2; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      logged = 0;
      for (const index of [0, 1]) logged += (await adminGet<Page>(polled.url, `/admin/logs?request_id=${encodeURIComponent(`${batch.id}-${index}`)}`)).body.total;
    }
    assert.equal(logged, 2, 'both lines were priced and logged without a retrieve');
    assert.ok(pollFake.requests.includes(`GET /v1/batches/${batch.id}`), 'the gateway polled the provider');
    assert.equal((await alice.batches.retrieve(batch.id)).status, 'completed');
  } finally {
    await polled.close();
    await pollFake.close();
  }
});

test("the worst case is checked against every budget of the key: its team's refuses a batch its own would take, and a gateway-run batch too", async () => {
  const teamed = client(TEAMED);
  for (const [model, provider] of [['gpt-4o-mini', 'openai'], ['llama-small', 'local']] as const) {
    const file = await teamed.files.create({ file: await toFile(inputFile(model, 10, 1000), `${provider}.jsonl`), purpose: 'batch', provider } as unknown as OpenAI.FileCreateParams);
    const sent = fake.requests.length;
    const prompts = fake.prompts.length;
    await assert.rejects(teamed.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }), (error: unknown) => {
      assert.ok(error instanceof OpenAI.APIError && error.status === 402, String(error));
      assert.match((error as Error).message, /team "thrifty"/);
      return true;
    });
    assert.equal(fake.requests.length, sent, `${provider}: nothing reached the provider`);
    assert.equal(fake.prompts.length, prompts);
  }
  // Nothing stays held: a batch that fits goes through.
  const small = await teamed.files.create({ file: await toFile(inputFile('gpt-4o-mini', 1, 10), 'small.jsonl'), purpose: 'batch' });
  assert.equal((await teamed.batches.create({ input_file_id: small.id, endpoint: '/v1/chat/completions', completion_window: '24h' })).object, 'batch');
});
