import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { startAnthropicFake } from '../fakes/anthropic-fake.js';
import type { FakeUpstream } from '../fakes/fake-upstream.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { freshSchema } from '../observability/postgres.js';

/** Made-up virtual keys, split so that secret scanners do not take them for real ones. */
const ALICE = 'vk-test-' + 'alice-stored';
const BOB = 'vk-test-' + 'bob-stored';
/** A made-up AES-256 key (32 bytes, base64). */
const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

/** Where the gateway under test keeps its responses, and how to read its rows behind its back. */
interface Backend {
  storage: Record<string, unknown>;
  /** The stored row's two content columns, as the database holds them. */
  rawRow(id: string): Promise<{ response: string; input_items: string } | undefined>;
  cleanup(): Promise<void>;
}

const BACKENDS: Record<string, () => Promise<Backend>> = {
  sqlite: async () => {
    const directory = await mkdtemp(join(tmpdir(), 'tollgate-responses-'));
    const path = join(directory, 'gateway.db');
    return {
      storage: { type: 'sqlite', path },
      rawRow: async (id) => {
        const db = new Database(path, { readonly: true });
        try {
          return db.prepare('select response, input_items from stored_responses where id = ?').get(id) as { response: string; input_items: string } | undefined;
        } finally {
          db.close();
        }
      },
      cleanup: () => rm(directory, { recursive: true, force: true }),
    };
  },
  postgres: async () => {
    const schema = await freshSchema('responses');
    return {
      storage: { type: 'postgres', url: schema.url },
      rawRow: async (id) => (await schema.admin.query(`select response, input_items from ${schema.name}.stored_responses where id = $1`, [id])).rows[0],
      cleanup: () => schema.drop(),
    };
  },
};

function isNotFound(error: unknown): boolean {
  assert.ok(error instanceof OpenAI.NotFoundError, `expected a 404, got ${String(error)}`);
  assert.equal(error.code, 'response_not_found');
  assert.equal(error.type, 'not_found_error');
  return true;
}

/** Polls a background response until it leaves `queued`/`in_progress` (bounded by count, not time). */
async function settled(client: OpenAI, id: string): Promise<OpenAI.Responses.Response> {
  for (let round = 0; round < 500; round++) {
    const response = await client.responses.retrieve(id);
    if (response.status !== 'queued' && response.status !== 'in_progress') return response;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`response ${id} never settled`);
}

for (const [name, open] of Object.entries(BACKENDS)) {
  describe(`stored responses on ${name}`, () => {
    let backend: Backend;
    let anthropic: FakeUpstream;
    let openai: FakeUpstream;
    let running: RunningGateway;
    let alice: OpenAI;
    let bob: OpenAI;

    before(async () => {
      backend = await open();
      anthropic = await startAnthropicFake();
      openai = await startOpenAIFake();
      running = await startGateway({
        storage: backend.storage,
        providers: {
          claude: { type: 'anthropic', base_url: anthropic.url, keys: [{ value: 'test-key-anthropic' }], models: ['claude-sonnet-4-5'], max_retries: 0 },
          gpt: { type: 'openai', base_url: `${openai.url}/v1`, keys: [{ value: 'test-key-openai' }], models: ['gpt-4o'], max_retries: 0 },
        },
        virtual_keys: [
          { id: 'alice', value: ALICE, models: ['*'] },
          { id: 'bob', value: BOB, models: ['*'] },
        ],
        responses: { encryption_key: ENCRYPTION_KEY },
      });
      alice = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: ALICE, maxRetries: 0 });
      bob = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: BOB, maxRetries: 0 });
    });

    after(async () => {
      await running.close();
      await anthropic.close();
      await openai.close();
      await backend.cleanup();
    });

    test('previous_response_id continues on another provider: the second upstream receives the whole conversation', async () => {
      anthropic.enqueue({ text: 'Nice to meet you, Ada.', usage: { input: 10, output: 6 } });
      const first = await alice.responses.create({ model: 'claude/claude-sonnet-4-5', input: 'My name is Ada.', instructions: 'Be brief.' });
      assert.match(first.id, /^resp_[0-9a-f]{48}$/);
      assert.equal((first as unknown as { store: boolean }).store, true);
      assert.equal(first.output_text, 'Nice to meet you, Ada.');

      openai.enqueue({ text: 'Your name is Ada.', usage: { input: 20, output: 5 } });
      const second = await alice.responses.create({ model: 'gpt/gpt-4o', input: 'What is my name?', previous_response_id: first.id });
      assert.equal(second.output_text, 'Your name is Ada.');
      assert.equal(second.previous_response_id, first.id);
      assert.notEqual(second.id, first.id);

      const seen = openai.requests[openai.requests.length - 1]!.summary!;
      // Instructions are not carried into later turns (as at OpenAI); every turn of the conversation is.
      assert.equal(seen.system, undefined);
      assert.deepEqual(
        seen.messages.map((message) => [message.role, message.text]),
        [
          ['user', 'My name is Ada.'],
          ['assistant', 'Nice to meet you, Ada.'],
          ['user', 'What is my name?'],
        ],
      );

      // A third turn back on Anthropic gets all of it again.
      anthropic.enqueue({ text: 'You asked my name.' });
      await alice.responses.create({ model: 'claude/claude-sonnet-4-5', input: 'What did I ask?', previous_response_id: second.id });
      const third = anthropic.requests[anthropic.requests.length - 1]!.summary!;
      assert.deepEqual(third.messages.map((message) => message.text), ['My name is Ada.', 'Nice to meet you, Ada.', 'What is my name?', 'Your name is Ada.', 'What did I ask?']);

      // retrieve gives back the response as created.
      const retrieved = await alice.responses.retrieve(second.id);
      assert.equal(retrieved.id, second.id);
      assert.equal(retrieved.status, 'completed');
      assert.equal(retrieved.output_text, 'Your name is Ada.');
      assert.equal(retrieved.previous_response_id, first.id);
      assert.equal(retrieved.usage!.output_tokens, 5);

      // input_items: the conversation the response answered, newest first by default, paged.
      const items = await alice.responses.inputItems.list(second.id);
      const texts = (item: OpenAI.Responses.ResponseItem) => (item.type === 'message' ? item.content.map((part) => ('text' in part ? part.text : '')).join('') : item.type);
      assert.deepEqual(items.data.map(texts), ['What is my name?', 'Nice to meet you, Ada.', 'My name is Ada.']);
      const firstPage = await alice.responses.inputItems.list(second.id, { order: 'asc', limit: 2 });
      assert.deepEqual(firstPage.data.map(texts), ['My name is Ada.', 'Nice to meet you, Ada.']);
      assert.equal(firstPage.has_more, true);
      const secondPage = await alice.responses.inputItems.list(second.id, { order: 'asc', limit: 2, after: firstPage.data[1]!.id });
      assert.deepEqual(secondPage.data.map(texts), ['What is my name?']);
      assert.equal(secondPage.has_more, false);
      await assert.rejects(fetch(`${running.url}/v1/responses/${second.id}/input_items?limit=500`, { headers: { authorization: `Bearer ${ALICE}` } }).then(async (answer) => {
        assert.equal(answer.status, 400);
        throw new Error(((await answer.json()) as { error: { param: string } }).error.param);
      }), /limit/);
    });

    test('another key gets 404 for every route and for previous_response_id, never 403', async () => {
      anthropic.enqueue({ text: 'Private answer.' });
      const mine = await alice.responses.create({ model: 'claude/claude-sonnet-4-5', input: 'Private question.' });
      await assert.rejects(bob.responses.retrieve(mine.id), isNotFound);
      await assert.rejects(bob.responses.inputItems.list(mine.id), isNotFound);
      await assert.rejects(bob.responses.delete(mine.id), isNotFound);
      await assert.rejects(bob.responses.cancel(mine.id), isNotFound);
      const before = anthropic.requests.length;
      await assert.rejects(bob.responses.create({ model: 'claude/claude-sonnet-4-5', input: 'Continue.', previous_response_id: mine.id }), (error: unknown) => {
        isNotFound(error);
        assert.equal((error as InstanceType<typeof OpenAI.NotFoundError>).param, 'previous_response_id');
        return true;
      });
      assert.equal(anthropic.requests.length, before, 'nothing was sent upstream');
      // Still there for its owner; a missing key is refused before anything is looked up.
      assert.equal((await alice.responses.retrieve(mine.id)).output_text, 'Private answer.');
      const anonymous = await fetch(`${running.url}/v1/responses/${mine.id}`);
      assert.equal(anonymous.status, 401);
      // Each route is a request like any other: logged with its key and outcome.
      const lines = running.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.path === `/v1/responses/${mine.id}`);
      assert.ok(lines.some((line) => line.status === 404 && line.virtual_key_id === 'bob' && line.method === 'GET'));
      assert.ok(lines.some((line) => line.status === 200 && line.virtual_key_id === 'alice'));
      assert.ok(lines.some((line) => line.status === 401));
    });

    test('store: false is not kept; delete removes a stored one', async () => {
      anthropic.enqueue({ text: 'Ephemeral.' });
      const ephemeral = await alice.responses.create({ model: 'claude/claude-sonnet-4-5', input: 'Do not keep this.', store: false });
      assert.equal((ephemeral as unknown as { store: boolean }).store, false);
      await assert.rejects(alice.responses.retrieve(ephemeral.id), isNotFound);
      await assert.rejects(alice.responses.create({ model: 'gpt/gpt-4o', input: 'Go on.', previous_response_id: ephemeral.id }), isNotFound);

      anthropic.enqueue({ text: 'Kept.' });
      const kept = await alice.responses.create({ model: 'claude/claude-sonnet-4-5', input: 'Keep this.' });
      const deleted = await fetch(`${running.url}/v1/responses/${kept.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ALICE}` } });
      assert.equal(deleted.status, 200);
      assert.deepEqual(await deleted.json(), { id: kept.id, object: 'response.deleted', deleted: true });
      await assert.rejects(alice.responses.retrieve(kept.id), isNotFound);
      await assert.rejects(alice.responses.delete(kept.id), isNotFound);
    });

    test('a streamed response is stored once the stream completes, and can be continued', async () => {
      anthropic.enqueue({ text: 'Streamed answer.' });
      const stream = alice.responses.stream({ model: 'claude/claude-sonnet-4-5', input: 'Stream to me.' });
      const final = await stream.finalResponse();
      assert.match(final.id, /^resp_[0-9a-f]{48}$/);
      const retrieved = await alice.responses.retrieve(final.id);
      assert.equal(retrieved.status, 'completed');
      assert.equal(retrieved.output_text, 'Streamed answer.');
      assert.deepEqual(retrieved.output.map((item) => item.id), final.output.map((item) => item.id));

      openai.enqueue({ text: 'Continued.' });
      await alice.responses.create({ model: 'gpt/gpt-4o', input: 'And then?', previous_response_id: final.id, stream: true }).then(async (events) => {
        for await (const _ of events) void _;
      });
      const seen = openai.requests[openai.requests.length - 1]!.summary!;
      assert.deepEqual(seen.messages.map((message) => message.text), ['Stream to me.', 'Streamed answer.', 'And then?']);
    });

    test('background: answered queued at once, run and stored; cancel stops a running one', async () => {
      anthropic.enqueue({ text: 'Done in the background.' });
      const queued = await alice.responses.create({ model: 'claude/claude-sonnet-4-5', input: 'Work on this.', background: true });
      assert.equal(queued.status, 'queued');
      assert.equal(queued.background, true);
      const done = await settled(alice, queued.id);
      assert.equal(done.status, 'completed');
      assert.equal(done.output_text, 'Done in the background.');

      // A slow upstream: the cancel marks it cancelled and stops the upstream call.
      anthropic.enqueue({ text: 'Too late.', delayMs: 30_000 });
      const abortedBefore = anthropic.aborted;
      const slow = await alice.responses.create({ model: 'claude/claude-sonnet-4-5', input: 'Take your time.', background: true });
      const cancelled = await alice.responses.cancel(slow.id);
      assert.equal(cancelled.status, 'cancelled');
      assert.equal((await alice.responses.retrieve(slow.id)).status, 'cancelled');
      for (let round = 0; anthropic.aborted === abortedBefore && round < 500; round++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(anthropic.aborted, abortedBefore + 1, 'the upstream request was aborted');
      assert.equal((await alice.responses.retrieve(slow.id)).status, 'cancelled');

      // A background response whose provider fails is stored as failed, with the error.
      anthropic.enqueue({ error: { status: 400, message: 'prompt is too long' } });
      const failing = await alice.responses.create({ model: 'claude/claude-sonnet-4-5', input: 'Fail, please.', background: true });
      const failed = await settled(alice, failing.id);
      assert.equal(failed.status, 'failed');
      assert.match(failed.error!.message, /prompt is too long/);

      // A finished background response is left as it finished; only background responses can be cancelled.
      assert.equal((await alice.responses.cancel(done.id)).status, 'completed');
      anthropic.enqueue({ text: 'Foreground.' });
      const foreground = await alice.responses.create({ model: 'claude/claude-sonnet-4-5', input: 'Now.' });
      await assert.rejects(alice.responses.cancel(foreground.id), (error: unknown) => {
        assert.ok(error instanceof OpenAI.BadRequestError);
        assert.equal(error.code, 'response_not_cancellable');
        return true;
      });
    });

    test('content is encrypted at rest: the stored row holds no plaintext, and reads back', async () => {
      const secret = `plaintext-marker-${randomBytes(6).toString('hex')}`;
      anthropic.enqueue({ text: `Echo ${secret}` });
      const response = await alice.responses.create({ model: 'claude/claude-sonnet-4-5', input: `Remember ${secret}` });
      const row = await backend.rawRow(response.id);
      assert.ok(row !== undefined);
      assert.ok(!row.response.includes(secret) && !row.input_items.includes(secret));
      assert.match(row.response, /^aes256gcm:/);
      assert.match(row.input_items, /^aes256gcm:/);
      assert.equal((await alice.responses.retrieve(response.id)).output_text, `Echo ${secret}`);
    });

    test('hostile ids and parameters get clear errors, nothing is looked up for an absurd id', async () => {
      const long = `resp_${'a'.repeat(100_000)}`;
      await assert.rejects(alice.responses.create({ model: 'claude/claude-sonnet-4-5', input: 'x', previous_response_id: long }), isNotFound);
      const odd = await fetch(`${running.url}/v1/responses/${encodeURIComponent("resp_' or 1=1 --")}`, { headers: { authorization: `Bearer ${ALICE}` } });
      assert.equal(odd.status, 404);
      for (const query of ['order=sideways', 'limit=0', 'limit=abc']) {
        const answer = await fetch(`${running.url}/v1/responses/resp_x/input_items?${query}`, { headers: { authorization: `Bearer ${ALICE}` } });
        assert.equal(answer.status, 400, query);
        assert.equal(((await answer.json()) as { error: { code: string } }).error.code, 'invalid_request');
      }
      await assert.rejects(alice.responses.create({ model: 'claude/claude-sonnet-4-5', input: 'x', background: true, store: false }), (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === 'store');
      await assert.rejects(alice.responses.create({ model: 'claude/claude-sonnet-4-5', input: 'x', background: true, stream: true }), (error: unknown) => error instanceof OpenAI.BadRequestError && error.param === 'stream');
    });

    test('the routes are served under /openai/v1 too', async () => {
      anthropic.enqueue({ text: 'Prefixed.' });
      const prefixed = new OpenAI({ baseURL: `${running.url}/openai/v1`, apiKey: ALICE, maxRetries: 0 });
      const created = await prefixed.responses.create({ model: 'claude/claude-sonnet-4-5', input: 'Prefixed?' });
      assert.equal((await prefixed.responses.retrieve(created.id)).output_text, 'Prefixed.');
      await prefixed.responses.delete(created.id);
      await assert.rejects(prefixed.responses.retrieve(created.id), isNotFound);
    });
  });
}

describe('stored responses without virtual keys (memory storage)', () => {
  test('every caller shares the anonymous owner; store_default: false stores only what asks for it', async () => {
    const running = await startGateway({ providers: { mock: { type: 'mock', models: ['mock-small'] } }, responses: { store_default: false } });
    try {
      const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const unasked = await client.responses.create({ model: 'mock/mock-small', input: 'not kept' });
      await assert.rejects(client.responses.retrieve(unasked.id), isNotFound);
      const asked = await client.responses.create({ model: 'mock/mock-small', input: 'kept', store: true });
      assert.match((await client.responses.retrieve(asked.id)).output_text, /kept$/);
      const next = await client.responses.create({ model: 'mock/mock-small', input: 'and more', previous_response_id: asked.id });
      // The mock echoes the last user message; the conversation it saw had three messages.
      assert.match(next.output_text, /and more$/);
      assert.equal((await client.responses.inputItems.list(asked.id)).data.length, 1);
    } finally {
      await running.close();
    }
  });
});
