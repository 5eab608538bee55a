import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { createLogger } from '../../src/lib/logger.js';
import { LogWriter, MAX_WRITE_ATTEMPTS } from '../../src/observability/log/log-writer.js';
import { requestJournal } from '../../src/observability/log/request-journal.js';
import type { RequestRecord } from '../../src/observability/log/request-record.js';
import { SqliteLogStore } from '../../src/observability/log/sqlite-log-store.js';
import { WorkerLogStore } from '../../src/observability/log/worker-log-store.js';
import { sqliteDatabase } from '../../src/storage/sql-database.js';
import { record } from './log-store-suite.js';

const silent = createLogger({ level: 'silent' });
let directory: string;

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tollgate-request-journal-'));
});

after(() => rm(directory, { recursive: true, force: true }));

/** The SQLite request log, failing its next `failures` inserts (a locked or full disk). */
class FailingStore extends SqliteLogStore {
  failures = 0;

  override async insert(records: readonly RequestRecord[]): Promise<number> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('disk full');
    }
    return super.insert(records);
  }
}

function openStore(): FailingStore {
  return new FailingStore(sqliteDatabase(new Database(':memory:')));
}

/** The records stored above `after`, by the key each test record is named with. */
async function idsOf(store: SqliteLogStore, after: number): Promise<string[]> {
  return (await store.spendBetween(after, Number.MAX_SAFE_INTEGER)).map((spend) => spend.virtualKeyId!);
}

const named = (id: string, cost = 0.25) => record({ request_id: id, virtual_key_id: id, cost_usd: cost });

test('a mark in the middle of a batch gets the id of its own record: the records after it stay above the watermark', async () => {
  const store = openStore();
  await store.migrate();
  await store.insert([named('earlier-1'), named('earlier-2')]);
  const baseline = await store.lastId();
  const writer = new LogWriter({ store, logger: silent, queueSize: 100, batchSize: 2, flushIntervalMs: 3_600_000, journalBaseline: baseline });
  const journal = requestJournal(store, writer, baseline);

  assert.equal(await journal.durable(journal.mark()), baseline);
  writer.enqueue([named('a'), named('b'), named('c')]);
  const mark = journal.mark();
  writer.enqueue([named('d'), named('e')]);
  const watermark = await journal.durable(mark);
  await writer.flush();
  // Batches of two: [a b] [c d] [e]; the mark fell after c.
  assert.deepEqual(await idsOf(store, watermark), ['d', 'e']);
  // Replay sees the earlier run's records only, never this run's own.
  assert.deepEqual((await journal.spendAfter(0)).map((spend) => spend.virtualKeyId), ['earlier-1', 'earlier-2']);
  await writer.close();
});

test('replay reads request records with a known, non-zero cost, with their key, provider and arrival', async () => {
  const store = openStore();
  await store.migrate();
  await store.insert([
    record({ request_id: 'r1', virtual_key_id: 'k', provider: 'mock', cost_usd: 0.5, timestamp: '2026-03-01T10:00:00.000Z' }),
    record({ request_id: 'r1', kind: 'attempt', attempt: 1, parent_request_id: 'r1', virtual_key_id: 'k', cost_usd: 0.5 }),
    record({ request_id: 'r2', virtual_key_id: 'k', cost_usd: null }),
    record({ request_id: 'r3', virtual_key_id: null, provider: 'other', cost_usd: 0.125, timestamp: '2026-03-01T11:00:00.000Z' }),
    record({ request_id: 'r4', virtual_key_id: 'k', cost_usd: 0 }),
    // Unknown cost, charged its reservation: replayed with that charge.
    record({ request_id: 'r5', virtual_key_id: 'k', provider: 'mock', cost_usd: null, charged_nano_usd: 2_000_000, timestamp: '2026-03-01T12:00:00.000Z' }),
  ]);
  assert.deepEqual(await store.spendBetween(0, await store.lastId()), [
    { virtualKeyId: 'k', provider: 'mock', costUsd: 0.5, receivedAt: Date.parse('2026-03-01T10:00:00.000Z') },
    { virtualKeyId: null, provider: 'other', costUsd: 0.125, receivedAt: Date.parse('2026-03-01T11:00:00.000Z') },
    { virtualKeyId: 'k', provider: 'mock', costUsd: 0, chargedNanoUsd: 2_000_000, receivedAt: Date.parse('2026-03-01T12:00:00.000Z') },
  ]);
});

test('a batch dropped after its last try is settled below the watermark of the records stored before it', async () => {
  const store = openStore();
  await store.migrate();
  const writer = new LogWriter({ store, logger: silent, queueSize: 100, batchSize: 10, flushIntervalMs: 3_600_000, journalBaseline: 0 });
  const journal = requestJournal(store, writer, 0);
  writer.enqueue([named('kept')]);
  await writer.flush();
  store.failures = MAX_WRITE_ATTEMPTS;
  writer.enqueue([named('lost-1'), named('lost-2')]);
  const mark = journal.mark();
  let watermark: number | undefined;
  const durable = journal.durable(mark).then((value) => (watermark = value));
  for (let tries = 1; tries < MAX_WRITE_ATTEMPTS; tries++) {
    assert.equal(watermark, undefined);
    await writer.flush();
  }
  await durable;
  assert.equal(watermark, await store.lastId());
  writer.enqueue([named('after')]);
  await writer.flush();
  assert.deepEqual(await idsOf(store, watermark!), ['after']);
  await writer.close();
});

test('on an SQLite file the writer thread reports each batch last id, so the journal works across the thread', async () => {
  const path = join(directory, 'threaded.db');
  const database = new Database(path);
  database.pragma('journal_mode = WAL');
  const sqlite = new SqliteLogStore(sqliteDatabase(database));
  await sqlite.migrate();
  const store = new WorkerLogStore(sqlite, path, silent);
  const baseline = await store.lastId();
  const writer = new LogWriter({ store, logger: silent, queueSize: 100, batchSize: 3, flushIntervalMs: 3_600_000, journalBaseline: baseline });
  const journal = requestJournal(store, writer, baseline);
  writer.enqueue([named('a'), named('b')]);
  const mark = journal.mark();
  writer.enqueue([named('c'), named('d'), named('e')]);
  const watermark = await journal.durable(mark);
  await writer.flush();
  assert.deepEqual(
    (await sqlite.spendBetween(watermark, Number.MAX_SAFE_INTEGER)).map((spend) => spend.virtualKeyId),
    ['c', 'd', 'e'],
  );
  await writer.close();
  await store.close();
  database.close();
});

test('a wait for records asked for after several batches were stored since its mark resolves (it once rejected, and the interval that asked ended the process)', async () => {
  const store = openStore();
  await store.migrate();
  const writer = new LogWriter({ store, logger: silent, queueSize: 100, batchSize: 2, flushIntervalMs: 3_600_000, journalBaseline: await store.lastId() });
  writer.enqueue([named('a')]);
  const mark = writer.positions.accepted;
  // Three batches after the mark: [a b] [c d] [e f]; the watermark of `mark` is no longer known.
  writer.enqueue([named('b'), named('c'), named('d'), named('e'), named('f')]);
  await writer.flush();
  await assert.rejects(writer.positions.durable(mark), /older than the last batch stored/);
  await writer.positions.settledThrough(mark);
  // A later mark still waits for its batch (once the flush the full queue scheduled has run).
  await new Promise((resolve) => setImmediate(resolve));
  writer.enqueue([named('g')]);
  let settled = false;
  const waiting = writer.positions.settledThrough(writer.positions.accepted).then(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false);
  await writer.flush();
  await waiting;
  assert.equal(settled, true);
  await writer.close();
});
