import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { aggregateRecords } from '../../src/observability/log/aggregate-records.js';
import { createLogger } from '../../src/lib/logger.js';
import type { AggregateQuery, AggregateRow, GroupDimension, LogFilter } from '../../src/observability/log/log-filter.js';
import type { LogStore } from '../../src/observability/log/log-store.js';
import { PostgresLogStore } from '../../src/observability/log/postgres-log-store.js';
import type { RequestRecord } from '../../src/observability/log/request-record.js';
import { planAggregate } from '../../src/observability/log/rollup-plan.js';
import { SqliteLogStore } from '../../src/observability/log/sqlite-log-store.js';
import { SqliteReader } from '../../src/observability/log/sqlite-reader.js';
import { WorkerLogStore } from '../../src/observability/log/worker-log-store.js';
import { postgresDatabase, sqliteDatabase } from '../../src/storage/sql-database.js';
import { record } from './log-store-suite.js';
import { dropTables, POSTGRES_URL, uniquePrefix } from './postgres.js';
import { seededRandom } from '../../bench/seeded-random.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Five days from a Monday 00:00 UTC, plus the hours around them. */
const START = Date.parse('2025-06-02T00:00:00.000Z');

function pick<T>(next: () => number, values: readonly T[]): T {
  return values[Math.floor(next() * values.length)]!;
}

/** Records over five days and a half: requests, attempts and agent turns, nulls in every nullable dimension, latencies from 0.3 ms to 40 minutes. */
function records(count: number, seed: number): RequestRecord[] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, (_, index) => {
    const kind = next() < 0.2 ? 'attempt' : 'request';
    const failed = next() < 0.15;
    const key = pick(next, ['key-a', 'key-b', 'key-c', null]);
    const operation = pick(next, ['chat', 'chat', 'embeddings', 'mcp_tool_call']);
    const input = next() < 0.1 ? null : Math.floor(next() * 3000);
    return record({
      request_id: `r${seed}-${index}`,
      kind,
      attempt: kind === 'attempt' ? 1 : 0,
      // Agent turns: chat requests with a parent, which no aggregate counts.
      parent_request_id: kind === 'request' && next() < 0.1 ? `parent-${index}` : null,
      timestamp: new Date(START - 7 * HOUR + Math.floor(next() * (5 * DAY + 14 * HOUR))).toISOString(),
      operation,
      virtual_key_id: key,
      team_id: key === null ? null : `team-${key.slice(-1) === 'c' ? 2 : 1}`,
      customer_id: pick(next, ['cust-1', 'cust-2', null]),
      provider: pick(next, ['openai', 'anthropic', null]),
      model: pick(next, ['gpt-4o', 'claude', 'gemini', null]),
      status: failed ? pick(next, [400, 429, 500]) : 200,
      error_code: failed ? pick(next, ['upstream_rate_limited', 'guardrail_blocked', null]) : null,
      error_type: failed ? pick(next, ['api_error', 'invalid_request_error']) : null,
      cache_hit: failed ? null : pick(next, [null, null, 'exact', 'semantic']),
      stream: next() < 0.5,
      latency_ms: next() < 0.02 ? 0.3 : Math.round(10 ** (next() * 6.4) * 10) / 10,
      input_tokens: input,
      output_tokens: input === null ? null : Math.floor(next() * 800),
      total_tokens: input === null ? null : input + 1,
      // Micro-dollars, as priced costs are: sums in any order round to the same figure.
      cost_usd: next() < 0.2 ? null : Math.floor(next() * 50_000) / 1e6,
      cache_saved_usd: next() < 0.8 ? null : Math.floor(next() * 9_000) / 1e6,
      images: next() < 0.9 ? null : Math.floor(next() * 4),
      audio_seconds: next() < 0.9 ? null : Math.floor(next() * 400) / 4,
      metadata: { env: pick(next, ['prod', 'dev']) },
    });
  });
}

/** A random aggregate the rollups can answer: a range (edges inside hours, on hours, open), groups, buckets and filters among their dimensions. */
function query(next: () => number): AggregateQuery {
  const edge = () => {
    const roll = next();
    if (roll < 0.15) return undefined;
    const at = START - 8 * HOUR + Math.floor(next() * (5 * DAY + 16 * HOUR));
    return roll < 0.35 ? Math.floor(at / HOUR) * HOUR : roll < 0.45 ? Math.floor(at / DAY) * DAY : at;
  };
  let from = edge();
  let to = edge();
  if (from !== undefined && to !== undefined && from > to) [from, to] = [to, from];
  const filter: LogFilter = { kind: pick(next, ['request', 'request', 'attempt', 'all'] as const) };
  if (from !== undefined) filter.from = from;
  if (to !== undefined) filter.to = to;
  if (next() < 0.25) filter.providers = [pick(next, ['openai', 'anthropic'])];
  if (next() < 0.2) filter.virtualKeys = ['key-a', 'key-c'];
  if (next() < 0.2) filter.outcome = pick(next, ['success', 'error'] as const);
  if (next() < 0.15) filter.statuses = [429, 500];
  if (next() < 0.15) filter.cacheHits = ['exact'];
  if (next() < 0.15) filter.operations = ['chat'];
  const dimensions: GroupDimension[] = ['provider', 'model', 'virtual_key_id', 'team_id', 'customer_id', 'status', 'error_code', 'error_type', 'operation', 'cache_hit'];
  const groupBy = dimensions.filter(() => next() < 0.2);
  const bucketMs = pick(next, [undefined, undefined, HOUR, 2 * HOUR, DAY, 7 * DAY]);
  return { filter, groupBy, bucketMs, percentiles: next() < 0.5 };
}

/** The same filter with a condition every record meets but the rollups cannot test: the store reads the records. */
function fromRecords(query: AggregateQuery): AggregateQuery {
  return { ...query, filter: { ...query.filter, minLatencyMs: 0 } };
}

async function compare(store: LogStore, stored: readonly RequestRecord[], seed: number, queries: number): Promise<number> {
  const next = seededRandom(seed);
  let fromRollups = 0;
  for (let index = 0; index < queries; index++) {
    const asked = query(next);
    const plan = planAggregate(asked);
    if (plan !== undefined && plan.rollups.length > 0) fromRollups++;
    const expected = aggregateRecords(stored.filter((one) => matches(one, asked.filter)), asked);
    const context = JSON.stringify(asked);
    const answer = await store.aggregate(asked);
    assert.deepEqual(rounded(answer), rounded(expected), `rollups against records in memory: ${context}`);
    assert.deepEqual(rounded(await store.aggregate(fromRecords(asked))), rounded(answer), `rollups against the store's own record scan: ${context}`);
  }
  return fromRollups;
}

/**
 * Rows with their sums of doubles (costs, seconds of audio) to 12 significant digits: summed in
 * another order (per hour, then the hours), a sum of hundreds of costs may differ in its 15th
 * digit, beyond what summedUsdNumber takes for noise. Counts, tokens and percentiles stay exact.
 */
function rounded(rows: AggregateRow[]): AggregateRow[] {
  const twelve = (value: number) => Number(value.toPrecision(12));
  return rows.map((row) => ({ ...row, cost_usd: twelve(row.cost_usd), cache_saved_usd: twelve(row.cache_saved_usd), audio_seconds: twelve(row.audio_seconds) }));
}

/** The memory store's filter, for the expected answer. */
function matches(one: RequestRecord, filter: LogFilter): boolean {
  const at = Date.parse(one.timestamp);
  const kind = filter.kind ?? 'request';
  if (kind !== 'all' && one.kind !== kind) return false;
  if ((filter.from !== undefined && at < filter.from) || (filter.to !== undefined && at >= filter.to)) return false;
  const among = <T>(values: readonly T[] | undefined, value: T | null) => values === undefined || (value !== null && values.includes(value));
  if (!among(filter.providers, one.provider) || !among(filter.virtualKeys, one.virtual_key_id) || !among(filter.statuses, one.status)) return false;
  if (!among(filter.cacheHits, one.cache_hit) || !among(filter.operations, one.operation)) return false;
  if (filter.outcome === 'success' && one.status >= 400) return false;
  if (filter.outcome === 'error' && one.status < 400) return false;
  return true;
}

/** Inserts in batches of varied size, as the log writer does. */
async function insertAll(store: LogStore, all: readonly RequestRecord[]): Promise<void> {
  for (let start = 0, size = 1; start < all.length; start += size, size = (size * 7) % 400 || 1) await store.insert(all.slice(start, start + size));
}

const RECORDS = 4000;
const QUERIES = 150;

test('SQLite: aggregates from the rollups equal the record scan (counts, sums, costs, percentiles) on random data, ranges, groups, buckets and filters', async () => {
  const db = new Database(':memory:');
  try {
    const store = new SqliteLogStore(sqliteDatabase(db));
    await store.migrate();
    const all = records(RECORDS, 11);
    await insertAll(store, all);
    const fromRollups = await compare(store, all, 12, QUERIES);
    assert.ok(fromRollups > QUERIES / 2, `most queries read rollups (${fromRollups})`);
  } finally {
    db.close();
  }
});

test('SQLite file: the writer thread keeps the rollups, and rolls up records stored before them (migration 12) in the background', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'tollgate-rollups-'));
  const path = join(directory, 'log.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  const logger = createLogger({ level: 'silent' });
  const open = async () => {
    const sql = new SqliteLogStore(sqliteDatabase(db), 'tollgate_', new SqliteReader(path, sqliteDatabase(db), logger));
    await sql.migrate();
    return new WorkerLogStore(sql, path, logger);
  };
  try {
    const first = await open();
    const all = records(RECORDS, 21);
    const [older, newer] = [all.slice(0, 3000), all.slice(3000)];
    await insertAll(first, older);
    await first.close();
    // As a log from before migration 12 would be: no rollups, the watermark above its newest record.
    db.exec('delete from tollgate_request_log_rollups');
    db.exec('insert into tollgate_request_log_rollups_backfill (below) select max(id) + 1 from tollgate_request_logs');
    const second = await open();
    await insertAll(second, newer);
    // The backfill runs in steps between batches: wait until it is done (no watermark left).
    for (let waited = 0; db.prepare('select below from tollgate_request_log_rollups_backfill').get() !== undefined; waited++) {
      assert.ok(waited < 600, 'the rollups caught up within a minute');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await compare(second, all, 22, 60);
    await second.close();
  } finally {
    db.close();
    await rm(directory, { recursive: true, force: true });
  }
});

test('PostgreSQL: aggregates from the rollups equal the record scan on random data; records stored before the rollups are rolled up once, even by two replicas at a time', async () => {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 6 });
  const prefix = uniquePrefix();
  try {
    const store = new PostgresLogStore(postgresDatabase(pool), prefix);
    await store.migrate();
    const all = records(RECORDS, 31);
    await insertAll(store, all);
    const fromRollups = await compare(store, all, 32, QUERIES);
    assert.ok(fromRollups > QUERIES / 2, `most queries read rollups (${fromRollups})`);

    await pool.query(`delete from ${prefix}request_log_rollups`);
    await pool.query(`insert into ${prefix}request_log_rollups_backfill (below) select max(id) + 1 from ${prefix}request_logs`);
    const [one, two] = [new PostgresLogStore(postgresDatabase(pool), prefix), new PostgresLogStore(postgresDatabase(pool), prefix)];
    await Promise.all([one.rollUpStoredRecords(), two.rollUpStoredRecords()]);
    await compare(one, all, 33, 60);
  } finally {
    await dropTables(pool, prefix);
    await pool.end();
  }
});

for (const backend of ['sqlite', 'postgres'] as const) {
  test(`${backend}: retention deletes the hourly rollups of hours wholly before its cut-off with their records; daily rollups outlive them (docs/observability.md)`, async () => {
    const db = backend === 'sqlite' ? new Database(':memory:') : undefined;
    const pool = backend === 'postgres' ? new pg.Pool({ connectionString: POSTGRES_URL, max: 2 }) : undefined;
    const prefix = uniquePrefix();
    try {
      const store = db !== undefined ? new SqliteLogStore(sqliteDatabase(db), prefix) : new PostgresLogStore(postgresDatabase(pool!), prefix);
      await store.migrate();
      const at = (hours: number) => new Date(START + hours * HOUR).toISOString();
      await store.insert([record({ request_id: 'old', timestamp: at(1.5) }), record({ request_id: 'edge', timestamp: at(2.5) }), record({ request_id: 'new', timestamp: at(5.5) })]);
      await store.deleteBefore(START + 2.75 * HOUR);
      const requests = async (filter: LogFilter) => (await store.aggregate({ filter, groupBy: [], bucketMs: undefined })).reduce((sum: number, row: AggregateRow) => sum + row.requests, 0);
      assert.equal(await requests({ from: START, to: START + DAY }), 3, 'a whole day: its daily row still counts the deleted records');
      assert.equal(await requests({}), 3, 'all time: daily rows');
      assert.equal(await requests({ from: START, to: START + 6 * HOUR }), 2, "whole hours: the deleted record's hour went, the hour holding the cut-off stays");
      assert.equal(await requests({ from: START + 2 * HOUR + 1, to: START + 6 * HOUR }), 1, 'partial hours come from the records');
      assert.equal(await requests({ from: START, to: START + DAY, minLatencyMs: 0 }), 1, 'a filter the rollups cannot test reads the records');
    } finally {
      db?.close();
      if (pool !== undefined) {
        await dropTables(pool, prefix);
        await pool.end();
      }
    }
  });
}

test('SQLite: a batch and a backfill step roll up their own records through the id range, never by reading the whole log', async () => {
  const db = new Database(':memory:');
  try {
    const store = new SqliteLogStore(sqliteDatabase(db));
    await store.migrate();
    await store.insert(records(50, 41));
    const plan = (sql: string, ...params: number[]) => (db.prepare(`explain query plan ${sql}`).all(...params) as { detail: string }[]).map((row) => row.detail).join('\n');
    // Through an index sorted by a group column the planner could skip the sort, and visit every record ever logged per batch.
    assert.match(plan(store.batchStatements.rollups, 0), /SEARCH tollgate_request_logs USING INTEGER PRIMARY KEY \(rowid>\?\)/);
    assert.match(plan(store.rollupBackfillStatements.indexRange, 1, 2), /SEARCH tollgate_request_logs USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/);
  } finally {
    db.close();
  }
});
