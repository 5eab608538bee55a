import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import { UNLOGGED_AFTER_MS } from '../../src/governance/spend-store.js';
import { REDIS_URL } from '../governance/redis.js';
import { streamingLoad } from '../helpers/streaming-load.js';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { ADMIN_TOKEN, sharedState } from './replicas.js';

/**
 * Three replica processes on one PostgreSQL schema and one Redis ledger under streaming load; one is
 * killed with SIGKILL mid-load. What it had settled is in the shared ledger; what it logged is in the
 * shared request log; reconciliation (`GET /admin/reconcile` on a survivor) must find every budget
 * window of the key agreeing with the log, or the difference explained — nothing else lost.
 */

const KEY = 'vk-test-' + 'replica-crash';

function config(storageUrl: string, keyPrefix: string): string {
  // A token costs 2⁻⁶ USD, so sums are exact in binary floating point.
  return JSON.stringify({
    storage: { type: 'postgres', url: storageUrl },
    admin: { token: ADMIN_TOKEN },
    providers: { mock: { type: 'mock', models: ['slow'], mock: { chunk_interval_ms: 3, reply: 'one two three four five six seven eight nine ten', output_tokens: 10 } } },
    pricing: { 'mock/slow': { input: 15625, output: 15625 } },
    virtual_keys: [{ id: 'crash', value: KEY, models: ['*'], budgets: [{ max_usd: 1000000 }, { period: '1M', max_usd: 1000000 }] }],
    observability: { request_log: true, flush_interval_ms: 50 },
    governance: { spend_store: { type: 'redis', url: REDIS_URL, key_prefix: keyPrefix }, flush_interval_ms: 1000 },
  });
}

const load = (url: string, workers: number) => streamingLoad(url, KEY, workers);

interface ReconcileReport {
  ok: boolean;
  checked: number;
  differences: unknown[];
  explained: { unlogged_requests: number }[];
}

test('a replica killed mid-load loses nothing reconciliation cannot explain (PostgreSQL storage, Redis ledger)', async () => {
  const shared = await sharedState();
  const directory = await mkdtemp(join(tmpdir(), 'tollgate-replica-crash-'));
  const file = join(directory, 'tollgate.json');
  await writeFile(file, config(shared.storageUrl, shared.keyPrefix));
  const replicas: RunningCli[] = [];
  try {
    for (let index = 0; index < 3; index++) replicas.push(await startCli(['--config', file, '--port', '0'], { cwd: directory }));
    const traffic = replicas.map((replica) => load(replica.url, 4));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    replicas[0]!.child.kill('SIGKILL');
    await replicas[0]!.exited;
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const each of traffic) each.stop();
    const answered = await Promise.all(traffic.map((each) => each.done));
    assert.ok(answered.every((count) => count > 0), `every replica served: ${answered.join(', ')}`);

    // The dead replica's settlement notes count as unlogged once older than UNLOGGED_AFTER_MS.
    await new Promise((resolve) => setTimeout(resolve, UNLOGGED_AFTER_MS + 300));
    const response = await request(`${replicas[1]!.url}/admin/reconcile`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const report = (await response.body.json()) as ReconcileReport;
    assert.equal(response.statusCode, 200);
    assert.ok(report.checked > 0);
    assert.equal(report.ok, true, JSON.stringify(report));
    // The CLI reads the same from PostgreSQL and Redis directly, and agrees.
    const cli = await runCli(['reconcile', '--config', file]);
    assert.equal(cli.code, 0, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /^reconciled: \d+ budget window/m);
  } finally {
    await Promise.all(replicas.slice(1).map((replica) => replica.stop()));
    await shared.drop();
    await rm(directory, { recursive: true, force: true });
  }
});
