import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import pg from 'pg';
import { LogWriter } from '../../src/observability/log/log-writer.js';
import { MemoryLogStore } from '../../src/observability/log/memory-log-store.js';
import { PostgresLogStore } from '../../src/observability/log/postgres-log-store.js';
import { SqliteLogStore } from '../../src/observability/log/sqlite-log-store.js';
import { elideRepeats, restoreRepeats } from '../../src/observability/log/record-values.js';
import { RECORD_COLUMNS, type RequestRecord } from '../../src/observability/log/request-record.js';
import { RETENTION_RECORDS_PER_STEP } from '../../src/observability/log/sqlite-retention.js';
import { SqliteReader } from '../../src/observability/log/sqlite-reader.js';
import { WorkerLogStore } from '../../src/observability/log/worker-log-store.js';
import { createLogger } from '../../src/lib/logger.js';
import { postgresDatabase, sqliteDatabase } from '../../src/storage/sql-database.js';
import { FIXTURE, logStoreSuite, record } from './log-store-suite.js';
import { dropTables, POSTGRES_URL, uniquePrefix } from './postgres.js';

/** SQLite's query plan for `sql`, one step a line. */
function planOf(db: Database.Database, sql: string, ...params: unknown[]): string {
  return db
    .prepare(`explain query plan ${sql}`)
    .all(...params)
    .map((row) => (row as { detail: string }).detail)
    .join('\n');
}

logStoreSuite('memory', async () => ({ store: new MemoryLogStore(), cleanup: async () => {} }));

logStoreSuite('sqlite', async () => {
  const db = new Database(':memory:');
  return { store: new SqliteLogStore(sqliteDatabase(db)), cleanup: async () => void db.close() };
});

/** An SQLite file whose inserts run on the writer thread (as the gateway opens it), reads on this connection. */
async function sqliteFile(workerPath?: (directory: string) => string) {
  const directory = await mkdtemp(join(tmpdir(), 'tollgate-log-store-'));
  const db = new Database(join(directory, 'log.db'));
  db.pragma('journal_mode = WAL');
  const lines: string[] = [];
  const logger = createLogger({ level: 'error', write: (text) => void lines.push(text) });
  // As the gateway opens it: reads on a reader thread, inserts on the writer thread.
  const sql = new SqliteLogStore(sqliteDatabase(db), 'tollgate_', new SqliteReader(join(directory, 'log.db'), sqliteDatabase(db), logger));
  await sql.migrate();
  const store = new WorkerLogStore(sql, workerPath?.(directory) ?? join(directory, 'log.db'), logger);
  const cleanup = async () => {
    await store.close();
    db.close();
    await rm(directory, { recursive: true, force: true });
  };
  return { store, logger, lines, cleanup, db };
}

/** An SQLite file (WAL, as the gateway opens it) written on the gateway's own connection. */
async function sqliteConnectionWithFile() {
  const directory = await mkdtemp(join(tmpdir(), 'tollgate-log-store-'));
  const path = join(directory, 'log.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  const store = new SqliteLogStore(sqliteDatabase(db));
  await store.migrate();
  return {
    store,
    db,
    path,
    cleanup: async () => {
      db.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

logStoreSuite('sqlite file, writer thread', async () => {
  const { store, cleanup } = await sqliteFile();
  return { store, cleanup };
});

test('a writer thread that cannot open the file hands its batches to the gateway connection: nothing is lost', async () => {
  const { store, logger, lines, cleanup } = await sqliteFile((directory) => join(directory, 'missing', 'log.db'));
  try {
    await store.insert(FIXTURE);
    await store.insert(FIXTURE.slice(0, 1).map((entry) => ({ ...entry, request_id: 'after-failure' })));
    const page = await store.query({ filter: { kind: 'all' }, sort: 'timestamp', order: 'asc', limit: 100, offset: 0 });
    assert.equal(page.total, FIXTURE.length + 1);
    logger.flush();
    assert.equal(lines.filter((line) => line.includes('request log writer thread failed')).length, 1);
  } finally {
    await cleanup();
  }
});

logStoreSuite('postgres', async () => {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
  const prefix = uniquePrefix();
  return {
    store: new PostgresLogStore(postgresDatabase(pool), prefix),
    cleanup: async () => {
      await dropTables(pool, prefix);
      await pool.end();
    },
  };
});

/** A pool on the development PostgreSQL and a table prefix of its own, dropped afterwards. */
async function withPostgres(work: (pool: pg.Pool, prefix: string) => Promise<void>): Promise<void> {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
  const prefix = uniquePrefix();
  try {
    await work(pool, prefix);
  } finally {
    await dropTables(pool, prefix);
    await pool.end();
  }
}

test('PostgreSQL stores a batch whose texts hold U+0000 or a lone surrogate (which it cannot take) as U+FFFD, keeps a literal backslash-u0000 as it was, and rounds odd token counts into range', () =>
  withPostgres(async (pool, prefix) => {
    const store = new PostgresLogStore(postgresDatabase(pool), prefix);
    await store.migrate();
    const hostile = record({ request_id: 'nul-1', requested_model: 'gpt\u0000x', error_message: 'upstream said \u0000 \ud800', request_content: 'a\u0000b \\u0000 c\\\u0000d', response_content: 'a lone \udc00 half, a whole \ud83d\ude00' });
    const plain = record({ request_id: 'nul-2', timestamp: '2025-04-01T00:00:00.123Z' });
    // An upstream's usage is whatever number it sent; the columns are bigint.
    const oddUsage = record({ request_id: 'nul-3', input_tokens: 12.6, output_tokens: 1e30, total_tokens: -3 });
    await store.insert([hostile, plain, oddUsage]);
    const { logs } = await store.query({ filter: { kind: 'all' }, sort: 'timestamp', order: 'asc', limit: 10, offset: 0 });
    const stored = new Map(logs.map((log) => [log.request_id, log]));
    assert.equal(stored.size, 3, 'nothing of the batch is lost');
    assert.deepEqual([stored.get('nul-3')!.input_tokens, stored.get('nul-3')!.total_tokens], [13, -3]);
    assert.ok(stored.get('nul-3')!.output_tokens! > 9e18, 'an out-of-range count is kept at the end of the range');
    assert.equal(stored.get('nul-1')!.requested_model, 'gpt\ufffdx');
    assert.equal(stored.get('nul-1')!.error_message, 'upstream said \ufffd \ufffd');
    assert.equal(stored.get('nul-1')!.response_content, 'a lone \ufffd half, a whole \ud83d\ude00');
    assert.equal(stored.get('nul-1')!.request_content, 'a\ufffdb \\u0000 c\\\ufffdd');
    assert.equal(stored.get('nul-2')!.timestamp, '2025-04-01T00:00:00.123Z', 'the time keeps its milliseconds');
  }));

test('PostgreSQL: a batch whose insert committed but whose answer was lost (the server stopped right after) is not stored twice when the writer tries it again', () =>
  withPostgres(async (pool, prefix) => {
    const database = postgresDatabase(pool);
    // As `pg_ctl stop -m immediate` did under load: the statement commits, the connection breaks before its answer.
    let loseNextAnswer = false;
    const store = new PostgresLogStore(
      {
        ...database,
        async execute(sql, params) {
          const changed = await database.execute(sql, params);
          if (loseNextAnswer && sql.startsWith('with inserted')) {
            loseNextAnswer = false;
            throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
          }
          return changed;
        },
      },
      prefix,
    );
    await store.migrate();
    const logger = createLogger({ level: 'error', write: () => {} });
    const writer = new LogWriter({ store, logger, queueSize: 10_000, batchSize: 1000, flushIntervalMs: 3_600_000 });
    // A client may send the same x-request-id again: at another time, that is another record, kept.
    const reused = record({ request_id: 'lost-answer-1', timestamp: '2025-04-01T00:00:05.000Z' });
    await store.insert([reused]);
    loseNextAnswer = true;
    writer.enqueue([record({ request_id: 'lost-answer-1' }), record({ request_id: 'lost-answer-2' }), record({ request_id: 'lost-answer-2', kind: 'attempt', attempt: 1 })]);
    await writer.flush();
    assert.equal(writer.pending, 3, 'the writer saw the insert fail and keeps the batch');
    await writer.flush();
    assert.equal(writer.pending, 0);
    writer.enqueue([record({ request_id: 'lost-answer-3' })]);
    await writer.close();
    const rows = (await pool.query(`select request_id, kind, count(*)::int as n from ${prefix}request_logs group by 1, 2 order by 1, 2`)).rows;
    assert.deepEqual(rows, [
      { request_id: 'lost-answer-1', kind: 'request', n: 2 },
      { request_id: 'lost-answer-2', kind: 'attempt', n: 1 },
      { request_id: 'lost-answer-2', kind: 'request', n: 1 },
      { request_id: 'lost-answer-3', kind: 'request', n: 1 },
    ]);
    const rolledUp = await pool.query(`select sum(requests)::int as n from ${prefix}request_log_rollups_day where kind = 'request'`);
    assert.equal(rolledUp.rows[0].n, 4, 'the rollups count each request record once');
  }));

test('PostgreSQL: records stored before the tag table (migration 7) are found by their tags before and after it catches up, from the table once it has, and retention empties it', () =>
  withPostgres(async (pool, prefix) => {
    const first = new PostgresLogStore(postgresDatabase(pool), prefix);
    await first.migrate();
    const at = (minutes: number) => new Date(Date.parse('2025-04-01T00:00:00.000Z') + minutes * 60_000).toISOString();
    await first.insert([
      record({ request_id: 'old-1', timestamp: at(0), metadata: { env: 'prod' } }),
      record({ request_id: 'old-2', timestamp: at(1), metadata: { env: 'dev' } }),
      record({ request_id: 'old-3', timestamp: at(2), metadata: { env: 'prod', app: 'x' } }),
    ]);
    const tagRows = async () => Number((await pool.query(`select count(*) as n from ${prefix}request_log_tags`)).rows[0].n);
    assert.equal(await tagRows(), 4, 'a batch adds its tags in its own statement');
    // As a log from before migration 7 would be: no tag rows, the backfill's watermark above its newest record.
    await pool.query(`delete from ${prefix}request_log_tags`);
    await pool.query(`insert into ${prefix}request_log_tags_backfill (below) select max(id) + 1 from ${prefix}request_logs`);

    const restarted = new PostgresLogStore(postgresDatabase(pool), prefix);
    const prod = async () => {
      const page = await restarted.query({ filter: { metadata: [{ key: 'env', value: 'prod' }] }, sort: 'timestamp', order: 'desc', limit: 10, offset: 0 });
      return { ids: page.logs.map((log) => log.request_id), total: page.total };
    };
    assert.deepEqual(await prod(), { ids: ['old-3', 'old-1'], total: 2 }, 'before the backfill, the metadata index answers');
    await restarted.indexStoredTags();
    assert.equal(await tagRows(), 4);
    assert.deepEqual((await pool.query(`select count(*) as n from ${prefix}request_log_tags_backfill`)).rows[0].n, '0', 'done: no watermark left');
    // Take one record's tag out of the table only: from now on the table, not the metadata, decides.
    await pool.query(`delete from ${prefix}request_log_tags where log_id = (select id from ${prefix}request_logs where request_id = 'old-1')`);
    assert.deepEqual(await prod(), { ids: ['old-3'], total: 1 });
    // With another filter as well, that filter's index and the metadata index still decide (faster there).
    const prodOk = await restarted.query({ filter: { metadata: [{ key: 'env', value: 'prod' }], statuses: [200] }, sort: 'timestamp', order: 'desc', limit: 10, offset: 0 });
    assert.deepEqual(prodOk.logs.map((log) => log.request_id), ['old-3', 'old-1']);

    await restarted.deleteBefore(Date.parse(at(2)));
    assert.equal(await tagRows(), 2, "retention removes the tag rows of the records it deletes (old-3's two stay)");
  }));

test('PostgreSQL: closing the store stops the tag backfill after the step under way, and a later start resumes from its watermark', () =>
  withPostgres(async (pool, prefix) => {
    const first = new PostgresLogStore(postgresDatabase(pool), prefix);
    await first.migrate();
    // A watermark far above any record: hundreds of steps of 2,000 ids each before it is done.
    await pool.query(`insert into ${prefix}request_log_tags_backfill (below) values (1000000)`);
    const errors: unknown[] = [];
    first.startTagBackfill((error) => errors.push(error));
    await first.close();
    const left = Number((await pool.query(`select below from ${prefix}request_log_tags_backfill`)).rows[0].below);
    assert.ok(left > 1 && left <= 1000000, `stopped part-way (watermark ${left})`);
    assert.deepEqual(errors, []);

    const second = new PostgresLogStore(postgresDatabase(pool), prefix);
    await second.indexStoredTags();
    assert.equal((await pool.query(`select count(*) as n from ${prefix}request_log_tags_backfill`)).rows[0].n, '0');
  }));

/** More records than one SQLite insert statement takes (batchStatements.chunk), and a remainder. */
function largeBatch(size: number): RequestRecord[] {
  return Array.from({ length: size }, (_, index) =>
    record({ request_id: `batch-${String(index).padStart(3, '0')}`, timestamp: new Date(Date.parse('2025-04-01T00:00:00.000Z') + index * 1000).toISOString(), stream: index % 2 === 1, latency_ms: index + 0.5, metadata: { n: String(index) } }),
  );
}

/** An in-memory SQLite database, migrated, on one connection. */
async function sqliteConnection() {
  const db = new Database(':memory:');
  const store = new SqliteLogStore(sqliteDatabase(db));
  await store.migrate();
  return { store, db, cleanup: async () => void db.close() };
}

for (const [name, open] of [
  ['SQLite connection', sqliteConnection],
  ['SQLite writer thread', () => sqliteFile()],
] as const) {
  test(`${name}: a batch larger than one insert statement is stored whole, in order, each field and tag intact`, async () => {
    const { store, cleanup } = await open();
    try {
      const size = new SqliteLogStore(sqliteDatabase(new Database(':memory:'))).batchStatements.chunk * 2 + 7;
      const batch = largeBatch(size);
      await store.insert(batch);
      const page = await store.query({ filter: {}, sort: 'timestamp', order: 'asc', limit: 500, offset: 0 });
      assert.equal(page.total, size);
      assert.deepEqual(page.logs, batch);
      const last = await store.query({ filter: { metadata: [{ key: 'n', value: String(size - 1) }] }, sort: 'timestamp', order: 'asc', limit: 10, offset: 0 });
      assert.deepEqual(last.logs.map((entry) => entry.request_id), [batch[size - 1]!.request_id]);
    } finally {
      await cleanup();
    }
  });
}

test('with content logging on and long bodies, the writer thread stores a thousand requests without running out of memory', async () => {
  const { store, logger, lines, cleanup } = await sqliteFile();
  try {
    const writer = new LogWriter({ store, logger, queueSize: 10_000, batchSize: 1000, flushIntervalMs: 3_600_000 });
    const body = 'x'.repeat(32 * 1024);
    writer.enqueue(Array.from({ length: 1000 }, (_, index) => record({ request_id: `long-${index}`, request_content: `${body}${index}`, response_content: `${body}${index}` })));
    await writer.close();
    assert.equal((await store.query({ filter: {}, sort: 'timestamp', order: 'asc', limit: 1, offset: 0 })).total, 1000);
    logger.flush();
    assert.deepEqual(lines, []);
  } finally {
    await cleanup();
  }
});

test('on an SQLite file, queries, scans and aggregations run on the reader thread, not on the gateway connection', async () => {
  const { store, cleanup, db } = await sqliteFile();
  try {
    await store.insert(FIXTURE);
    // With the gateway's connection closed, only another connection can still answer.
    db.close();
    assert.equal((await store.query({ filter: { kind: 'all' }, sort: 'timestamp', order: 'asc', limit: 10, offset: 0 })).total, FIXTURE.length);
    assert.equal((await store.scan({}, 'desc', 10, undefined)).logs.length, 5);
    assert.equal((await store.aggregate({ filter: {}, groupBy: ['provider'], bucketMs: undefined })).length, 2);
    assert.deepEqual((await store.query({ filter: { text: 'zebras' }, sort: 'timestamp', order: 'asc', limit: 10, offset: 0 })).logs.map((entry) => entry.request_id), ['r1']);
  } finally {
    await cleanup().catch(() => {});
  }
});

test('the reader thread starts with the first read, stops when idle, and starts again for the next read', async () => {
  const { db, path, cleanup } = await sqliteConnectionWithFile();
  const reader = new SqliteReader(path, sqliteDatabase(db), createLogger({ level: 'silent' }), 50);
  try {
    const store = new SqliteLogStore(sqliteDatabase(db), 'tollgate_', reader);
    await store.insert(FIXTURE);
    assert.equal(reader.running, false);
    assert.equal((await store.query({ filter: {}, sort: 'timestamp', order: 'asc', limit: 10, offset: 0 })).total, 5);
    assert.equal(reader.running, true);
    for (let attempt = 0; attempt < 100 && reader.running; attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(reader.running, false);
    assert.equal((await store.query({ filter: { kind: 'all' }, sort: 'timestamp', order: 'asc', limit: 10, offset: 0 })).total, 6);
    assert.equal(reader.running, true);
  } finally {
    await reader.close();
    await cleanup();
  }
});

test('SQLite retention finds old records and tag rows through indexes, never by reading the table', async () => {
  const { store, db, cleanup } = await sqliteConnection();
  try {
    const plan = (sql: string, ...params: unknown[]) => planOf(db, sql, ...params);
    const retention = store.retentionStatements;
    assert.match(plan(retention.records, 'request', 0, 10), /SEARCH tollgate_request_logs USING COVERING INDEX tollgate_request_logs_ts \(kind=\? AND ts<\?\)/);
    assert.doesNotMatch(plan(retention.records, 'request', 0, 10), /SCAN tollgate_request_logs\b/);
    assert.match(plan(retention.nextTag, ''), /SEARCH tollgate_request_log_tags USING PRIMARY KEY \(tag>\?\)/);
    assert.match(plan(retention.tagRows, 'x', 0), /SEARCH tollgate_request_log_tags USING PRIMARY KEY \(tag=\? AND ts<\?\)/);
  } finally {
    await cleanup();
  }
});

for (const [name, open] of [
  ['SQLite connection', sqliteConnectionWithFile],
  ['SQLite writer thread', () => sqliteFile()],
] as const) {
  test(`${name}: a retention sweep larger than one step deletes every old record and its tag rows, and nothing newer`, async () => {
    const { store, cleanup, db } = await open();
    try {
      const old = Date.parse('2025-01-01T00:00:00.000Z');
      const fresh = Date.parse('2025-06-01T00:00:00.000Z');
      const oldCount = RETENTION_RECORDS_PER_STEP * 2 + 50;
      const records = [
        ...Array.from({ length: oldCount }, (_, index) => record({ request_id: `old-${index}`, timestamp: new Date(old + index).toISOString(), metadata: { user: `u${index % 300}`, env: 'prod' } })),
        ...Array.from({ length: 30 }, (_, index) => record({ request_id: `new-${index}`, timestamp: new Date(fresh + index).toISOString(), metadata: { user: `u${index}`, env: 'prod' } })),
        record({ request_id: 'old-retried', kind: 'attempt', attempt: 1, parent_request_id: 'old-0', timestamp: new Date(old).toISOString() }),
      ];
      for (let start = 0; start < records.length; start += 1000) await store.insert(records.slice(start, start + 1000));
      assert.equal(await store.deleteBefore(fresh), oldCount + 1);
      const left = await store.query({ filter: { kind: 'all' }, sort: 'timestamp', order: 'asc', limit: 100, offset: 0 });
      assert.deepEqual(
        left.logs.map((entry) => entry.request_id),
        Array.from({ length: 30 }, (_, index) => `new-${index}`),
      );
      const tagged = await store.query({ filter: { metadata: [{ key: 'env', value: 'prod' }] }, sort: 'timestamp', order: 'asc', limit: 100, offset: 0 });
      assert.equal(tagged.total, 30);
      // Two tags per remaining record; none left behind by the deleted ones.
      assert.equal((db.prepare('select count(*) as n from tollgate_request_log_tags').get() as { n: number }).n, 60);
    } finally {
      await cleanup();
    }
  });
}

test('SQLite content search goes through the content index, which catches up with records stored before migration 6 and which retention empties', async () => {
  const { store, db, cleanup } = await sqliteConnection();
  try {
    const search = async (text: string) => (await store.query({ filter: { text }, sort: 'timestamp', order: 'asc', limit: 10, offset: 0 })).logs.map((entry) => entry.request_id);
    await store.insert([
      record({ request_id: 'before-upgrade', timestamp: '2025-01-01T00:00:00.000Z', request_content: '{"q":"Where do Zebras sleep?"}', response_content: 'Standing up.' }),
      record({ request_id: 'no-content', timestamp: '2025-01-01T00:00:01.000Z' }),
    ]);
    // As a database last migrated to version 5 would be: no content index yet.
    db.exec('drop table tollgate_request_log_text; drop table tollgate_request_log_text_backfill');
    // Nor the columns of migration 8 (the exact cost and the ledger's charge).
    db.exec('alter table tollgate_request_logs drop column cost_exact; alter table tollgate_request_logs drop column charged_nano_usd');
    // Nor those of migration 9 (the response cache).
    db.exec('alter table tollgate_request_logs drop column cache_entry_id; alter table tollgate_request_logs drop column cache_similarity; alter table tollgate_request_logs drop column cache_saved_usd');
    // Nor that of migration 10 (the guardrails' decisions).
    db.exec('alter table tollgate_request_logs drop column guardrails');
    // Nor those of migration 11 (units and the realtime session).
    db.exec(['drop index tollgate_request_logs_session', ...['session_id', 'images', 'characters', 'audio_seconds', 'search_units', 'input_audio_tokens', 'output_audio_tokens'].map((column) => `alter table tollgate_request_logs drop column ${column}`)].join('; '));
    db.prepare("delete from tollgate_migrations where component = 'request_log' and version >= 6").run();
    await store.migrate();
    await store.insert([record({ request_id: 'after-upgrade', timestamp: '2025-06-01T00:00:00.000Z', response_content: 'zebras, mostly' })]);
    // Until the earlier records are indexed, searches read the rows: nothing is missed meanwhile.
    assert.deepEqual(await search('ZEBRA'), ['before-upgrade', 'after-upgrade']);
    await store.indexStoredText();
    assert.equal((db.prepare('select count(*) as n from tollgate_request_log_text_backfill').get() as { n: number }).n, 0);
    assert.deepEqual(await search('ZEBRA'), ['before-upgrade', 'after-upgrade']);
    assert.deepEqual(await search('standing'), ['before-upgrade']);
    assert.match(planOf(db, 'select id from tollgate_request_logs where id in (select rowid from tollgate_request_log_text where tollgate_request_log_text match ?)', '"zebra"'), /VIRTUAL TABLE INDEX/);
    const indexed = () => (db.prepare('select count(*) as n from tollgate_request_log_text').get() as { n: number }).n;
    assert.equal(indexed(), 2);
    await store.deleteBefore(Date.parse('2025-03-01T00:00:00.000Z'));
    assert.equal(indexed(), 1);
    assert.deepEqual(await search('zebra'), ['after-upgrade']);
    // The store reads the index (not the rows): without its entry the record is not found.
    db.prepare('delete from tollgate_request_log_text').run();
    assert.deepEqual(await search('zebra'), []);
    // Under three characters a trigram index cannot help: the rows are read.
    assert.deepEqual(await search('ze'), ['after-upgrade']);
  } finally {
    await cleanup();
  }
});

test('the writer thread indexes the content of records stored before migration 6, in the background', async () => {
  const { store: sql, db, path, cleanup } = await sqliteConnectionWithFile();
  try {
    const older = Array.from({ length: 4500 }, (_, index) => record({ request_id: `older-${index}`, timestamp: new Date(Date.parse('2025-01-01T00:00:00.000Z') + index).toISOString(), response_content: index % 3 === 0 ? `answer ${index} about kubernetes` : null }));
    await sql.insert(older);
    db.exec('drop table tollgate_request_log_text; drop table tollgate_request_log_text_backfill');
    // Nor the columns of migration 8 (the exact cost and the ledger's charge).
    db.exec('alter table tollgate_request_logs drop column cost_exact; alter table tollgate_request_logs drop column charged_nano_usd');
    // Nor those of migration 9 (the response cache).
    db.exec('alter table tollgate_request_logs drop column cache_entry_id; alter table tollgate_request_logs drop column cache_similarity; alter table tollgate_request_logs drop column cache_saved_usd');
    // Nor that of migration 10 (the guardrails' decisions).
    db.exec('alter table tollgate_request_logs drop column guardrails');
    // Nor those of migration 11 (units and the realtime session).
    db.exec(['drop index tollgate_request_logs_session', ...['session_id', 'images', 'characters', 'audio_seconds', 'search_units', 'input_audio_tokens', 'output_audio_tokens'].map((column) => `alter table tollgate_request_logs drop column ${column}`)].join('; '));
    db.prepare("delete from tollgate_migrations where component = 'request_log' and version >= 6").run();
    await sql.migrate();
    const store = new WorkerLogStore(sql, path, createLogger({ level: 'silent' }));
    try {
      const waiting = () => db.prepare('select count(*) as n from tollgate_request_log_text_backfill').get() as { n: number };
      for (let attempt = 0; attempt < 200 && waiting().n > 0; attempt++) await new Promise((resolve) => setTimeout(resolve, 25));
      assert.equal(waiting().n, 0);
      assert.equal((db.prepare('select count(*) as n from tollgate_request_log_text').get() as { n: number }).n, 1500);
      const found = await store.query({ filter: { text: 'KUBERNETES' }, sort: 'timestamp', order: 'asc', limit: 5, offset: 0 });
      assert.equal(found.total, 1500);
      assert.deepEqual(found.logs.map((entry) => entry.request_id), ['older-0', 'older-3', 'older-6', 'older-9', 'older-12']);
    } finally {
      await store.close();
    }
  } finally {
    await cleanup();
  }
});

test('SQLite: a batch fills the tag table from its own new records, not by reading the whole log', async () => {
  const { store, db, cleanup } = await sqliteConnection();
  try {
    await store.insert(FIXTURE);
    const plan = planOf(db, store.batchStatements.tags, 0);
    // Through a kind-led index the statement would visit every request record ever logged, per batch.
    assert.match(plan, /^SEARCH logs USING INTEGER PRIMARY KEY \(rowid>\?\)/m);
    const tagged = db.prepare('select tag, log_id from tollgate_request_log_tags order by log_id, tag').all() as { tag: string; log_id: number }[];
    const last = (db.prepare('select max(id) as id from tollgate_request_logs').get() as { id: number }).id;
    await store.insert([{ ...FIXTURE[0]!, request_id: 'later', metadata: { env: 'staging' } }]);
    const added = (db.prepare('select tag, log_id from tollgate_request_log_tags order by log_id, tag').all() as { tag: string; log_id: number }[]).slice(tagged.length);
    assert.deepEqual(added, [{ tag: `${Buffer.from('env').toString('hex').toUpperCase()}=staging`, log_id: last + 1 }]);
  } finally {
    await cleanup();
  }
});

test('the writer thread stores each record as sent, whichever of its values repeat the record before (sent once, as undefined)', async () => {
  const { store, db, cleanup } = await sqliteFile();
  try {
    const shared = Object.freeze({ team: 'a' });
    // Runs of equal values broken by another value, by null and back: the thread must restore each from its own predecessor.
    const models = ['m1', 'm1', 'm2', 'm1', null, null, 'm1'];
    const batch = models.map((model, index) =>
      record({ request_id: `repeat-${index}`, model, metadata: index === 3 ? { team: 'b' } : shared, status: index === 5 ? 500 : 200, cost_usd: index < 2 ? 0.5 : null }),
    );
    await store.insert(batch);
    const rows = db.prepare("select request_id, model, metadata, status, cost_usd from tollgate_request_logs where request_id like 'repeat-%' order by id").all();
    assert.deepEqual(
      rows,
      batch.map((sent) => ({ request_id: sent.request_id, model: sent.model, metadata: JSON.stringify(sent.metadata), status: sent.status, cost_usd: sent.cost_usd })),
    );
  } finally {
    await cleanup();
  }
});

test('a batch that reaches the writer thread while another connection writes waits for it and is stored, not lost', async () => {
  const { store, db, cleanup } = await sqliteFile();
  try {
    await store.insert(FIXTURE.slice(0, 1));
    // Another writer on the file (the gateway's connection saving spend counters, say) holds the
    // write lock when the batch arrives, and commits while the thread waits for it. A thread that
    // read before asking for the lock would hold a snapshot older than that commit, which SQLite
    // refuses to write from ("database is locked"): the whole batch would be dropped.
    db.exec('create table other_writer (n integer)');
    db.exec('begin immediate');
    db.prepare('insert into other_writer (n) values (1)').run();
    const inserted = store.insert(FIXTURE.map((entry) => ({ ...entry, request_id: `during-${entry.request_id}` })));
    await new Promise((resolve) => setTimeout(resolve, 150));
    db.prepare('insert into other_writer (n) values (2)').run();
    db.exec('commit');
    await inserted;
    const stored = db.prepare("select count(*) as count from tollgate_request_logs where request_id like 'during-%'").get() as { count: number };
    assert.equal(stored.count, FIXTURE.length);
  } finally {
    await cleanup();
  }
});

test('elideRepeats and restoreRepeats round-trip a batch through the copy between threads', () => {
  const columns = 3;
  const values = ['a', 1, null, 'a', 1, 'x', 'b', 1, 'x', 'a', 2, null, 'a', 2, null];
  const sent = [...values] as (string | number | null | undefined)[];
  elideRepeats(sent, columns);
  assert.deepEqual(sent, ['a', 1, null, undefined, undefined, 'x', 'b', undefined, undefined, 'a', 2, null, undefined, undefined, undefined]);
  const received = structuredClone(sent);
  restoreRepeats(received, columns);
  assert.deepEqual(received, values);

  // A value left undefined is sent as NULL, not as a repeat of the one above it.
  const holes = ['a', 1, 'a', undefined];
  elideRepeats(holes, 2);
  restoreRepeats(holes, 2);
  assert.deepEqual(holes, ['a', 1, 'a', null]);
});

test('SqliteLogStore.values lists a record in RECORD_COLUMNS order, the stored columns', () => {
  const store = new SqliteLogStore(sqliteDatabase(new Database(':memory:')));
  // Every column gets a value of its own, so a swapped pair would show.
  const distinct = Object.fromEntries(RECORD_COLUMNS.map((column, index) => [column, `value-${index}`])) as unknown as RequestRecord;
  distinct.timestamp = '2026-11-30T05:00:00.000Z';
  distinct.metadata = { index: '10' };
  const expected = RECORD_COLUMNS.map((column, index) => (column === 'timestamp' ? Date.parse(distinct.timestamp) : column === 'metadata' ? '{"index":"10"}' : `value-${index}`));
  assert.deepEqual(store.values(distinct), expected);
});

test('the SQLite writer thread runs at a lower priority than the gateway (nice 10), the gateway thread unchanged', async (t) => {
  if (process.platform !== 'linux') return t.diagnostic('per-thread nice values are read from /proc on Linux');
  const { store, cleanup } = await sqliteFile();
  try {
    await store.insert(FIXTURE.slice(0, 1));
    const nice = (tid: string) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    };
    const values = readdirSync('/proc/self/task').map(nice);
    assert.equal(nice(String(process.pid)), 0);
    assert.equal(values.filter((value) => value === 10).length, 1, `nice values: ${values.join(', ')}`);
  } finally {
    await cleanup();
  }
});
