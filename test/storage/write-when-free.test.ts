import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { writeWhenFree } from '../../src/storage/write-when-free.js';

/** Two connections to one WAL file, as the gateway and its request-log writer thread hold. */
async function twoConnections() {
  const directory = await mkdtemp(join(tmpdir(), 'tollgate-write-when-free-'));
  const path = join(directory, 'shared.db');
  const first = new Database(path);
  first.pragma('journal_mode = WAL');
  first.exec('create table counters (n integer)');
  const second = new Database(path);
  return {
    first,
    second,
    cleanup: async () => {
      first.close();
      second.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

test('a transaction whose snapshot another connection overtook (SQLITE_BUSY_SNAPSHOT) is run again, not failed', async () => {
  const { first, second, cleanup } = await twoConnections();
  try {
    let runs = 0;
    const save = first.transaction(() => {
      runs++;
      first.prepare('select count(*) from counters').get();
      // The other connection commits between this transaction's read and its first write.
      if (runs === 1) second.prepare('insert into counters (n) values (1)').run();
      first.prepare('insert into counters (n) values (2)').run();
    });
    await writeWhenFree(first, () => save());
    assert.equal(runs, 2);
    assert.deepEqual(first.prepare('select n from counters order by n').all(), [{ n: 1 }, { n: 2 }]);
  } finally {
    await cleanup();
  }
});

test('a write waits while another connection holds the write lock, and goes through once it is released', async () => {
  const { first, second, cleanup } = await twoConnections();
  try {
    second.exec('begin immediate');
    setTimeout(() => second.exec('commit'), 50);
    await writeWhenFree(first, () => first.prepare('insert into counters (n) values (3)').run());
    assert.deepEqual(first.prepare('select n from counters').all(), [{ n: 3 }]);
  } finally {
    await cleanup();
  }
});

test('a write still locked out after the wait fails with SQLITE_BUSY, as the busy handler would', async () => {
  const { first, second, cleanup } = await twoConnections();
  try {
    second.exec('begin immediate');
    await assert.rejects(
      writeWhenFree(first, () => first.prepare('insert into counters (n) values (4)').run(), 30),
      (error: { code?: string }) => error.code === 'SQLITE_BUSY',
    );
    second.exec('rollback');
  } finally {
    await cleanup();
  }
});
