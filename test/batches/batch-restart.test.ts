import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import OpenAI, { toFile } from 'openai';
import { startFilesFake, type FilesFake } from '../fakes/openai-files-fake.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/**
 * A batch the gateway runs survives a restart: the gateway is stopped while lines are still
 * pending, a new one on the same SQLite file resumes the batch, runs only the lines that had not
 * finished, and writes the whole output file.
 */

const ALICE = 'vk-test-' + 'restart-alice';
const LINES = 6;

let fake: FilesFake;
let directory: string;
let running: RunningGateway | undefined;

const config = () => ({
  storage: { type: 'sqlite', path: join(directory, 'gateway.db') },
  providers: { local: { type: 'openai-compatible', base_url: `${fake.url}/v1`, models: ['llama-small'], max_retries: 0 } },
  pricing: { 'local/llama-small': { input: 1, output: 2 } },
  batches: { concurrency: 1 },
  virtual_keys: [{ id: 'alice', value: ALICE, models: ['*'] }],
});

before(async () => {
  fake = await startFilesFake();
  directory = await mkdtemp(join(tmpdir(), 'tollgate-batch-restart-'));
});
after(async () => {
  await running?.close();
  await fake?.close();
  await rm(directory, { recursive: true, force: true });
});

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let tries = 0; tries < 1000; tries++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('a gateway restarted mid-batch finishes the batch without running its finished lines again', async () => {
  fake.chatDelayMs = 60;
  running = await startGateway(config());
  let alice = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: ALICE, maxRetries: 0 });
  const input = Array.from({ length: LINES }, (_, index) => JSON.stringify({ custom_id: `line-${index}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'llama-small', messages: [{ role: 'user', content: `prompt ${index}` }], max_tokens: 10 } })).join('\n');
  const file = await alice.files.create({ file: await toFile(Buffer.from(input), 'input.jsonl'), purpose: 'batch', provider: 'gateway' } as unknown as OpenAI.FileCreateParams);
  const batch = await alice.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
  await until(() => fake.answered.length >= 2, 'two lines answered');
  await running.close();
  running = undefined;

  // What the stopped gateway had stored as finished.
  const db = new Database(join(directory, 'gateway.db'), { readonly: true });
  const finished = (db.prepare("select custom_id from tollgate_batch_lines where batch_id = ? and state = 'done'").all(batch.id) as Array<{ custom_id: string }>).map((row) => row.custom_id);
  db.close();
  assert.ok(finished.length >= 1 && finished.length < LINES, `stopped mid-batch with ${finished.length} lines done`);

  fake.chatDelayMs = 0;
  running = await startGateway(config());
  alice = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: ALICE, maxRetries: 0 });
  let resumed = await alice.batches.retrieve(batch.id);
  await until(async () => (resumed = await alice.batches.retrieve(batch.id)).status === 'completed', 'the batch to complete');
  assert.deepEqual(resumed.request_counts, { total: LINES, completed: LINES, failed: 0 });
  for (const customId of finished) {
    const prompt = `prompt ${customId.slice('line-'.length)}`;
    assert.equal(fake.prompts.filter((seen) => seen === prompt).length, 1, `${customId}, finished before the restart, was not sent again`);
  }
  const output = await (await alice.files.content(resumed.output_file_id!)).text();
  const ids = output.trim().split('\n').map((line) => (JSON.parse(line) as { custom_id: string }).custom_id);
  assert.deepEqual(ids, Array.from({ length: LINES }, (_, index) => `line-${index}`));
});
