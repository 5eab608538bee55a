import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { MemoryResponseStore } from '../../src/responses-store/memory-response-store.js';
import type { ResponseStore, StoredRow } from '../../src/responses-store/response-store.js';
import { PostgresResponseStore, SqliteResponseStore } from '../../src/responses-store/sql-response-store.js';
import { freshSchema } from '../observability/postgres.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const STORES: Record<string, () => Promise<ResponseStore>> = {
  memory: async () => new MemoryResponseStore(),
  sqlite: async () => {
    const db = new Database(':memory:');
    cleanups.push(async () => void db.close());
    return new SqliteResponseStore(db);
  },
  postgres: async () => {
    const schema = await freshSchema('responses_store');
    const pool = new pg.Pool({ connectionString: schema.url, max: 2 });
    cleanups.push(async () => {
      await pool.end();
      await schema.drop();
    });
    // Opening twice (two replicas starting) creates the table once.
    await PostgresResponseStore.open(pool);
    return PostgresResponseStore.open(pool);
  },
};

function row(id: string, fields: Partial<StoredRow> = {}): StoredRow {
  return { id, owner: 'alice', status: 'completed', background: false, createdAt: 1_000, expiresAt: 10_000, response: '{"id":"x"}', inputItems: '[]', ...fields };
}

for (const [name, open] of Object.entries(STORES)) {
  describe(`response store on ${name}`, () => {
    test('insert, get, conditional finish, delete', async () => {
      const store = await open();
      await store.insert(row('resp_1', { status: 'queued', background: true }));
      assert.deepEqual(await store.get('resp_1', 2_000), row('resp_1', { status: 'queued', background: true }));
      assert.equal(await store.get('resp_missing', 2_000), undefined);
      // Finishing only moves a running response on: a cancelled one stays cancelled.
      assert.equal(await store.finish('resp_1', ['queued', 'in_progress'], 'cancelled', '{"status":"cancelled"}'), true);
      assert.equal(await store.finish('resp_1', ['queued', 'in_progress'], 'completed', '{"status":"completed"}'), false);
      const cancelled = await store.get('resp_1', 2_000);
      assert.equal(cancelled?.status, 'cancelled');
      assert.equal(cancelled?.response, '{"status":"cancelled"}');
      assert.equal(await store.delete('resp_1'), true);
      assert.equal(await store.delete('resp_1'), false);
      assert.equal(await store.get('resp_1', 2_000), undefined);
    });

    test('expired rows are never returned, and purge deletes exactly them', async () => {
      const store = await open();
      await store.insert(row('resp_old', { expiresAt: 5_000 }));
      await store.insert(row('resp_new', { expiresAt: 50_000 }));
      assert.equal(await store.get('resp_old', 5_000), undefined);
      assert.ok(await store.get('resp_old', 4_999));
      assert.equal(await store.purge(6_000), 1);
      assert.equal(await store.get('resp_old', 0), undefined);
      assert.ok(await store.get('resp_new', 6_000));
    });
  });
}

test('the memory store keeps at most its limit, dropping the oldest', async () => {
  const store = new MemoryResponseStore(2);
  for (const id of ['resp_a', 'resp_b', 'resp_c']) await store.insert(row(id));
  assert.equal(await store.get('resp_a', 0), undefined);
  assert.ok(await store.get('resp_c', 0));
});
