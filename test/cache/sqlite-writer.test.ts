import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { CacheEntry } from '../../src/cache/cache-entry.js';
import { SqliteExactStore } from '../../src/cache/sqlite-exact-store.js';
import { tempDbPath } from './helpers.js';

/** The SQLite exact store's writer thread: answers are readable at once, in the file after a flush, and every one is written at close. */

const NOW = Date.parse('2026-05-01T00:00:00Z');

function entry(n: number): CacheEntry {
  return { id: `entry-${n}`, namespace: 'key:alpha', operation: 'chat', body: JSON.stringify({ answer: n }), savedUsd: 0.001, createdAt: NOW, expiresAt: NOW + 60_000 };
}

function rowsIn(path: string): number {
  const reader = new Database(path, { readonly: true });
  try {
    return (reader.prepare('select count(*) as count from cache_entries').get() as { count: number }).count;
  } finally {
    reader.close();
  }
}

test('writes go to the writer thread: readable from memory at once, in the file after flush, deletions too', async () => {
  const path = await tempDbPath();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  const store = SqliteExactStore.open(db, 1_000, NOW, (error) => assert.fail(String(error)));
  try {
    assert.equal(store.writesOffThread, true);
    for (let n = 0; n < 300; n++) store.put(entry(n));
    for (let n = 0; n < 300; n++) assert.equal(store.get(`entry-${n}`, NOW)?.body, entry(n).body, `entry ${n} before any write`);
    await store.flush();
    assert.equal(rowsIn(path), 300);
    assert.equal(await store.deleteEntry('entry-7'), true);
    assert.equal(rowsIn(path), 299);
    assert.equal(await store.deleteNamespace('key:alpha'), 299);
    assert.equal(rowsIn(path), 0);
  } finally {
    await store.close();
    db.close();
  }
});

test('close writes every queued answer (no flush before it), and a reopened store reads them, least recently used first', async () => {
  const path = await tempDbPath();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  const store = SqliteExactStore.open(db, 1_000, NOW, (error) => assert.fail(String(error)));
  for (let n = 0; n < 500; n++) store.put(entry(n));
  await store.close();
  db.close();
  assert.equal(rowsIn(path), 500);

  const again = new Database(path);
  const reopened = SqliteExactStore.open(again, 400, NOW, (error) => assert.fail(String(error)));
  try {
    // 500 entries into 400 places: the 100 stored first (used least recently) are gone.
    assert.equal(await reopened.size(), 400);
    assert.equal(reopened.get('entry-0', NOW), undefined);
    assert.equal(reopened.get('entry-499', NOW)?.body, entry(499).body);
  } finally {
    await reopened.close();
    again.close();
  }
});

test('a database in memory is written on the gateway connection', async () => {
  const db = new Database(':memory:');
  const store = SqliteExactStore.open(db, 10, NOW, (error) => assert.fail(String(error)));
  try {
    assert.equal(store.writesOffThread, false);
    store.put(entry(1));
    await store.flush();
    assert.equal((db.prepare('select count(*) as count from cache_entries').get() as { count: number }).count, 1);
    assert.equal(store.get('entry-1', NOW)?.body, entry(1).body);
  } finally {
    await store.close();
    db.close();
  }
});
