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
    return (reader.prepare('select count(*) as count from cache_answers').get() as { count: number }).count;
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
    assert.equal((db.prepare('select count(*) as count from cache_answers').get() as { count: number }).count, 1);
    assert.equal(store.get('entry-1', NOW)?.body, entry(1).body);
  } finally {
    await store.close();
    db.close();
  }
});

function rowsOf(path: string, id: string): number {
  const reader = new Database(path, { readonly: true });
  try {
    return (reader.prepare('select count(*) as count from cache_answers where id = ?').get(id) as { count: number }).count;
  } finally {
    reader.close();
  }
}

test('an answer stored again under its id, in the same batch or a later one, leaves one row: the newest', async () => {
  const path = await tempDbPath();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  const store = SqliteExactStore.open(db, 1_000, NOW, (error) => assert.fail(String(error)));
  try {
    store.put(entry(1));
    store.put({ ...entry(1), body: '"same batch"' });
    await store.flush();
    assert.equal(rowsOf(path, 'entry-1'), 1);
    store.put({ ...entry(1), body: '"later batch"' });
    // Replaced while its first write is still in flight: that row is deleted once its number is known.
    const inFlight = store.flush();
    store.put({ ...entry(1), body: '"while in flight"' });
    await inFlight;
    await store.flush();
    await store.flush();
    assert.equal(rowsOf(path, 'entry-1'), 1);
    assert.equal(store.get('entry-1', NOW)?.body, '"while in flight"');
  } finally {
    await store.close();
    db.close();
  }
  const again = new Database(path);
  const reopened = SqliteExactStore.open(again, 1_000, NOW, (error) => assert.fail(String(error)));
  try {
    assert.equal(reopened.get('entry-1', NOW)?.body, '"while in flight"');
  } finally {
    await reopened.close();
    again.close();
  }
});

test('evicted and expired answers leave the file', async () => {
  const path = await tempDbPath();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  const store = SqliteExactStore.open(db, 10, NOW, (error) => assert.fail(String(error)));
  try {
    for (let n = 0; n < 10; n++) store.put(entry(n));
    await store.flush();
    for (let n = 10; n < 25; n++) store.put(entry(n));
    await store.flush();
    await store.flush();
    assert.equal(rowsIn(path), 10);
    assert.equal(rowsOf(path, 'entry-0'), 0);
    assert.equal(store.get('entry-24', NOW + 60_000), undefined, 'expired');
    await store.flush();
    assert.equal(rowsOf(path, 'entry-24'), 0);
  } finally {
    await store.close();
    db.close();
  }
});

test('a file of an earlier version: live answers of its cache_entries table move to the new table, and the old table goes', async () => {
  const path = await tempDbPath();
  const old = new Database(path);
  old.exec('create table cache_entries (id text primary key, namespace text not null, operation text not null, body text not null, saved_usd real not null, created_at integer not null, expires_at integer not null, used_at integer not null default 0)');
  const insert = old.prepare('insert into cache_entries values (?, ?, ?, ?, ?, ?, ?, ?)');
  insert.run('kept', 'key:alpha', 'chat', '"kept"', 0.5, NOW, NOW + 60_000, 1);
  insert.run('expired', 'key:alpha', 'chat', '"expired"', 0.5, NOW - 10, NOW - 1, 2);
  old.close();
  const db = new Database(path);
  const store = SqliteExactStore.open(db, 1_000, NOW, (error) => assert.fail(String(error)));
  try {
    assert.deepEqual(store.get('kept', NOW), { id: 'kept', namespace: 'key:alpha', operation: 'chat', body: '"kept"', savedUsd: 0.5, createdAt: NOW, expiresAt: NOW + 60_000 });
    assert.equal(store.get('expired', NOW), undefined);
    assert.equal(db.prepare("select count(*) as count from sqlite_master where name = 'cache_entries'").pluck().get(), 0);
  } finally {
    await store.close();
    db.close();
  }
});

test('an id written twice to the file (a batch written again after a thread failed) is read back once, the row used last', async () => {
  const path = await tempDbPath();
  const first = new Database(path);
  SqliteExactStore.open(first, 1_000, NOW, (error) => assert.fail(String(error)));
  const insert = first.prepare('insert into cache_answers (id, namespace, operation, body, saved_usd, created_at, expires_at, used_at) values (?, ?, ?, ?, ?, ?, ?, ?)');
  insert.run('twice', 'key:alpha', 'chat', '"newer"', 0, NOW, NOW + 60_000, 2);
  insert.run('twice', 'key:alpha', 'chat', '"older"', 0, NOW, NOW + 60_000, 1);
  first.close();
  const db = new Database(path);
  const store = SqliteExactStore.open(db, 1_000, NOW, (error) => assert.fail(String(error)));
  try {
    assert.equal(store.get('twice', NOW)?.body, '"newer"');
    await store.flush();
    assert.equal(rowsOf(path, 'twice'), 1);
  } finally {
    await store.close();
    db.close();
  }
});

test('a row deleted under the store (DELETE /admin/cache in another process) is a miss, not another answer', async () => {
  const path = await tempDbPath();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  const store = SqliteExactStore.open(db, 1_000, NOW, (error) => assert.fail(String(error)));
  const other = new Database(path);
  try {
    store.put(entry(1));
    await store.flush();
    other.exec('delete from cache_answers');
    // The next answer may be given the freed row number: the store checks the id it reads.
    other.prepare("insert into cache_answers (id, namespace, operation, body, saved_usd, created_at, expires_at) values ('someone-else', 'key:bravo', 'chat', '\"theirs\"', 0, ?, ?)").run(NOW, NOW + 60_000);
    assert.equal(store.get('entry-1', NOW), undefined);
  } finally {
    other.close();
    await store.close();
    db.close();
  }
});

/** Two stores on one file that hear each other's news at once, as two workers do through the primary. */
async function linkedPair(): Promise<{ path: string; a: SqliteExactStore; b: SqliteExactStore; close(): Promise<void> }> {
  const path = await tempDbPath();
  const first = new Database(path);
  first.pragma('journal_mode = WAL');
  const a = SqliteExactStore.open(first, 1_000, NOW, (error) => assert.fail(String(error)));
  const second = new Database(path);
  second.pragma('journal_mode = WAL');
  const b = SqliteExactStore.open(second, 1_000, NOW, (error) => assert.fail(String(error)));
  a.share((news) => b.hear(structuredClone(news)));
  b.share((news) => a.hear(structuredClone(news)));
  return {
    path,
    a,
    b,
    async close() {
      await a.close();
      await b.close();
      first.close();
      second.close();
    },
  };
}

test('workers on one file: an answer one stores is read by the other once written; an admin delete on either reaches both', async () => {
  const { path, a, b, close } = await linkedPair();
  try {
    a.put(entry(1));
    assert.equal(b.get('entry-1', NOW), undefined, 'not written yet');
    await a.flush();
    assert.equal(b.get('entry-1', NOW)?.body, entry(1).body, 'read from the file by its row');
    assert.equal(await b.size(), 1);

    assert.equal(await b.deleteEntry('entry-1'), true);
    assert.equal(a.get('entry-1', NOW), undefined);
    assert.equal(rowsIn(path), 0);

    a.put({ ...entry(2), namespace: 'key:alpha/sub' });
    b.put({ ...entry(3), namespace: 'key:bravo' });
    await Promise.all([a.flush(), b.flush()]);
    assert.ok(a.get('entry-3', NOW) && b.get('entry-2', NOW));
    await b.deleteNamespace('key:alpha');
    assert.equal(a.get('entry-2', NOW), undefined, 'the sub-namespace went with its namespace');
    assert.ok(a.get('entry-3', NOW));

    await a.clear();
    assert.equal(b.get('entry-3', NOW), undefined);
    assert.equal(await b.size(), 0);
  } finally {
    await close();
  }
});

test('workers on one file that store the same id at once keep one row, the later, and both answer with it', async () => {
  const { path, a, b, close } = await linkedPair();
  try {
    a.put({ ...entry(1), body: '"from a"' });
    b.put({ ...entry(1), body: '"from b"' });
    await a.flush();
    await b.flush();
    // b's news came while a's own row was known: the later row (b's) wins on both sides.
    await a.flush();
    await b.flush();
    assert.equal(rowsOf(path, 'entry-1'), 1);
    const answer = a.get('entry-1', NOW)?.body;
    assert.equal(b.get('entry-1', NOW)?.body, answer);
    assert.equal(answer, '"from b"');
  } finally {
    await close();
  }
});
