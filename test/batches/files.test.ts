import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { startFilesFake, type FilesFake } from '../fakes/openai-files-fake.js';
import type { RequestRecord } from '../../src/observability/log/request-record.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { ADMIN_TOKEN, adminGet } from '../observability/admin-client.js';

/**
 * OpenAI's Files API through the gateway, driven by the official SDK: uploads streamed to an
 * OpenAI-dialect fake (or kept by the gateway), listed, read and deleted; each file visible only to
 * the key that uploaded it (and its team, where shared), every answer carrying `x-tollgate-cost`.
 */

const PROVIDER_KEY = 'sk-proj-' + 'filesProviderKey0123456789abcdef';
const ALICE = 'vk-test-' + 'files-alice';
const BOB = 'vk-test-' + 'files-bob';

let fake: FilesFake;
let running: RunningGateway;

before(async () => {
  fake = await startFilesFake();
  running = await startGateway({
    admin: { token: ADMIN_TOKEN },
    providers: {
      openai: { type: 'openai', base_url: `${fake.url}/v1`, keys: [{ value: PROVIDER_KEY }], models: ['gpt-4o-mini'], max_retries: 0 },
      local: { type: 'openai-compatible', base_url: `${fake.url}/v1`, models: ['llama'], max_retries: 0 },
    },
    teams: [{ id: 'research' }],
    virtual_keys: [
      { id: 'alice', value: ALICE, models: ['*'], team: 'research' },
      { id: 'bob', value: BOB, models: ['*'] },
    ],
  });
});
after(async () => {
  await running?.close();
  await fake?.close();
});

const client = (key: string, prefix = '/v1'): OpenAI => new OpenAI({ baseURL: `${running.url}${prefix}`, apiKey: key, maxRetries: 0 });

const JSONL = Buffer.from('{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}}\n');

test('a file uploaded through the gateway is stored at the provider, listed, read back byte for byte and deleted', async () => {
  const alice = client(ALICE);
  const created = await alice.files.create({ file: await toFile(JSONL, 'input.jsonl'), purpose: 'batch' }).withResponse();
  assert.match(created.data.id, /^file-/);
  // Each call is a request of the log, operation `files`, at no cost.
  const { body: logged } = await adminGet<{ logs: RequestRecord[]; total: number }>(running.url, `/admin/logs?request_id=${encodeURIComponent(created.response.headers.get('x-request-id')!)}`);
  assert.equal(logged.logs[0]?.operation, 'files');
  assert.equal(logged.logs[0]?.virtual_key_id, 'alice');
  assert.equal(logged.logs[0]?.cost_usd, 0);
  assert.equal(created.data.bytes, JSONL.length);
  assert.equal(created.response.headers.get('x-tollgate-cost'), '0');
  assert.equal(created.response.headers.get('x-tollgate-provider'), 'openai');
  assert.ok(fake.requests.includes('POST /v1/files'), 'the upload reached the provider');
  assert.deepEqual([...fake.authorizations], [`Bearer ${PROVIDER_KEY}`], 'the provider saw its own key, never the virtual key');

  const listed = await alice.files.list().withResponse();
  assert.ok(listed.data.data.some((file) => file.id === created.data.id));
  assert.equal(listed.response.headers.get('x-tollgate-cost'), '0');

  const retrieved = await alice.files.retrieve(created.data.id);
  assert.equal(retrieved.id, created.data.id);
  const content = await alice.files.content(created.data.id);
  assert.equal(content.headers.get('x-tollgate-cost'), '0');
  assert.deepEqual(Buffer.from(await content.arrayBuffer()), JSONL);

  const deleted = await alice.files.delete(created.data.id);
  assert.equal(deleted.deleted, true);
  assert.ok(fake.requests.includes(`DELETE /v1/files/${created.data.id}`));
  await assert.rejects(alice.files.retrieve(created.data.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
});

test('another key gets 404 for a file and does not see it in lists; the provider is never asked', async () => {
  const created = await client(ALICE).files.create({ file: await toFile(JSONL, 'mine.jsonl'), purpose: 'batch' });
  const bob = client(BOB);
  const before = fake.requests.length;
  for (const call of [() => bob.files.retrieve(created.id), () => bob.files.content(created.id), () => bob.files.delete(created.id)]) {
    await assert.rejects(call(), (error: unknown) => error instanceof OpenAI.NotFoundError && (error.headers?.get('x-tollgate-cost') ?? '') === '0');
  }
  assert.equal(fake.requests.length, before, 'no request about the file reached the provider');
  const listed = await bob.files.list();
  assert.ok(!listed.data.some((file) => file.id === created.id));
  // Still there for its owner.
  assert.equal((await client(ALICE).files.retrieve(created.id)).id, created.id);
});

test('the gateway keeps a file itself when asked (provider field `gateway`), under /openai/v1 too', async () => {
  const alice = client(ALICE, '/openai/v1');
  const before = fake.requests.length;
  const created = await alice.files.create({ file: await toFile(JSONL, 'kept.jsonl'), purpose: 'batch', provider: 'gateway' } as unknown as OpenAI.FileCreateParams).withResponse();
  assert.match(created.data.id, /^file-tg/);
  assert.equal(created.response.headers.get('x-tollgate-cost'), '0');
  assert.equal(fake.requests.length, before, 'the provider never saw it');
  const content = await alice.files.content(created.data.id);
  assert.deepEqual(Buffer.from(await content.arrayBuffer()), JSONL);
  await assert.rejects(client(BOB).files.content(created.data.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
  assert.equal((await alice.files.delete(created.data.id)).deleted, true);
  await assert.rejects(alice.files.content(created.data.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
});

test('an upload to a provider that keeps no files is kept by the gateway', async () => {
  const created = await fetch(`${running.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${ALICE}`, 'x-tollgate-provider': 'local' }, body: formOf('batch') });
  assert.equal(created.status, 200);
  assert.equal(created.headers.get('x-tollgate-cost'), '0');
  const file = (await created.json()) as { id: string };
  assert.match(file.id, /^file-tg/);
});

test('an upload without a purpose is refused in OpenAI\'s envelope', async () => {
  const answer = await fetch(`${running.url}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${ALICE}` }, body: formOf(undefined) });
  assert.equal(answer.status, 400);
  assert.equal(answer.headers.get('x-tollgate-cost'), '0');
  const body = (await answer.json()) as { error: { param: string } };
  assert.equal(body.error.param, 'purpose');
});

function formOf(purpose: string | undefined): FormData {
  const form = new FormData();
  if (purpose !== undefined) form.append('purpose', purpose);
  form.append('file', new Blob([JSONL]), 'input.jsonl');
  return form;
}

test('with files.share_with_team, a key sees, reads and deletes its team\'s files; a key of no team still does not', async () => {
  const shared = await startGateway({
    providers: { local: { type: 'openai-compatible', base_url: `${fake.url}/v1`, models: ['llama'], max_retries: 0 } },
    files: { share_with_team: true },
    teams: [{ id: 'research' }],
    virtual_keys: [
      { id: 'alice', value: ALICE, models: ['*'], team: 'research' },
      { id: 'carol', value: 'vk-test-files-carol', models: ['*'], team: 'research' },
      { id: 'bob', value: BOB, models: ['*'] },
    ],
  });
  try {
    const at = (key: string) => new OpenAI({ baseURL: `${shared.url}/v1`, apiKey: key, maxRetries: 0 });
    const created = await at(ALICE).files.create({ file: await toFile(JSONL, 'team.jsonl'), purpose: 'batch' });
    const carol = at('vk-test-files-carol');
    assert.ok((await carol.files.list()).data.some((file) => file.id === created.id));
    assert.deepEqual(Buffer.from(await (await carol.files.content(created.id)).arrayBuffer()), JSONL);
    await assert.rejects(at(BOB).files.retrieve(created.id), (error: unknown) => error instanceof OpenAI.NotFoundError);
    assert.equal((await carol.files.delete(created.id)).deleted, true);
  } finally {
    await shared.close();
  }
});

test("an upstream error quoting the provider's key reaches the caller without the key", async () => {
  const answer = await client(ALICE)
    .files.create({ file: await toFile(JSONL, 'leak.jsonl'), purpose: 'batch' })
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  assert.ok(answer instanceof OpenAI.BadRequestError, String(answer));
  assert.match(answer.message, /rejected for/);
  assert.ok(!answer.message.includes(PROVIDER_KEY), answer.message);
  assert.ok(!running.logs.some((line) => line.includes(PROVIDER_KEY)), 'nor in the logs');
});
