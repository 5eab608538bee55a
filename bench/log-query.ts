/**
 * Request-log query benchmark: generates realistic records through the real LogStore
 * implementations (SQLite file in a temp dir; PostgreSQL with a unique table prefix, dropped
 * afterwards), then times typical filtered, sorted, paginated queries and aggregations, printing
 * p50 and max per query against the 100 ms target.
 *
 *   npm run bench:logs -- [--records 1000000] [--runs 15] [--backends sqlite,postgres] [--postgres <url>]
 *                          [--keep <name>]
 *
 * `--keep <name>` keeps the generated data for another run instead of dropping it: the SQLite file
 * `<tmpdir>/tollgate-bench-logs-<name>.db` and the PostgreSQL tables prefixed `bench_<name>_`. A run
 * that finds them with the asked number of records skips generation (migrations still apply, so
 * new indexes are built on the kept data).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAggregateQuery, parseLogQuery } from '../src/observability/log/log-filter.js';
import type { LogCursor, LogStore } from '../src/observability/log/log-store.js';
import type { RequestRecord } from '../src/observability/log/request-record.js';
import { PostgresLogStore } from '../src/observability/log/postgres-log-store.js';
import type { SqlLogStore } from '../src/observability/log/sql-log-store.js';
import { SqliteLogStore } from '../src/observability/log/sqlite-log-store.js';
import { SqliteReader } from '../src/observability/log/sqlite-reader.js';
import { createLogger } from '../src/lib/logger.js';
import { sqlDatabaseFor } from '../src/storage/sql-database-for.js';
import type { SqlDatabase } from '../src/storage/sql-database.js';
import { openStorage, type Storage } from '../src/storage/storage.js';
import { longestStall } from './event-loop-stall.js';
import { summarizeLatencies } from './percentiles.js';
import { seededRandom } from './seeded-random.js';

const TARGET_MS = 100;
const DAY_MS = 86_400_000;
const SPAN_DAYS = 30;
const INSERT_BATCH = 5_000;

const { values: options } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '15' },
    backends: { type: 'string', default: 'sqlite,postgres' },
    postgres: { type: 'string', default: process.env.TOLLGATE_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    keep: { type: 'string' },
  },
});
const RECORDS = Number(options.records);
const RUNS = Number(options.runs);
const KEEP = options.keep;
if (KEEP !== undefined && !/^[a-z0-9_]{1,20}$/.test(KEEP)) throw new Error('--keep takes a name of lowercase letters, digits and _');

// ---- data: a deterministic month of traffic from 200 keys in 20 teams of 5 customers ----

const MODELS = [
  { provider: 'openai', model: 'gpt-4o-mini', share: 0.35, input: 0.15, output: 0.6 },
  { provider: 'openai', model: 'gpt-4o', share: 0.15, input: 2.5, output: 10 },
  { provider: 'anthropic', model: 'claude-sonnet-4', share: 0.2, input: 3, output: 15 },
  { provider: 'anthropic', model: 'claude-haiku-3-5', share: 0.1, input: 0.8, output: 4 },
  { provider: 'gemini', model: 'gemini-2.5-flash', share: 0.15, input: 0.3, output: 2.5 },
  { provider: 'mistral', model: 'mistral-small', share: 0.05, input: 0.2, output: 0.6 },
];
const STATUSES: [number, string | null, string | null, number][] = [
  [200, null, null, 0.95],
  [429, 'upstream_rate_limited', 'rate_limit_error', 0.02],
  [502, 'upstream_error', 'api_error', 0.015],
  [400, 'invalid_request', 'invalid_request_error', 0.01],
  [504, 'upstream_timeout', 'api_error', 0.005],
];
const APPS = ['web', 'mobile', 'batch', 'support-bot', 'search', 'docs', 'crm', 'analytics'];
const ENVS = ['prod', 'prod', 'prod', 'staging', 'dev'];
const WORDS = 'the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part'.split(' ');
const TOPICS = ['invoice', 'refund', 'shipping', 'password reset', 'kubernetes', 'quarterly report', 'translation', 'recipe', 'contract clause', 'bug report'];

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

function weighted<T>(next: () => number, items: readonly T[], share: (item: T) => number): T {
  let roll = next();
  for (const item of items) {
    roll -= share(item);
    if (roll < 0) return item;
  }
  return items[items.length - 1]!;
}

function sentence(next: () => number, words: number): string {
  const parts: string[] = [];
  for (let index = 0; index < words; index++) parts.push(pick(next, WORDS));
  return parts.join(' ');
}

/** Records spread evenly over the last SPAN_DAYS days; about 3% of requests also get attempt records. */
function* generate(count: number, end: number): Generator<RequestRecord[]> {
  const next = seededRandom(42);
  const start = end - SPAN_DAYS * DAY_MS;
  let made = 0;
  let batch: RequestRecord[] = [];
  while (made < count) {
    const ts = start + Math.floor((made / count) * (end - start));
    const keyIndex = Math.floor(next() ** 2 * 200);
    const team = keyIndex % 20;
    const target = weighted(next, MODELS, (model) => model.share);
    const [status, errorCode, errorType] = weighted(next, STATUSES, (entry) => entry[3]);
    const ok = status === 200;
    const input = 50 + Math.floor(next() * 3_000);
    const output = ok ? 20 + Math.floor(next() * 800) : null;
    const topic = next() < 0.3 ? pick(next, TOPICS) : 'general question';
    const stream = next() < 0.6;
    const requestId = randomBytes(12).toString('hex');
    const latency = 150 + next() * 4_000;
    const record: RequestRecord = {
      request_id: requestId,
      kind: 'request',
      attempt: 0,
      parent_request_id: null,
      timestamp: new Date(ts).toISOString(),
      surface: next() < 0.8 ? 'openai' : 'anthropic',
      operation: 'chat',
      virtual_key_id: `key-${keyIndex}`,
      team_id: `team-${team}`,
      customer_id: `customer-${team % 5}`,
      metadata: { env: pick(next, ENVS), app: pick(next, APPS) },
      provider: target.provider,
      model: target.model,
      requested_model: `${target.provider}/${target.model}`,
      key_id: `${target.provider}-${Math.floor(next() * 3)}`,
      status,
      error_code: errorCode,
      error_type: errorType,
      error_message: ok ? null : `${errorCode}: upstream answered ${status}`,
      stop_reason: ok ? (next() < 0.9 ? 'stop' : 'length') : 'error',
      latency_ms: Math.round(latency * 10) / 10,
      ttft_ms: stream && ok ? Math.round(latency * 0.2 * 10) / 10 : null,
      input_tokens: input,
      cached_input_tokens: next() < 0.2 ? Math.floor(input / 2) : null,
      cache_write_tokens: null,
      output_tokens: output,
      reasoning_tokens: null,
      total_tokens: input + (output ?? 0),
      cost_usd: ok ? (input * target.input + output! * target.output) / 1_000_000 : null,
      cache_hit: null,
      stream,
      attempts: 1,
      request_content: JSON.stringify({ model: target.model, messages: [{ role: 'user', content: `About ${topic}: ${sentence(next, 30)}` }] }),
      response_content: ok ? sentence(next, 25) : null,
      cache_entry_id: null,
      cache_similarity: null,
      cache_saved_usd: null,
      guardrails: null,
    };
    batch.push(record);
    made++;
    if (!ok && next() < 0.5 && made < count) {
      batch.push({ ...record, kind: 'attempt', attempt: 1, parent_request_id: requestId, request_content: null, response_content: null, cost_usd: null, attempts: 1 });
      made++;
    }
    if (batch.length >= INSERT_BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

// ---- queries: what a dashboard and an operator ask, through the same parsers as the admin API ----

interface BenchQuery {
  name: string;
  /** The admin API query string for run `run` (parameters vary per run so caches do not flatter). */
  params: (run: number, end: number) => string;
  aggregate?: boolean;
}

const iso = (epochMs: number) => new Date(epochMs).toISOString();

const QUERIES: BenchQuery[] = [
  { name: 'key + last 7 days, newest first', params: (run, end) => `virtual_key_id=key-${run * 7}&from=${iso(end - 7 * DAY_MS)}&limit=50` },
  { name: 'key + time range, page 3', params: (run, end) => `virtual_key=key-${run * 5 + 1}&from=${iso(end - 20 * DAY_MS)}&to=${iso(end - 5 * DAY_MS)}&limit=50&offset=100` },
  { name: 'provider + status (errors), newest first', params: (run) => `provider=${pick(seededRandom(run), ['openai', 'anthropic', 'gemini'])}&status=${run % 2 === 0 ? 'error' : '429,502'}&limit=50` },
  { name: 'provider + status 200, last 24 h', params: (run, end) => `provider=anthropic&status=200&from=${iso(end - DAY_MS - run * 3_600_000)}&limit=50` },
  { name: 'model + cost range, most expensive first', params: (run) => `model=${MODELS[run % MODELS.length]!.model}&min_cost_usd=0.001&max_cost_usd=0.05&sort=cost_usd&order=desc&limit=50` },
  { name: 'metadata env + app, last 24 h', params: (run, end) => `metadata.env=${run % 2 === 0 ? 'staging' : 'dev'}&metadata.app=${APPS[run % APPS.length]}&from=${iso(end - DAY_MS)}&limit=50` },
  { name: 'metadata env + app, all time', params: (run) => `metadata.env=${run % 2 === 0 ? 'staging' : 'dev'}&metadata.app=${APPS[run % APPS.length]}&limit=50` },
  { name: 'text search, last 7 days', params: (run, end) => `q=${encodeURIComponent(TOPICS[run % TOPICS.length]!)}&from=${iso(end - 7 * DAY_MS)}&limit=50` },
  { name: 'text search, all time', params: (run) => `q=${encodeURIComponent(TOPICS[run % TOPICS.length]!)}&limit=50` },
  { name: 'team + slowest first, last 7 days', params: (run, end) => `team=team-${run % 20}&from=${iso(end - 7 * DAY_MS)}&sort=latency_ms&order=desc&limit=50` },
  { name: 'aggregate: cost by model per hour, last 24 h', aggregate: true, params: (run, end) => `group_by=model&bucket=hour&from=${iso(end - DAY_MS - run * 60_000)}` },
  { name: 'aggregate: one customer by team per day, 30 days', aggregate: true, params: (run) => `customer=customer-${run % 5}&group_by=team_id&bucket=day` },
  { name: 'aggregate: one key by model per day, 30 days', aggregate: true, params: (run) => `virtual_key_id=key-${run * 3}&group_by=model&bucket=day` },
];

interface Timing {
  name: string;
  p50: number;
  max: number;
  total: number;
}

async function timeQueries(store: LogStore, end: number): Promise<Timing[]> {
  const timings: Timing[] = [];
  for (const query of QUERIES) {
    const samples: number[] = [];
    let total = 0;
    // One untimed run warms the page cache the way a live dashboard would have.
    for (let run = -1; run < RUNS; run++) {
      const params = new URLSearchParams(query.params(Math.max(run, 0) + 1, end));
      const started = performance.now();
      if (query.aggregate === true) total = (await store.aggregate(parseAggregateQuery(params))).length;
      else total = (await store.query(parseLogQuery(params))).total;
      if (run >= 0) samples.push(performance.now() - started);
    }
    const summary = summarizeLatencies(samples);
    timings.push({ name: query.name, p50: summary.p50, max: summary.max, total });
  }
  return timings;
}

async function fill(store: LogStore, end: number): Promise<number> {
  const started = performance.now();
  let written = 0;
  for (const batch of generate(RECORDS, end)) {
    await store.insert(batch);
    written += batch.length;
    if (written % 100_000 < INSERT_BATCH) process.stderr.write(`\r  ${written.toLocaleString('en-US')} records`);
  }
  process.stderr.write('\n');
  return performance.now() - started;
}

function report(backend: string, origin: string, timings: readonly Timing[], extra: string): void {
  console.log(`\n${backend}: ${RECORDS.toLocaleString('en-US')} records ${origin}${extra}; ${RUNS} runs per query`);
  console.log('| query | rows matched (last run) | p50 ms | max ms | under 100 ms |');
  console.log('|---|---:|---:|---:|---|');
  for (const timing of timings) {
    const verdict = timing.max < TARGET_MS ? 'yes' : timing.p50 < TARGET_MS ? 'p50 only' : 'no';
    console.log(`| ${timing.name} | ${timing.total.toLocaleString('en-US')} | ${timing.p50.toFixed(1)} | ${timing.max.toFixed(1)} | ${verdict} |`);
  }
}

const EXPORT_RECORDS = 100_000;
const EXPORT_PAGE = 1_000;

/**
 * What the admin API costs (SQLite): an export's walk through `EXPORT_RECORDS` records in time
 * order on the reader thread, as the gateway reads, by cursor (`scan`, what exports do) and by
 * offset (what they did, and still do for other sort orders); and the heaviest aggregation on the
 * gateway's connection and on a reader thread, with how long each held the event loop.
 */
async function eventLoopCosts(store: SqlLogStore, reading: SqlLogStore): Promise<void> {
  const filter = parseLogQuery(new URLSearchParams('')).filter;
  const pages = async (next: (done: number) => Promise<number>) => {
    let slowest = 0;
    const walk = await longestStall(async () => {
      for (let done = 0; done < EXPORT_RECORDS; ) {
        const started = performance.now();
        const got = await next(done);
        slowest = Math.max(slowest, performance.now() - started);
        done += got;
        if (got < EXPORT_PAGE) break;
      }
    });
    return { ...walk, slowest };
  };
  await reading.scan(filter, 'desc', 1, undefined); // the reader thread is started, as a gateway that is being queried has it
  let after: LogCursor | undefined;
  const byCursor = await pages(async () => {
    const page = await reading.scan(filter, 'desc', EXPORT_PAGE, after);
    after = page.next;
    return page.logs.length;
  });
  const byOffset = await pages(async (done) => (await reading.query({ filter, sort: 'timestamp', order: 'desc', limit: EXPORT_PAGE, offset: done })).logs.length);
  const aggregate = parseAggregateQuery(new URLSearchParams('customer=customer-0&group_by=team_id&bucket=day'));
  await store.aggregate(aggregate);
  const onConnection = await longestStall(() => store.aggregate(aggregate));
  await reading.aggregate(aggregate);
  const onReader = await longestStall(() => reading.aggregate(aggregate));
  console.log(`\nsqlite: what admin reads cost the event loop (a 1 ms timer's longest gap)`);
  console.log('| work | total ms | slowest page ms | longest event-loop stall ms |');
  console.log('|---|---:|---:|---:|');
  console.log(`| export walk, ${EXPORT_RECORDS.toLocaleString('en-US')} records by cursor | ${byCursor.ms.toFixed(0)} | ${byCursor.slowest.toFixed(1)} | ${byCursor.stallMs.toFixed(1)} |`);
  console.log(`| export walk, ${EXPORT_RECORDS.toLocaleString('en-US')} records by offset | ${byOffset.ms.toFixed(0)} | ${byOffset.slowest.toFixed(1)} | ${byOffset.stallMs.toFixed(1)} |`);
  console.log(`| one customer by team per day, on the gateway connection | ${onConnection.ms.toFixed(0)} | | ${onConnection.stallMs.toFixed(1)} |`);
  console.log(`| one customer by team per day, on a reader thread | ${onReader.ms.toFixed(0)} | | ${onReader.stallMs.toFixed(1)} |`);
}

/** Kept data remembers when it was generated, so the queries' time windows line up with it. */
async function keptEnd(database: SqlDatabase, prefix: string): Promise<number | undefined> {
  try {
    const rows = await database.query<{ records: number | string; latest: number | string | null }>(`select count(*) as records, max(ts) as latest from ${prefix}request_logs`);
    const records = Number(rows[0]?.records ?? 0);
    return records === RECORDS && rows[0]?.latest !== null ? Number(rows[0]!.latest) + 1 : undefined;
  } catch {
    return undefined;
  }
}

async function runBackend(backend: 'sqlite' | 'postgres'): Promise<void> {
  const directory = backend === 'sqlite' && KEEP === undefined ? await mkdtemp(join(tmpdir(), 'tollgate-bench-logs-')) : undefined;
  const path = backend !== 'sqlite' ? '' : directory === undefined ? join(tmpdir(), `tollgate-bench-logs-${KEEP}.db`) : join(directory, 'gateway.db');
  const storage: Storage = await openStorage(backend === 'sqlite' ? { type: 'sqlite', path } : { type: 'postgres', path: '', url: options.postgres });
  const prefix = KEEP === undefined ? `bench${randomBytes(4).toString('hex')}_` : `bench_${KEEP}_`;
  const database = sqlDatabaseFor(storage)!;
  try {
    const store = backend === 'sqlite' ? new SqliteLogStore(database, prefix) : new PostgresLogStore(database, prefix);
    const kept = KEEP === undefined ? undefined : await keptEnd(database, prefix);
    if (KEEP !== undefined && kept === undefined) {
      // Kept data of another size (or an interrupted run): start over rather than add to it.
      await database.execute(`drop table if exists ${prefix}request_logs`);
      await database.execute(`drop table if exists ${prefix}migrations`);
    }
    const end = kept ?? Date.now();
    const migrateStarted = performance.now();
    await store.migrate();
    let insertMs = 0;
    if (kept === undefined) {
      console.error(`${backend}: generating ${RECORDS.toLocaleString('en-US')} records (table prefix ${prefix})`);
      insertMs = await fill(store, end);
    } else console.error(`${backend}: reusing ${RECORDS.toLocaleString('en-US')} kept records (table prefix ${prefix}); migrations took ${((performance.now() - migrateStarted) / 1000).toFixed(1)} s`);
    // Kept data from before the content index (migration 6): index it now, as the gateway's writer thread would.
    const indexing = performance.now();
    if (store instanceof SqliteLogStore) await store.indexStoredText();
    if (performance.now() - indexing > 1000) console.error(`${backend}: indexed the content of earlier records in ${((performance.now() - indexing) / 1000).toFixed(1)} s`);
    // Kept PostgreSQL data from before its tag table (migration 7): fill it now, as the gateway would in the background.
    const tagging = performance.now();
    if (store instanceof PostgresLogStore) await store.indexStoredTags();
    if (performance.now() - tagging > 1000) console.error(`${backend}: added the tags of earlier records to the tag table in ${((performance.now() - tagging) / 1000).toFixed(1)} s`);
    // Fresh statistics and (PostgreSQL) a set visibility map, as autovacuum / `PRAGMA optimize` would
    // have left a live database; without the map PostgreSQL cannot answer from an index alone.
    if (backend === 'postgres') {
      await database.execute(`vacuum (analyze) ${prefix}request_logs`);
      await database.execute(`vacuum (analyze) ${prefix}request_log_tags`);
    }
    else await database.execute('pragma optimize=0x10002;');
    const size = backend === 'sqlite' ? `, file ${((await stat(path)).size / 1e6).toFixed(0)} MB` : '';
    report(backend, kept === undefined ? `inserted in ${(insertMs / 1000).toFixed(1)} s` : 'kept from an earlier run', await timeQueries(store, end), size);
    if (storage.kind === 'sqlite') {
      const reader = new SqliteReader(path, database, createLogger({ level: 'error' }));
      try {
        await eventLoopCosts(store, new SqliteLogStore(database, prefix, reader));
      } finally {
        await reader.close();
      }
    }
  } finally {
    if (storage.kind === 'postgres' && KEEP === undefined) {
      const { rows } = await storage.pool.query<{ tablename: string }>('select tablename from pg_tables where schemaname = current_schema() and tablename like $1', [`${prefix}%`]);
      for (const { tablename } of rows) await storage.pool.query(`drop table if exists "${tablename}" cascade`);
    }
    await storage.close();
    if (directory !== undefined) await rm(directory, { recursive: true, force: true });
  }
}

for (const backend of options.backends.split(',')) {
  if (backend !== 'sqlite' && backend !== 'postgres') throw new Error(`unknown backend ${backend} (sqlite, postgres)`);
  await runBackend(backend);
}
