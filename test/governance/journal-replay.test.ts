import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { admin, ADMIN_TOKEN, chat, startGoverned } from './helpers.js';

let directory: string;

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tollgate-journal-'));
});

after(() => rm(directory, { recursive: true, force: true }));

/** 2⁻⁶ USD a token: every cost and sum is exact in floating point. */
const PRICING = { 'mock/mock-small': { input: 15625, output: 15625 } };

function config(path: string, requestLog = true) {
  return {
    admin: { token: ADMIN_TOKEN },
    storage: { type: 'sqlite', path },
    observability: { request_log: requestLog },
    providers: { mock: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 5 }, budgets: [{ max_usd: 1000, period: '1M' }] } },
    pricing: PRICING,
    customers: [{ id: 'acme', budgets: [{ max_usd: 1000 }] }],
    teams: [{ id: 'research', customer: 'acme', budgets: [{ max_usd: 1000, period: '1d' }] }],
    virtual_keys: [{ id: 'k', value: 'vk-test-journal', team: 'research', models: ['*'], budgets: [{ max_usd: 1000 }], providers: [{ name: 'mock', budgets: [{ max_usd: 1000 }] }] }],
  };
}

/** Every budget the usage routes show, by level, with what it spent. */
async function spentByLevel(url: string): Promise<Record<string, number>> {
  const spent: Record<string, number> = {};
  for (const path of ['/admin/keys/k/usage', '/admin/teams/research/usage', '/admin/customers/acme/usage', '/admin/providers/mock/usage']) {
    const answer = await admin(url, 'GET', path);
    assert.equal(answer.status, 200, path);
    for (const budget of (answer.body as { budgets: { level: string; spent_usd: number }[] }).budgets) spent[budget.level] = budget.spent_usd;
  }
  return spent;
}

function loggedSpend(path: string): number {
  const database = new Database(path, { readonly: true });
  try {
    return (database.prepare("select total(cost_usd) as usd from tollgate_request_logs where kind = 'request'").get() as { usd: number }).usd;
  } finally {
    database.close();
  }
}

/**
 * What a crash right after a flush at start-up leaves: the counters as saved then (nothing spent)
 * with the watermark of that moment, and the log holding every request since.
 */
function rewindCounters(path: string, watermark: number): void {
  const database = new Database(path);
  try {
    database.prepare("update governance_counters set used = 0 where counter like '%|usd|%'").run();
    database.prepare('update governance_journal set watermark = ?').run(watermark);
  } finally {
    database.close();
  }
}

test('at start-up, requests the log kept past the saved watermark are charged to every level they were settled into, once', async () => {
  const path = join(directory, 'levels.db');
  const first = await startGoverned(config(path));
  for (let index = 0; index < 4; index++) assert.equal((await chat(first.url, { authorization: 'Bearer vk-test-journal' }, { max_tokens: 8 })).status, 200);
  const before = await spentByLevel(first.url);
  await first.close();
  const logged = loggedSpend(path);
  assert.ok(logged > 0);
  assert.deepEqual(before, { key: logged, key_provider: logged, team: logged, customer: logged, provider: logged });

  rewindCounters(path, 0);
  const second = await startGoverned(config(path));
  try {
    assert.deepEqual(await spentByLevel(second.url), { key: logged, key_provider: logged, team: logged, customer: logged, provider: logged });
  } finally {
    await second.close();
  }
  // The clean shutdown saved a watermark past the replayed records: a third start charges nothing again.
  const third = await startGoverned(config(path));
  try {
    assert.deepEqual(await spentByLevel(third.url), { key: logged, key_provider: logged, team: logged, customer: logged, provider: logged });
    assert.equal((await chat(third.url, { authorization: 'Bearer vk-test-journal' }, { max_tokens: 8 })).status, 200);
    const after = await spentByLevel(third.url);
    assert.ok(after.key! > logged);
  } finally {
    await third.close();
  }
});

test('a start without the request log clears the stored watermark: the counters it saves say nothing about the log', async () => {
  const path = join(directory, 'toggled.db');
  const first = await startGoverned(config(path));
  assert.equal((await chat(first.url, { authorization: 'Bearer vk-test-journal' }, { max_tokens: 8 })).status, 200);
  await first.close();
  const logged = loggedSpend(path);

  const withoutLog = await startGoverned(config(path, false));
  await withoutLog.close();
  const database = new Database(path, { readonly: true });
  try {
    assert.deepEqual(database.prepare('select watermark from governance_journal').all(), []);
  } finally {
    database.close();
  }
  const third = await startGoverned(config(path));
  try {
    assert.equal((await spentByLevel(third.url)).key, logged);
  } finally {
    await third.close();
  }
});
