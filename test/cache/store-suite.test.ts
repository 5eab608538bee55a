import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { CacheEntry, ExactStore } from '../../src/cache/cache-entry.js';
import { MemoryExactStore } from '../../src/cache/memory-exact-store.js';
import { RedisExactStore } from '../../src/cache/redis-exact-store.js';
import { SqliteExactStore } from '../../src/cache/sqlite-exact-store.js';
import { connectRedis, keysUnder, uniquePrefix } from '../governance/redis.js';
import { tempDbPath } from './helpers.js';

/** One conformance suite for every exact store this machine can run: memory, SQLite (a real file), Redis. */

const NOW = Date.parse('2026-05-01T00:00:00Z');

function entry(id: string, namespace: string, overrides: Partial<CacheEntry> = {}): CacheEntry {
  return { id, namespace, operation: 'chat', body: JSON.stringify({ answer: id }), savedUsd: 0.001, createdAt: NOW, expiresAt: NOW + 60_000, ...overrides };
}

interface Subject {
  store: ExactStore;
  /** Resolves once every put so far is readable. */
  settled(): Promise<void>;
}

const subjects: [name: string, open: (maxEntries: number) => Promise<Subject>][] = [
  ['memory', async (max) => ({ store: new MemoryExactStore(max), settled: async () => {} })],
  [
    'sqlite',
    async (max) => {
      const db = new Database(await tempDbPath());
      const store = SqliteExactStore.open(db, max, NOW, (error) => assert.fail(String(error)));
      return { store, settled: () => store.flush() };
    },
  ],
  [
    'redis',
    async () => {
      const client = await connectRedis();
      const store = new RedisExactStore(client, uniquePrefix('cache'), () => NOW, (error) => assert.fail(String(error)));
      return { store, settled: () => store.ping() };
    },
  ],
];

for (const [name, open] of subjects) {
  describe(`exact store: ${name}`, () => {
    const opened: Subject[] = [];
    const subject = async (max = 100) => {
      const made = await open(max);
      opened.push(made);
      return made;
    };
    after(async () => {
      for (const made of opened) {
        await made.store.clear().catch(() => 0);
        await made.store.close();
      }
    });

    test('a stored entry is read back whole until it expires', async () => {
      const { store, settled } = await subject();
      assert.equal(await store.get('a', NOW), undefined);
      const stored = entry('a', 'key:one');
      store.put(stored);
      await settled();
      assert.deepEqual(await store.get('a', NOW), stored);
      assert.deepEqual(await store.get('a', NOW + 59_999), stored);
      assert.equal(await store.get('a', NOW + 60_000), undefined);
    });

    test('a put replaces the entry under the same id', async () => {
      const { store, settled } = await subject();
      store.put(entry('r', 'key:one', { body: '"old"' }));
      store.put(entry('r', 'key:one', { body: '"new"' }));
      await settled();
      assert.equal((await store.get('r', NOW))?.body, '"new"');
      assert.equal(await store.size(), 1);
    });

    test('one entry, a namespace with its sub-namespaces, or everything is removed; other namespaces stay', async () => {
      const { store, settled } = await subject();
      for (const made of [entry('1', 'key:a'), entry('2', 'key:a/project'), entry('3', 'key:ab'), entry('4', 'team:t'), entry('5', 'global')]) store.put(made);
      await settled();
      assert.equal(await store.deleteEntry('5'), true);
      assert.equal(await store.deleteEntry('5'), false);
      assert.equal(await store.get('5', NOW), undefined);
      assert.equal(await store.deleteNamespace('key:a'), 2);
      assert.equal(await store.get('1', NOW), undefined);
      assert.equal(await store.get('2', NOW), undefined);
      assert.ok(await store.get('3', NOW), 'key:ab is another namespace');
      assert.ok(await store.get('4', NOW));
      assert.equal(await store.clear(), 2);
      assert.equal(await store.get('3', NOW), undefined);
      assert.equal(await store.size(), 0);
    });

    // The embedded stores' cap; Redis evicts by its own maxmemory policy.
    if (name !== 'redis') test('past its size cap the least recently used entry goes first', async () => {
      const { store, settled } = await subject(3);
      store.put(entry('x1', 'key:a'));
      store.put(entry('x2', 'key:a'));
      store.put(entry('x3', 'key:a'));
      assert.ok(await store.get('x1', NOW), 'x1 is now the most recently used');
      store.put(entry('x4', 'key:a'));
      await settled();
      assert.equal(await store.get('x2', NOW), undefined);
      assert.ok(await store.get('x1', NOW));
      assert.ok(await store.get('x3', NOW));
      assert.ok(await store.get('x4', NOW));
      assert.equal(await store.size(), 3);
    });
  });
}

test('SQLite: entries and their use order survive a reopen of the file; expired ones are dropped', async () => {
  const path = await tempDbPath();
  const first = new Database(path);
  const store = SqliteExactStore.open(first, 3, NOW, (error) => assert.fail(String(error)));
  store.put(entry('old', 'key:a'));
  store.put(entry('mid', 'key:a'));
  store.put(entry('short', 'key:a', { expiresAt: NOW + 10 }));
  assert.ok(store.get('old', NOW), 'old is now the most recently used');
  // Not flushed yet: close must write what is queued.
  await store.close();
  first.close();

  const second = new Database(path);
  const reopened = SqliteExactStore.open(second, 3, NOW + 100, (error) => assert.fail(String(error)));
  try {
    assert.equal(await reopened.size(), 2, 'the expired entry is gone');
    assert.deepEqual(reopened.get('old', NOW + 100), entry('old', 'key:a'));
    reopened.put(entry('n1', 'key:a'));
    reopened.put(entry('n2', 'key:a'));
    assert.equal(reopened.get('mid', NOW + 100), undefined, 'mid was the least recently used');
    assert.ok(reopened.get('old', NOW + 100));
  } finally {
    await reopened.close();
    second.close();
  }
});

test('Redis: entries expire in Redis itself, and clearing leaves no key under the prefix', async () => {
  const client = await connectRedis();
  const prefix = uniquePrefix('cache-ttl');
  const store = new RedisExactStore(client, prefix, () => NOW, (error) => assert.fail(String(error)));
  const probe = await connectRedis();
  try {
    store.put(entry('t', 'key:a', { expiresAt: NOW + 5_000 }));
    await store.ping();
    const ttl = await probe.pttl(`${prefix}e:t`);
    assert.ok(ttl > 0 && ttl <= 5_000, `pttl ${ttl}`);
    await store.clear();
    assert.deepEqual(await keysUnder(probe, prefix), []);
  } finally {
    await store.close();
    probe.disconnect();
  }
});

test('memory: bodies beyond the store\'s byte budget push out the least recently used, whatever max_entries allows', async () => {
  // Bodies of 1,000 characters in a budget of 3,000: three fit.
  const store = new MemoryExactStore(1_000, 3_000);
  const big = (id: string) => entry(id, 'key:a', { body: JSON.stringify('x'.repeat(998)) });
  store.put(big('b1'));
  store.put(big('b2'));
  store.put(big('b3'));
  assert.ok(store.get('b1', NOW), 'b1 is now the most recently used');
  store.put(big('b4'));
  assert.equal(await store.size(), 3);
  assert.equal(store.get('b2', NOW), undefined, 'the least recently used went');
  assert.ok(store.get('b1', NOW) && store.get('b3', NOW) && store.get('b4', NOW));
  // An entry stored again counts its new body only; a deleted one frees its room.
  store.put(big('b4'));
  store.put(big('b4'));
  assert.equal(await store.size(), 3);
  assert.equal(await store.deleteEntry('b1'), true);
  store.put(big('b5'));
  assert.equal(await store.size(), 3);
  assert.ok(store.get('b3', NOW), 'nothing more was pushed out');
});
