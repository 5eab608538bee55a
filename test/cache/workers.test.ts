import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import OpenAI from 'openai';
import { Agent, request } from 'undici';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { direction, startEmbeddingFake } from './embedding-fake.js';

const VIRTUAL_KEY = 'tg-' + 'cache-workers-' + 'key-0001';
const ADMIN_TOKEN = 'admin-' + 'cache-workers-' + 'token-0001';

/** One connection per call: the primary hands connections to the workers in turn. */
async function onFreshConnection<T>(work: (agent: Agent) => Promise<T>): Promise<T> {
  const agent = new Agent({ connections: 1 });
  try {
    return await work(agent);
  } finally {
    await agent.close();
  }
}

/**
 * `tollgate --workers 2` on a config in a fresh directory: the server, storage on SQLite there, the
 * mock provider, key k1 and `cache` (YAML), with `providers` more provider lines.
 */
async function startWorkers(cache: string, providers: string[] = []): Promise<{ dir: string; cli: RunningCli }> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-cache-workers-'));
  const config = join(dir, 'tollgate.yaml');
  const lines = ['server: { host: 127.0.0.1, port: 0, shutdown_grace_ms: 5000 }', `admin: { token: ${ADMIN_TOKEN} }`, `storage: { type: sqlite, path: ${join(dir, 'tollgate.db')} }`, `cache: ${cache}`, 'providers:', '  mock: { type: mock, models: [mock-small] }', ...providers, 'virtual_keys:', `  - { id: k1, value: ${VIRTUAL_KEY}, models: ['*'] }`, ''];
  await writeFile(config, lines.join('\n'));
  const cli = await startCli(['--config', config, '--port', '0', '--workers', '2']);
  await cli.waitFor(/"msg":"workers started","workers":2/);
  return { dir, cli };
}

/** Asks the mock model `content` on a connection of its own: which worker answered, the cache's word and the answer. */
function askOnce(cli: RunningCli, content: string): Promise<{ worker: string; cache: string | null; text: string | null | undefined }> {
  return onFreshConnection(async (agent) => {
    const client = new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: VIRTUAL_KEY, maxRetries: 0, fetchOptions: { dispatcher: agent } as unknown as NonNullable<ConstructorParameters<typeof OpenAI>[0]>['fetchOptions'] });
    const { data, response } = await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content }] }).withResponse();
    return { worker: response.headers.get('x-tollgate-worker')!, cache: response.headers.get('x-tollgate-cache'), text: data.choices[0]?.message.content };
  });
}

test('`tollgate --workers 2` on the SQLite store: an answer one worker stored hits on the other, and an admin clear on one clears both', async () => {
  const { cli } = await startWorkers('{ enabled: true }');
  try {
    const ask = () => askOnce(cli, 'which worker remembers this?');
    const cacheState = () =>
      onFreshConnection(async (agent) => {
        const response = await request(`${cli.url}/admin/cache`, { dispatcher: agent, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        return { worker: response.headers['x-tollgate-worker'], entries: ((await response.body.json()) as { entries: number }).entries };
      });
    /** Calls `call` on fresh connections until `pick` accepts an answer (the workers take connections in turn). */
    const until = async <T>(call: () => Promise<T>, pick: (answer: T) => boolean): Promise<T> => {
      for (let tries = 0; tries < 40; tries++) {
        const answer = await call();
        if (pick(answer)) return answer;
      }
      assert.fail('no answer from the worker looked for');
    };

    /** Polls the worker other than `worker` (every 20 ms, for at most 5 s) until its store holds `entries`. */
    const otherHolds = async (worker: unknown, entries: number, what: string) => {
      const deadline = Date.now() + 5_000;
      for (;;) {
        const state = await until(cacheState, (answer) => answer.worker !== worker);
        if (state.entries === entries) return;
        if (Date.now() > deadline) assert.fail(`${what}: the other worker still holds ${state.entries} entries`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    const first = await ask();
    assert.equal(first.cache, 'miss');
    // The answer is written within one batch (50 ms) and its news reaches the other worker then.
    await otherHolds(first.worker, 1, 'the news of the stored answer');
    const other = await until(ask, (answer) => answer.worker !== first.worker);
    assert.equal(other.cache, 'hit-exact', 'the other worker hits the answer the first one stored');
    assert.equal(other.text, first.text);
    const again = await until(ask, (answer) => answer.worker === first.worker);
    assert.equal(again.cache, 'hit-exact');

    const cleared = await onFreshConnection(async (agent) => {
      const response = await request(`${cli.url}/admin/cache`, { method: 'DELETE', dispatcher: agent, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return { worker: response.headers['x-tollgate-worker'], body: (await response.body.json()) as { removed: number } };
    });
    assert.equal(cleared.body.removed, 1);
    // The worker that did not take the DELETE forgets the entry too, once the news reaches it.
    await otherHolds(cleared.worker, 0, 'the news of the clear');
    const afterClear = await until(ask, (answer) => answer.worker !== cleared.worker);
    assert.equal(afterClear.cache, 'miss');
  } finally {
    await cli.stop();
  }
});

test('`tollgate --workers 2` with the embedded semantic index: a paraphrase of a prompt one worker stored hits on the other; each worker saves its own index file', async () => {
  // Each topic its own axis of 64: no two topics are alike; a paraphrase of a topic points the same way.
  const vectors = await startEmbeddingFake((text) => direction(Number(/topic (\d+)/.exec(text)?.[1] ?? 0), 1, 64));
  const { dir, cli } = await startWorkers('{ enabled: true, mode: semantic, embedding_model: vectors/embed-sem }', [`  vectors: { type: openai, base_url: '${vectors.url}/v1', keys: [{ value: sk-test-vectors }], models: [embed-sem], max_retries: 0 }`]);
  try {
    const storedBy: string[] = [];
    for (let topic = 0; topic < 40 && (new Set(storedBy).size < 2 || topic < 6); topic++) {
      const answer = await askOnce(cli, `tell me about topic ${topic}`);
      assert.equal(answer.cache, 'miss');
      storedBy.push(answer.worker);
    }
    assert.equal(new Set(storedBy).size, 2, 'both workers stored answers');
    // Once written (its batch, about 50 ms), the other worker finds topic 1 by its meaning.
    await new Promise((resolve) => setTimeout(resolve, 400));
    let paraphrase: Awaited<ReturnType<typeof askOnce>> | undefined;
    for (let tries = 0; tries < 40 && (paraphrase === undefined || paraphrase.worker === storedBy[1]); tries++) paraphrase = await askOnce(cli, `in other words: topic 1, attempt ${tries}`);
    assert.notEqual(paraphrase!.worker, storedBy[1]);
    assert.equal(paraphrase!.cache, 'hit-semantic', 'the worker that did not store topic 1 found it semantically');

    assert.equal(await cli.stop(), 0);
    const indexes = (await readdir(dir)).filter((name) => name.endsWith('.hnsw')).sort();
    assert.equal(indexes.length, 2, `one index per worker: ${indexes.join(', ')}`);
    assert.match(indexes[1]!, /\.w2\.hnsw$/);
    // Each worker's file holds every topic's vector: its own and those it heard of.
    for (const name of indexes) {
      const saved = JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')) as { labels: unknown[] };
      assert.equal(saved.labels.length, storedBy.length, name);
    }
  } finally {
    await cli.stop();
    await vectors.close();
  }
});
