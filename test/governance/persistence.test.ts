import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { GOVERNANCE_MIGRATIONS } from '../../src/governance/storage/migrations.js';
import { admin, ADMIN_TOKEN, chat, DEAR_PRICING, startGoverned } from './helpers.js';

let directory: string;

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tollgate-governance-'));
});

after(() => rm(directory, { recursive: true, force: true }));

function config(path: string, keyModels: string[] = ['*']) {
  return {
    admin: { token: ADMIN_TOKEN },
    storage: { type: 'sqlite', path },
    providers: { mock: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 5 } } },
    pricing: DEAR_PRICING,
    virtual_keys: [{ id: 'seeded', value: 'vk-test-seeded', models: keyModels, budgets: [{ max_usd: 5 }] }],
  };
}

async function spentBy(url: string, key: string): Promise<number> {
  const usage = (await (await fetch(`${url}/v1/usage`, { headers: { authorization: `Bearer ${key}` } })).json()) as { budgets: { spent_usd: number }[] };
  return usage.budgets[0]!.spent_usd;
}

test('API-created entities and settled spend survive a restart (SQLite file); secrets are stored only hashed', async () => {
  const path = join(directory, 'restart.db');
  const first = await startGoverned(config(path));
  await admin(first.url, 'POST', '/admin/customers', { id: 'acme' });
  const created = await admin(first.url, 'POST', '/admin/keys', { id: 'made', customer: 'acme', models: ['*'], budgets: [{ max_usd: 5 }] });
  const secret = String(created.body.value);
  for (const key of [secret, secret, 'vk-test-seeded']) assert.equal((await chat(first.url, { authorization: `Bearer ${key}` }, { max_tokens: 8 })).status, 200);
  const spentMade = await spentBy(first.url, secret);
  const spentSeeded = await spentBy(first.url, 'vk-test-seeded');
  assert.ok(spentMade > 0 && spentSeeded > 0);
  await first.close();

  const database = new Database(path, { readonly: true });
  const dump = JSON.stringify(database.prepare('SELECT * FROM governance_entities').all());
  // The embedded store runs in WAL mode with its schema versioned by migration.
  assert.equal(database.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal((database.prepare('SELECT MAX(version) AS version FROM governance_schema').get() as { version: number }).version, GOVERNANCE_MIGRATIONS.at(-1)!.version);
  database.close();
  assert.doesNotMatch(dump, new RegExp(secret));
  assert.doesNotMatch(dump, /vk-test-seeded/);

  const second = await startGoverned(config(path));
  try {
    assert.equal((await chat(second.url, { authorization: `Bearer ${secret}` }, { max_tokens: 8 })).status, 200);
    assert.ok(Math.abs((await spentBy(second.url, 'vk-test-seeded')) - spentSeeded) < 1e-12);
    assert.ok((await spentBy(second.url, secret)) > spentMade);
    const customer = await admin(second.url, 'GET', '/admin/customers/acme');
    assert.equal(customer.status, 200);
  } finally {
    await second.close();
  }
});

test('admin edits of a config key last until the config itself changes that key', async () => {
  const path = join(directory, 'seed.db');
  const first = await startGoverned(config(path));
  assert.equal((await admin(first.url, 'PATCH', '/admin/keys/seeded', { models: ['other/*'] })).status, 200);
  await first.close();

  const same = await startGoverned(config(path));
  const kept = await admin(same.url, 'GET', '/admin/keys/seeded');
  assert.deepEqual(kept.body.models, ['other/*']);
  await same.close();

  const changed = await startGoverned(config(path, ['mock/*']));
  try {
    const reseeded = await admin(changed.url, 'GET', '/admin/keys/seeded');
    assert.deepEqual(reseeded.body.models, ['mock/*']);
  } finally {
    await changed.close();
  }
});

test('a key removed from the config stops working after restart', async () => {
  const path = join(directory, 'removed.db');
  const first = await startGoverned(config(path));
  await first.close();
  const without = { ...config(path), virtual_keys: [{ id: 'another', value: 'vk-test-another', models: ['*'] }] };
  const second = await startGoverned(without);
  try {
    assert.equal((await chat(second.url, { authorization: 'Bearer vk-test-seeded' })).status, 401);
    assert.equal((await chat(second.url, { authorization: 'Bearer vk-test-another' })).status, 200);
  } finally {
    await second.close();
  }
});

test('settled spend reaches the SQLite file within flush_interval_ms while the gateway runs (what a hard crash keeps)', async () => {
  const path = join(directory, 'flushed.db');
  const running = await startGoverned({ ...config(path), governance: { flush_interval_ms: 50 } });
  try {
    assert.equal((await chat(running.url, { authorization: 'Bearer vk-test-seeded' }, { max_tokens: 8 })).status, 200);
    const spent = await spentBy(running.url, 'vk-test-seeded');
    assert.ok(spent > 0);
    // Read the file from outside, as a restarted process would after kill -9: no shutdown flush has run.
    const database = new Database(path, { readonly: true });
    try {
      // The ledger stores whole nano-USD.
      const stored = () => {
        const used = (database.prepare("SELECT used FROM governance_counters WHERE counter LIKE 'key:seeded|usd|%'").get() as { used: number } | undefined)?.used;
        return used === undefined ? undefined : used / 1e9;
      };
      for (let polls = 0; polls < 200 && stored() !== spent; polls++) await new Promise((resolve) => setTimeout(resolve, 25));
      assert.equal(stored(), spent);
    } finally {
      database.close();
    }
  } finally {
    await running.close();
  }
});
