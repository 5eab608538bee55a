import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { KeyRecord } from '../../src/governance/entities.js';
import { FOREVER, type GovernanceStore } from '../../src/governance/storage/governance-store.js';
import { MemoryGovernanceStore } from '../../src/governance/storage/memory-governance-store.js';
import { PostgresGovernanceStore } from '../../src/governance/storage/postgres-governance-store.js';
import { SqliteGovernanceStore } from '../../src/governance/storage/sqlite-governance-store.js';

/** The development PostgreSQL (trust auth); each store gets a schema of its own, dropped at the end. */
const POSTGRES_URL = process.env.TOLLGATE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const pools: { pool: pg.Pool; schema: string }[] = [];

function postgresStore(): GovernanceStore {
  const schema = `governance_${randomBytes(5).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2, options: `-c search_path=${schema}` });
  pools.push({ pool, schema });
  const store = new PostgresGovernanceStore(pool);
  const migrate = store.migrate.bind(store);
  store.migrate = async () => {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await migrate();
  };
  return store;
}

after(async () => {
  for (const { pool, schema } of pools) {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  }
});

/** One suite every GovernanceStore backend passes. */
const backends: [string, () => GovernanceStore][] = [
  ['memory', () => new MemoryGovernanceStore()],
  ['sqlite', () => new SqliteGovernanceStore(new Database(':memory:'))],
  ['postgres', postgresStore],
];

const key: KeyRecord = { id: 'k1', key_hash: 'ab'.repeat(32), models: ['*'], budgets: [{ max_usd: 1, period: '1d', rolling: false }], active: true, metadata: { team: 'x' }, created_at: '2026-01-01T00:00:00.000Z', source: 'api' };

for (const [name, open] of backends) {
  describe(`GovernanceStore: ${name}`, () => {
    test('migrations are idempotent', async () => {
      const store = open();
      await store.migrate();
      await store.migrate();
      assert.deepEqual(await store.loadEntities(), []);
    });

    test('entities round-trip, update in place and delete', async () => {
      const store = open();
      await store.migrate();
      await store.putEntity({ kind: 'virtual_key', id: 'k1', document: key, seedHash: undefined });
      await store.putEntity({ kind: 'virtual_key', id: 'k1', document: { ...key, active: false }, seedHash: 'seed' });
      const loaded = await store.loadEntities();
      assert.equal(loaded.length, 1);
      assert.deepEqual(loaded[0], { kind: 'virtual_key', id: 'k1', document: { ...key, active: false }, seedHash: 'seed', version: 2 });
      assert.equal((await store.deleteEntity('virtual_key', 'k1')).status, 'written');
      assert.deepEqual(await store.loadEntities(), []);
      assert.deepEqual(await store.deleteEntity('virtual_key', 'k1'), { status: 'missing' });
    });

    test('conditional writes: insert once, update from the stored state at the expected version only', async () => {
      const store = open();
      await store.migrate();
      const created = await store.insertEntity({ kind: 'virtual_key', id: 'k1', document: key, seedHash: undefined });
      assert.equal(created?.version, 1);
      assert.equal(await store.insertEntity({ kind: 'virtual_key', id: 'k1', document: { ...key, active: false }, seedHash: undefined }), undefined);
      // Deactivated elsewhere (version 2); a write made from version 1 is refused and changes nothing.
      const deactivated = await store.updateEntity('virtual_key', 'k1', 1, (current) => ({ document: { ...current.document, active: false } as KeyRecord, seedHash: current.seedHash }));
      assert.equal(deactivated.status === 'written' && deactivated.entity.version, 2);
      assert.deepEqual(await store.updateEntity('virtual_key', 'k1', 1, (current) => ({ document: { ...current.document, name: 'stale' } as KeyRecord, seedHash: current.seedHash })), { status: 'conflict', current: 2 });
      // Without an expected version the change is merged into the stored document: active stays false.
      const renamed = await store.updateEntity('virtual_key', 'k1', undefined, (current) => ({ document: { ...current.document, name: 'renamed' } as KeyRecord, seedHash: current.seedHash }));
      assert.ok(renamed.status === 'written');
      assert.deepEqual([renamed.entity.version, (renamed.entity.document as KeyRecord).active, (renamed.entity.document as KeyRecord).name], [3, false, 'renamed']);
      // A change that returns undefined writes nothing.
      const kept = await store.updateEntity('virtual_key', 'k1', undefined, () => undefined);
      assert.equal(kept.status === 'written' && kept.entity.version, 3);
      // A failing change rolls back.
      await assert.rejects(store.updateEntity('virtual_key', 'k1', undefined, () => {
        throw new Error('invalid');
      }), /invalid/);
      assert.deepEqual(await store.deleteEntity('virtual_key', 'k1', 2), { status: 'conflict', current: 3 });
      assert.deepEqual(await store.updateEntity('virtual_key', 'nope', undefined, () => undefined), { status: 'missing' });
      assert.equal((await store.deleteEntity('virtual_key', 'k1', 3)).status, 'written');
    });

    test('changes since a revision: written and deleted entities, each write one revision', async () => {
      const store = open();
      await store.migrate();
      const start = await store.changesSince(0);
      assert.deepEqual([start.entities, start.removed], [[], []]);
      assert.equal(await store.revision(), start.revision);
      await store.insertEntity({ kind: 'virtual_key', id: 'k1', document: key, seedHash: undefined });
      await store.insertEntity({ kind: 'virtual_key', id: 'k2', document: { ...key, id: 'k2' }, seedHash: undefined });
      const first = await store.changesSince(start.revision);
      assert.equal(first.revision, start.revision + 2);
      assert.deepEqual(first.entities.map((entity) => entity.id).sort(), ['k1', 'k2']);
      await store.deleteEntity('virtual_key', 'k1');
      await store.updateEntity('virtual_key', 'k2', 1, (current) => ({ document: { ...current.document, active: false } as KeyRecord, seedHash: undefined }));
      const second = await store.changesSince(first.revision);
      assert.equal(second.revision, first.revision + 2);
      assert.deepEqual(second.removed, [{ kind: 'virtual_key', id: 'k1' }]);
      assert.deepEqual(second.entities.map((entity) => [entity.id, entity.version]), [['k2', 2]]);
      // Created again: no longer removed.
      await store.insertEntity({ kind: 'virtual_key', id: 'k1', document: key, seedHash: undefined });
      const third = await store.changesSince(second.revision);
      assert.deepEqual([third.removed, third.entities.map((entity) => entity.id)], [[], ['k1']]);
      assert.deepEqual(await store.changesSince(third.revision), { revision: third.revision, entities: [], removed: [] });
    });

    test('counters: upserts, lifetime windows, ended windows not loaded', async () => {
      const store = open();
      await store.migrate();
      await store.saveCounters([
        { counter: 'key:k1|usd|1d|0', windowEnd: 1_000, used: 0.5, credit: 0 },
        { counter: 'key:k1|usd|lifetime|0', windowEnd: Number.POSITIVE_INFINITY, used: 1.25, credit: 2 },
      ]);
      await store.saveCounters([{ counter: 'key:k1|usd|lifetime|0', windowEnd: Number.POSITIVE_INFINITY, used: 1.5, credit: 2 }]);
      const loaded = await store.loadCounters(2_000);
      assert.deepEqual(loaded, [{ counter: 'key:k1|usd|lifetime|0', windowEnd: Number.POSITIVE_INFINITY, used: 1.5, credit: 2 }]);
      assert.equal((await store.loadCounters(500)).length, 2);
      assert.ok(FOREVER > Date.parse('9999-01-01'));
    });

    test('the journal watermark is saved with the counters, kept when not given, and cleared with null', async () => {
      const store = open();
      await store.migrate();
      assert.equal(await store.loadJournalWatermark(), undefined);
      await store.saveCounters([{ counter: 'key:k1|usd|lifetime|0', windowEnd: Number.POSITIVE_INFINITY, used: 1, credit: 0 }], 41);
      assert.equal(await store.loadJournalWatermark(), 41);
      // Without counters the watermark alone moves (requests of keys without budgets still advance the log).
      await store.saveCounters([], 57);
      assert.equal(await store.loadJournalWatermark(), 57);
      await store.saveCounters([{ counter: 'key:k1|usd|lifetime|0', windowEnd: Number.POSITIVE_INFINITY, used: 2, credit: 0 }]);
      assert.equal(await store.loadJournalWatermark(), 57);
      assert.equal((await store.loadCounters(0))[0]!.used, 2);
      await store.saveCounters([], null);
      assert.equal(await store.loadJournalWatermark(), undefined);
    });

    test('pruning drops ended rate-limit windows and keeps USD history', async () => {
      const store = open();
      await store.migrate();
      await store.saveCounters([
        { counter: 'key:k1|requests|1m|0', windowEnd: 60_000, used: 3, credit: 0 },
        { counter: 'key:k1|requests|1m|60000', windowEnd: 120_000, used: 1, credit: 0 },
        { counter: 'key:k1|usd|1d|0', windowEnd: 86_400_000, used: 0.5, credit: 0 },
      ]);
      await store.pruneCounters(100_000);
      assert.deepEqual((await store.loadCounters(0)).map((counter) => counter.counter).sort(), ['key:k1|requests|1m|60000', 'key:k1|usd|1d|0']);
      await store.pruneCounters(Number.MAX_SAFE_INTEGER);
      assert.deepEqual((await store.loadCounters(0)).map((counter) => counter.counter), ['key:k1|usd|1d|0']);
    });

    test('alerts are unique per counter and threshold and keep delivery state', async () => {
      const store = open();
      await store.migrate();
      const alert = { counter: 'team:t|usd|1M|0', threshold: 0.5, windowEnd: 5_000, firedAt: '2026-01-01T00:00:00.000Z', payload: { level: 'team' }, delivered: false, attempts: 1 };
      await store.putAlert(alert);
      await store.putAlert({ ...alert, delivered: true, attempts: 2 });
      assert.deepEqual(await store.loadAlerts(1_000), [{ ...alert, delivered: true, attempts: 2 }]);
      assert.deepEqual(await store.loadAlerts(6_000), []);
    });

    test('an alert is claimed once: the first claim records it, later claims (other replicas) do not change it', async () => {
      const store = open();
      await store.migrate();
      const alert = { counter: 'key:k|usd|1d|0', threshold: 0.8, windowEnd: 5_000, firedAt: '2026-01-01T00:00:00.000Z', payload: { by: 'first' }, delivered: false, attempts: 0 };
      const claims = await Promise.all([store.claimAlert(alert), store.claimAlert({ ...alert, payload: { by: 'second' } })]);
      assert.deepEqual(claims.sort(), [false, true]);
      assert.equal(await store.claimAlert({ ...alert, firedAt: '2026-01-01T00:00:01.000Z' }), false);
      const [stored] = await store.loadAlerts(0);
      assert.equal(stored!.firedAt, alert.firedAt);
      // Another threshold of the same counter is its own alert.
      assert.equal(await store.claimAlert({ ...alert, threshold: 0.95 }), true);
      assert.equal((await store.loadAlerts(0)).length, 2);
    });
  });
}
