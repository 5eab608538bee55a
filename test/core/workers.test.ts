import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import OpenAI from 'openai';
import { Agent, request } from 'undici';
import WebSocket from 'ws';
import { parseCliArguments } from '../../src/cli/arguments.js';
import { startCli } from '../helpers/cli.js';

const VIRTUAL_KEY = 'tg-' + 'workers-test-' + 'key-0001';
const ADMIN_TOKEN = 'admin-' + 'workers-test-' + 'token-0001';

/** A config file in a fresh directory: the admin API, the request log on SQLite there, the mock provider and key k1 (with `limits`, YAML, when given). */
async function workersConfig(limits?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-workers-'));
  const config = join(dir, 'tollgate.yaml');
  await writeFile(
    config,
    [
      'server: { host: 127.0.0.1, port: 0, shutdown_grace_ms: 5000 }',
      `admin: { token: ${ADMIN_TOKEN} }`,
      `storage: { type: sqlite, path: ${join(dir, 'tollgate.db')} }`,
      'providers:',
      '  mock: { type: mock, models: [mock-small] }',
      'virtual_keys:',
      `  - { id: k1, value: ${VIRTUAL_KEY}, models: ['*']${limits === undefined ? '' : `, ${limits}`} }`,
      '',
    ].join('\n'),
  );
  return config;
}

test('--workers parses a count, `auto` and a bare flag (one per core); no flag keeps one process', () => {
  assert.equal(parseCliArguments(['--config', 'x.yaml']).workers, undefined);
  assert.equal(parseCliArguments(['--workers', '3', '--config', 'x.yaml']).workers, 3);
  assert.equal(parseCliArguments(['--workers=2']).workers, 2);
  assert.equal(parseCliArguments(['--workers', 'auto'], 6).workers, 6);
  assert.equal(parseCliArguments(['--workers', '--config', 'x.yaml'], 4).workers, 4);
  assert.equal(parseCliArguments(['--config', 'x.yaml', '--workers'], 2).workers, 2);
  assert.throws(() => parseCliArguments(['--workers', '0']), /--workers must be auto or an integer/);
  assert.throws(() => parseCliArguments(['--workers', 'many']), /--workers must be auto or an integer/);
});

test('`tollgate --workers 2`: both workers answer on one port, one rate limit for the machine, /metrics sums the workers, the request log holds every worker\'s records, a dead worker is replaced, SIGTERM drains and exits 0', async () => {
  const config = await workersConfig("rate_limits: { requests: { max: 10, period: 1d } }");
  const cli = await startCli(['--config', config, '--port', '0', '--workers', '2']);
  try {
    await cli.waitFor(/"msg":"workers started","workers":2/);
    // One connection per request: the primary hands connections to the workers in turn.
    const ask = async () => {
      const agent = new Agent({ connections: 1 });
      try {
        const client = new OpenAI({ baseURL: `${cli.url}/v1`, apiKey: VIRTUAL_KEY, maxRetries: 0, fetchOptions: { dispatcher: agent } as unknown as NonNullable<ConstructorParameters<typeof OpenAI>[0]>["fetchOptions"] });
        const { data, response } = await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
        return { status: 200, worker: response.headers.get('x-tollgate-worker'), text: data.choices[0]?.message.content };
      } catch (error) {
        if (!(error instanceof OpenAI.APIError)) throw error;
        return { status: error.status, worker: error.headers?.get('x-tollgate-worker') ?? null, code: (error.error as { code?: string } | undefined)?.code };
      } finally {
        await agent.close();
      }
    };
    const answers = await Promise.all(Array.from({ length: 16 }, ask));
    const workers = new Set(answers.map((answer) => answer.worker));
    assert.equal(workers.size, 2, `answers from two worker pids: ${[...workers].join(', ')}`);
    assert.ok([...workers].every((pid) => pid !== null && /^\d+$/.test(pid) && Number(pid) !== cli.child.pid));
    // The limit is counted once for the machine (the ledger lives in the primary), not per worker.
    // (A day's window: a minute's could roll over while a loaded machine serves the sixteen.)
    assert.equal(answers.filter((answer) => answer.status === 200).length, 10);
    assert.deepEqual(new Set(answers.filter((answer) => answer.status !== 200).map((answer) => `${answer.status} ${answer.code}`)), new Set(['429 rate_limit_exceeded']));

    // /metrics, asked of whichever worker: every worker's requests, summed.
    const metrics = await (await request(`${cli.url}/metrics`)).body.text();
    const total = [...metrics.matchAll(/^tollgate_requests_total\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    assert.equal(total, 16, metrics);
    const ok = /^tollgate_requests_total\{[^}]*status="200"[^}]*\} (\d+)$/m.exec(metrics);
    assert.equal(Number(ok?.[1]), 10);
    const durationCount = [...metrics.matchAll(/^tollgate_request_duration_seconds_count\{[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    assert.equal(durationCount, 16, 'histogram counts are summed too');

    // The request log on the SQLite file has every worker's records, written by the primary alone.
    let logged = 0;
    for (let tries = 0; logged < 16 && tries < 100; tries++) {
      if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      const page = (await (await request(`${cli.url}/admin/logs?limit=100`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).body.json()) as { total: number };
      logged = page.total;
    }
    assert.equal(logged, 16);

    // A worker that dies is replaced.
    const victim = Number([...workers][0]);
    process.kill(victim, 'SIGKILL');
    await cli.waitFor(new RegExp(`"msg":"worker died; starting another","pid":${victim}`));
    await cli.waitFor(/"msg":"listening"[\s\S]*"msg":"listening"[\s\S]*"msg":"worker died[\s\S]*"msg":"listening"/);
    const after = await (await request(`${cli.url}/health`)).body.json();
    assert.equal((after as { status: string }).status, 'ok');
  } finally {
    const code = await cli.stop();
    assert.equal(code, 0, cli.output());
  }
  assert.match(cli.output(), /"msg":"all workers stopped","exit_code":0/);
});

test('`tollgate --workers 2`: a live-tail watcher connected to one worker sees the records of every worker, and a second watcher on the other worker too', async () => {
  const config = await workersConfig();
  const cli = await startCli(['--config', config, '--port', '0', '--workers', '2']);
  const sockets: WebSocket[] = [];
  try {
    await cli.waitFor(/"msg":"workers started","workers":2/);
    // One connection each: the primary hands connections to the workers in turn, so two watchers land on both.
    const watch = async (): Promise<Set<string>> => {
      const socket = new WebSocket(`${cli.url.replace('http:', 'ws:')}/admin/logs/tail`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      sockets.push(socket);
      const ids = new Set<string>();
      socket.on('message', (data) => ids.add((JSON.parse(String(data)) as { request_id: string }).request_id));
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      return ids;
    };
    const watchers = [await watch(), await watch()];
    // The primary has every worker share its records once it hears of a watcher: give the notice its hop.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const ask = async () => {
      const response = await request(`${cli.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${VIRTUAL_KEY}`, 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hello' }] }),
      });
      await response.body.text();
      assert.equal(response.statusCode, 200);
      return { id: String(response.headers['x-request-id']), worker: String(response.headers['x-tollgate-worker']) };
    };
    const answers = await Promise.all(Array.from({ length: 12 }, ask));
    assert.equal(new Set(answers.map((answer) => answer.worker)).size, 2, 'both workers served requests');
    for (const [index, seen] of watchers.entries()) {
      for (let tries = 0; tries < 50 && !answers.every((answer) => seen.has(answer.id)); tries++) await new Promise((resolve) => setTimeout(resolve, 100));
      const missing = answers.filter((answer) => !seen.has(answer.id));
      assert.deepEqual(missing, [], `watcher ${index + 1} saw every worker's requests`);
    }
  } finally {
    for (const socket of sockets) socket.terminate();
    const code = await cli.stop();
    assert.equal(code, 0, cli.output());
  }
});
