import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Redis } from 'ioredis';
import type { ReconcileReport } from '../../src/governance/reconcile.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import type { FakeReply, FakeUpstream } from '../fakes/fake-upstream.js';
import { runCli } from '../helpers/cli.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { POSTGRES_URL } from '../observability/postgres.js';
import { connectRedis, deleteKeys, REDIS_URL, uniquePrefix } from './redis.js';

const ADMIN = 'admin-' + 'reconcile-test-token';
/** Made-up virtual keys, split so secret scanners do not take them for real ones. */
const KEYS = { k1: 'vk-' + 'recon-k1', k2: 'vk-' + 'recon-k2', k3: 'vk-' + 'recon-k3', k4: 'vk-' + 'recon-k4' } as const;

let directory: string;
let primary: FakeUpstream;
let backup: FakeUpstream;
let redis: Redis;

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tollgate-reconcile-'));
  primary = await startOpenAIFake();
  backup = await startOpenAIFake();
  redis = await connectRedis();
});

after(async () => {
  await primary.close();
  await backup.close();
  await redis.quit();
  await rm(directory, { recursive: true, force: true });
});

/**
 * Prices with seven decimals per million tokens: a request's exact cost is not a whole number of
 * nano-USD (12 × 0.1234567 + 7 × 0.7654321 = 6.8395051 µUSD), so the ledger's rounding is exercised,
 * and a float sum of the logged `cost_usd` would not match the ledger.
 */
function config(storage: Record<string, unknown>, governance: Record<string, unknown> = {}): Record<string, unknown> {
  const openai = (url: string, extra: Record<string, unknown> = {}) => ({ type: 'openai', base_url: `${url}/v1`, keys: [{ id: 'p', value: 'test-' + 'provider-key' }], max_retries: 0, ...extra });
  return {
    storage,
    admin: { token: ADMIN },
    providers: {
      primary: openai(primary.url, { budgets: [{ max_usd: 1000 }, { period: '1d', max_usd: 1000 }] }),
      backup: openai(backup.url),
    },
    routes: { main: { targets: [{ model: 'primary/gpt-4o-mini' }], fallbacks: ['backup/gpt-4o-mini'] } },
    pricing: {
      'primary/gpt-4o-mini': { input: 0.1234567, output: 0.7654321 },
      'backup/gpt-4o-mini': { input: 0.3333333, output: 1.1111111 },
    },
    customers: [{ id: 'acme', budgets: [{ period: '1d', max_usd: 500 }] }],
    teams: [
      { id: 'research', customer: 'acme', budgets: [{ period: '1M', max_usd: 500 }] },
      { id: 'ops', budgets: [{ max_usd: 500 }] },
    ],
    virtual_keys: [
      { id: 'k1', value: KEYS.k1, team: 'research', models: ['*'], budgets: [{ max_usd: 100 }, { period: '1d', max_usd: 100 }] },
      { id: 'k2', value: KEYS.k2, team: 'ops', models: ['*'], budgets: [{ period: '1h', rolling: true, max_usd: 100 }] },
      { id: 'k3', value: KEYS.k3, models: ['*'], budgets: [{ period: '1w', max_usd: 100 }] },
      { id: 'k4', value: KEYS.k4, customer: 'acme', models: ['*'], providers: [{ name: 'primary', budgets: [{ max_usd: 50 }] }, 'backup'] },
    ],
    observability: { request_log: true, flush_interval_ms: 20 },
    cache: { enabled: true, mode: 'exact' },
    governance: { flush_interval_ms: 50, ...governance },
    server: { request_timeout_ms: 10_000 },
  };
}

/** The upstream's replies for one round of traffic: successes, failures that fall back, streams the upstream cuts. */
function script(upstream: FakeUpstream, count: number): void {
  const replies: FakeReply[] = [];
  for (let index = 0; index < count; index++) {
    switch (index % 6) {
      case 0:
        replies.push({ error: { status: 500, message: 'primary is down' } });
        break;
      case 1:
        // Cut after the first content: the caller has part of an answer and no usage (charged the reservation).
        replies.push({ text: 'one two three four five six seven eight', breakAfterEvents: 3, eventIntervalMs: 20, usage: { input: 12, output: 8 } });
        break;
      case 2:
        // Cut before any content: falls back to the backup.
        replies.push({ text: 'never', breakAfterEvents: 0 });
        break;
      case 3:
        replies.push({ text: 'slow one two three four five six', eventIntervalMs: 15, usage: { input: 30, output: 6 } });
        break;
      default:
        replies.push({ text: 'fine, and a few more words', eventIntervalMs: 10, usage: { input: 12, output: 7 } });
    }
  }
  upstream.enqueue(...replies);
}

/**
 * One request: streamed or not; `abortAfterFirstChunk` cuts the stream from the caller's side. The
 * response cache is on in the config but skipped (`x-tollgate-cache: off`) unless `cached` asks
 * for it, so the scripted failures reach the upstream.
 */
async function send(url: string, key: string, options: { stream: boolean; abortAfterFirstChunk?: boolean; model?: string; cached?: string }): Promise<string | null> {
  const controller = new AbortController();
  try {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      signal: controller.signal,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-tollgate-cache': options.cached === undefined ? 'off' : 'exact' },
      body: JSON.stringify({ model: options.model ?? 'main', stream: options.stream, max_tokens: 64, messages: [{ role: 'user', content: options.cached ?? 'count to ten' }] }),
    });
    if (options.abortAfterFirstChunk && response.body !== null) {
      const reader = response.body.getReader();
      await reader.read();
      controller.abort();
      return null;
    }
    await response.text();
    return response.headers.get('x-tollgate-cache');
  } catch (error) {
    if ((error as Error).name !== 'AbortError') throw error;
    return null;
  }
}

/** Each key asks the same question three times: a miss that is stored, then hits (cost 0, no budget touched). */
async function cacheHits(url: string): Promise<string[]> {
  const seen: string[] = [];
  for (const key of Object.values(KEYS)) {
    const question = `what is cached for ${key.slice(-2)}?`;
    seen.push(String(await send(url, key, { stream: false, cached: question })));
    // A completed answer is stored off the request path; give it a moment before asking again.
    for (let attempt = 0; attempt < 50; attempt++) {
      const outcome = String(await send(url, key, { stream: attempt % 2 === 1, cached: question }));
      seen.push(outcome);
      if (outcome === 'hit-exact') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return seen;
}

/** Concurrent traffic across every key: non-streamed and streamed, some cut by the caller. */
async function load(url: string, rounds: number): Promise<void> {
  const keys = Object.values(KEYS);
  for (let round = 0; round < rounds; round++) {
    script(primary, 24);
    const requests: Promise<unknown>[] = [];
    for (let index = 0; index < 24; index++) {
      const key = keys[index % keys.length]!;
      const stream = index % 3 !== 0;
      requests.push(send(url, key, { stream, abortAfterFirstChunk: stream && index % 5 === 1, ...(index % 11 === 0 ? { model: 'backup/gpt-4o-mini' } : {}) }));
    }
    await Promise.all(requests);
  }
}

async function reconcileEndpoint(url: string, query = ''): Promise<{ status: number; body: ReconcileReport }> {
  const response = await fetch(`${url}/admin/reconcile${query}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return { status: response.status, body: (await response.json()) as ReconcileReport };
}

async function configFile(name: string, raw: Record<string, unknown>): Promise<string> {
  const file = join(directory, `${name}.json`);
  // The gateway's own defaults for server, as the in-process gateway had them.
  await writeFile(file, JSON.stringify(raw));
  return file;
}

test('SQLite file and memory ledger: after concurrent traffic with failures, fallbacks, cut streams and cache hits, ledger and log agree; a tampered counter or record is named', async () => {
  const path = join(directory, 'reconcile.db');
  const raw = config({ type: 'sqlite', path });
  let running: RunningGateway | undefined = await startGateway(raw);
  try {
    await load(running.url, 3);
    const outcomes = await cacheHits(running.url);
    assert.equal(outcomes.filter((outcome) => outcome === 'hit-exact').length, Object.keys(KEYS).length, outcomes.join());
    const live = await reconcileEndpoint(running.url);
    assert.equal(live.status, 200);
    assert.deepEqual(live.body.differences, [], JSON.stringify(live.body.differences));
    assert.equal(live.body.ok, true);
    // key k1: lifetime + 1d; k2: rolling 1h; k3: 1w; k4's primary; team research 1M, ops lifetime; customer acme 1d; provider primary: lifetime + 1d.
    assert.equal(live.body.checked, 10);
    const bounded = await reconcileEndpoint(running.url, `?from=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}&to=${Date.now() + 60_000}`);
    assert.equal(bounded.body.ok, true);
    assert.equal((await reconcileEndpoint(running.url, '?from=yesterday')).status, 400);
  } finally {
    await running.close();
    running = undefined;
  }

  // The log really recorded exact costs and charges, including the reservation charged for streams cut before their usage.
  const database = new Database(path);
  try {
    const rows = database.prepare("select cost_exact, charged_nano_usd, cost_usd, status, stop_reason, attempts, error_code from tollgate_request_logs where kind = 'request' and charged_nano_usd is not null").all() as { cost_exact: string | null; charged_nano_usd: number; cost_usd: number | null; status: number; stop_reason: string | null; attempts: number }[];
    assert.ok(rows.length >= 60);
    // The traffic had what it set out to have.
    assert.ok(rows.some((row) => row.attempts > 1 && row.status === 200), 'fallbacks');
    const outcomes = database.prepare("select status, stop_reason, stream, attempts, error_code, count(*) as n from tollgate_request_logs where kind = 'request' group by 1, 2, 3, 4, 5").all() as { error_code: string | null }[];
    assert.ok(outcomes.some((row) => row.error_code === 'client_disconnected'), `streams cut by the caller: ${JSON.stringify(outcomes)}`);
    assert.ok(outcomes.some((row) => row.error_code === 'upstream_stream_error'), `streams cut by the upstream: ${JSON.stringify(outcomes)}`);
    const priced = rows.filter((row) => row.cost_exact !== null && row.cost_exact !== '0');
    assert.ok(priced.some((row) => row.cost_exact === '0.0000068395051' && row.charged_nano_usd === 6840), 'a primary answer: exact cost and its charge rounded half up');
    assert.ok(rows.some((row) => row.cost_exact === null && row.charged_nano_usd > 0), 'a stream cut before its usage is charged its reservation');

    const file = await configFile('sqlite', raw);
    const agreed = await runCli(['reconcile', '--config', file]);
    assert.equal(agreed.code, 0, agreed.stdout + agreed.stderr);
    assert.match(agreed.stdout, /reconciled: 10 budget window\(s\) \(all windows\) agree with the request log exactly/);

    // One nano-dollar added to a stored counter is named, with both sides and the difference.
    database.prepare("update governance_counters set used = used + 1 where counter like 'key:k1|usd|lifetime|%'").run();
    // And a request record of key k3 (served by primary in one attempt) lost from the log: k3's
    // window and both of the provider's windows now lack its charge.
    const dropped = database.prepare("select id, charged_nano_usd from tollgate_request_logs where kind = 'request' and virtual_key_id = 'k3' and provider = 'primary' and attempts = 1 and charged_nano_usd > 0 limit 1").get() as { id: number; charged_nano_usd: number };
    database.prepare('delete from tollgate_request_logs where id = ?').run(dropped.id);
    const tampered = await runCli(['reconcile', '--config', file]);
    assert.equal(tampered.code, 1, tampered.stdout + tampered.stderr);
    assert.match(tampered.stdout, /DIFFERENCE key k1 lifetime window .*: ledger \$[\d.]+, request log \$[\d.]+ \(\d+ records\), difference \$0\.000000001\b/);
    const k3 = new RegExp(`DIFFERENCE key k3 1w window .*difference \\$${(dropped.charged_nano_usd / 1e9).toFixed(9).replace(/0+$/, '')}\\b`);
    assert.match(tampered.stdout, k3);
    assert.match(tampered.stdout, new RegExp(`DIFFERENCE provider primary 1d window .*difference \\$${(dropped.charged_nano_usd / 1e9).toFixed(9).replace(/0+$/, '')}\\b`));
    assert.match(tampered.stdout, /NOT reconciled: 4 of 10 budget window\(s\)/);
    const json = await runCli(['reconcile', '--config', file, '--json']);
    assert.equal(json.code, 1);
    const report = JSON.parse(json.stdout) as ReconcileReport;
    assert.deepEqual(
      report.differences.map((window) => [window.level, window.entity, window.period, window.difference_nano_usd]),
      [
        ['key', 'k1', 'lifetime', 1],
        ['key', 'k3', '1w', dropped.charged_nano_usd],
        ['provider', 'primary', '1d', dropped.charged_nano_usd],
        ['provider', 'primary', 'lifetime', dropped.charged_nano_usd],
      ],
    );
  } finally {
    database.close();
  }
});

test('PostgreSQL log and Redis ledger: the admin endpoint and the CLI agree after traffic, and both name a tampered counter', async () => {
  const schema = `reconcile_${randomBytes(5).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  await pool.query(`create schema ${schema}`);
  const prefix = uniquePrefix('reconcile');
  const url = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const raw = config({ type: 'postgres', url }, { spend_store: { type: 'redis', url: REDIS_URL, key_prefix: prefix } });
  const running = await startGateway(raw);
  try {
    await load(running.url, 2);
    const live = await reconcileEndpoint(running.url);
    assert.deepEqual(live.body.differences, [], JSON.stringify(live.body.differences));
    assert.equal(live.body.checked, 10);
    const file = await configFile('postgres', raw);
    const agreed = await runCli(['reconcile', '--config', file]);
    assert.equal(agreed.code, 0, agreed.stdout + agreed.stderr);

    // The team's monthly counter gains $0.25 it never logged.
    const [counter] = await redis.keys(`${prefix}c:team:research|usd|1M|*`);
    assert.ok(counter !== undefined);
    await redis.hincrby(counter, 'used', 250_000_000);
    const named = await reconcileEndpoint(running.url);
    assert.equal(named.body.ok, false);
    assert.deepEqual(
      named.body.differences.map((window) => [window.level, window.entity, window.period, window.difference_usd]),
      [['team', 'research', '1M', '0.25']],
    );
    const tampered = await runCli(['reconcile', '--config', file]);
    assert.equal(tampered.code, 1);
    assert.match(tampered.stdout, /DIFFERENCE team research 1M window .*difference \$0\.25\b/);
  } finally {
    await running.close();
    await deleteKeys(redis, prefix);
    await pool.query(`drop schema ${schema} cascade`);
    await pool.end();
  }
});

test('a reservation that expired unsettled (its replica killed) is set apart and explained, not a difference', async () => {
  const prefix = uniquePrefix('reconcile-expired');
  const path = join(directory, 'expired.db');
  const raw = config({ type: 'sqlite', path }, { spend_store: { type: 'redis', url: REDIS_URL, key_prefix: prefix } });
  const running = await startGateway(raw);
  try {
    await load(running.url, 1);
    // What a killed replica leaves: a reservation on k3's weekly counter that nobody settles.
    const { RedisSpendStore } = await import('../../src/governance/redis-spend-store.js');
    const ledger = new RedisSpendStore(redis, prefix);
    const [counter] = await redis.keys(`${prefix}c:key:k3|usd|1w|*`);
    const name = counter!.slice(`${prefix}c:`.length);
    const orphan = await ledger.reserve([{ counter: name, windowEnd: Date.now() + 86_400_000, limit: 100e9, amount: 3_000, chargeOnExpiry: 3_000 }], Date.now(), 1);
    assert.ok(orphan.ok);
    await ledger.sweep(Date.now() + 10);
    const report = await reconcileEndpoint(running.url);
    assert.equal(report.body.ok, true, JSON.stringify(report.body.differences));
    assert.equal(report.body.explained.length, 1);
    assert.equal(report.body.explained[0]!.entity, 'k3');
    assert.equal(report.body.explained[0]!.expired_usd, '0.000003');
    assert.equal(report.body.explained[0]!.expired_reservations, 1);
    const file = await configFile('expired', raw);
    const cli = await runCli(['reconcile', '--config', file]);
    assert.equal(cli.code, 0, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /explained key k3 1w window .*plus \$0\.000003 charged by 1 expired reservation/);
  } finally {
    await running.close();
    await deleteKeys(redis, prefix);
  }
});

test('reconcile refuses a config without stored logs, and the endpoint answers in the admin error shape without the request log', async () => {
  const file = await configFile('memory', { ...config({ type: 'memory' }) });
  const refused = await runCli(['reconcile', '--config', file]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /storage\.type is memory/);
  const usage = await runCli(['reconcile']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /reconcile needs --config <file>/);
  const running = await startGateway({ ...config({ type: 'memory' }), observability: { request_log: false } });
  try {
    const response = await fetch(`${running.url}/admin/reconcile`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(response.status, 409);
    assert.match(await response.text(), /reconcile_unavailable/);
    assert.equal((await fetch(`${running.url}/admin/reconcile`)).status, 401);
  } finally {
    await running.close();
  }
});
