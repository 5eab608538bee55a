import type { Migration } from '../../storage/migrations.js';
import { rollupMigration } from './rollup-statements.js';

const INDEXES = [
  'create index if not exists {prefix}request_logs_ts on {prefix}request_logs (kind, ts)',
  'create index if not exists {prefix}request_logs_request_id on {prefix}request_logs (request_id)',
  'create index if not exists {prefix}request_logs_key_ts on {prefix}request_logs (virtual_key_id, ts)',
  'create index if not exists {prefix}request_logs_team_ts on {prefix}request_logs (team_id, ts)',
  'create index if not exists {prefix}request_logs_customer_ts on {prefix}request_logs (customer_id, ts)',
  'create index if not exists {prefix}request_logs_provider_ts on {prefix}request_logs (provider, model, ts)',
  'create index if not exists {prefix}request_logs_model_ts on {prefix}request_logs (model, ts)',
];

function table(types: { id: string; ts: string; json: string; real: string; bool: string }): string {
  return `create table if not exists {prefix}request_logs (
    id ${types.id},
    request_id text not null,
    kind text not null,
    attempt integer not null,
    parent_request_id text,
    ts ${types.ts} not null,
    surface text not null,
    operation text not null,
    virtual_key_id text,
    team_id text,
    customer_id text,
    metadata ${types.json} not null,
    provider text,
    model text,
    requested_model text,
    key_id text,
    status integer not null,
    error_code text,
    error_type text,
    error_message text,
    stop_reason text,
    latency_ms ${types.real} not null,
    ttft_ms ${types.real},
    input_tokens bigint,
    cached_input_tokens bigint,
    cache_write_tokens bigint,
    output_tokens bigint,
    reasoning_tokens bigint,
    total_tokens bigint,
    cost_usd ${types.real},
    cache_hit text,
    stream ${types.bool} not null,
    attempts integer not null,
    request_content text,
    response_content text
  )`;
}

/**
 * Version 2, from bench/log-query.ts at 1,000,000 records: filters whose column is not the leading
 * one of an index (provider + status, model + cost range) read most of the table to count matches.
 */
const QUERY_INDEXES = [
  'create index if not exists {prefix}request_logs_provider_status_ts on {prefix}request_logs (provider, status, ts)',
  'create index if not exists {prefix}request_logs_model_cost on {prefix}request_logs (model, cost_usd)',
];

/**
 * PostgreSQL only: metadata equality as jsonb containment (`@>`) through a GIN index, and content
 * search (`ilike '%…%'`) through pg_trgm trigram indexes. pg_trgm is a trusted extension (a database
 * owner may create it); where it cannot be created the search keeps working, unindexed.
 */
const POSTGRES_SEARCH_INDEXES = [
  'create index if not exists {prefix}request_logs_metadata on {prefix}request_logs using gin (metadata jsonb_path_ops)',
  `do $$ begin
     create extension if not exists pg_trgm;
   exception when others then
     raise notice 'pg_trgm unavailable: request log content search stays unindexed';
   end $$`,
  // The operator class is named through the extension's own schema: pg_trgm is created once per
  // database, often in \`public\`, which a gateway whose search_path names only its schema cannot see.
  `do $$ declare trgm_schema text; begin
     select n.nspname into trgm_schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm';
     if trgm_schema is not null then
       execute format('create index if not exists {prefix}request_logs_request_trgm on {prefix}request_logs using gin (request_content %I.gin_trgm_ops)', trgm_schema);
       execute format('create index if not exists {prefix}request_logs_response_trgm on {prefix}request_logs using gin (response_content %I.gin_trgm_ops)', trgm_schema);
     end if;
   end $$`,
];

/**
 * Version 3, from bench/log-query.ts at 1,000,000 records: every query filters on `kind` (request
 * records by default), so an index without it made each match a table read just to check the kind,
 * and counting tens of thousands of matches took seconds. Each index now leads with `kind`, so counts
 * are answered from the index alone; leading with it (rather than putting it second) also keeps
 * SQLite's planner from skip-scanning these indexes for filters they do not serve (content search,
 * metadata), where (kind, ts) reads the rows in the order they were written. `kind=all` asks for both
 * kinds by name, so it still uses them. (provider, model, ts) goes: a model filter is the more
 * selective one and has its own index. On PostgreSQL each index also ends with `id`, the page
 * order's tie-break (SQLite indexes carry the rowid already), so a page's ids come from an
 * index-only scan.
 */
const KIND_INDEX_COLUMNS: readonly [name: string, columns: string, covering?: string][] = [
  // "Slowest requests of this key / team / customer" sorts on latency: kept in the index, a page
  // needs no row reads for the matches it does not show.
  ['kind_key_ts', 'kind, virtual_key_id, ts', 'latency_ms'],
  ['kind_team_ts', 'kind, team_id, ts', 'latency_ms'],
  ['kind_customer_ts', 'kind, customer_id, ts', 'latency_ms'],
  ['kind_provider_status_ts', 'kind, provider, status, ts'],
  ['kind_model_ts', 'kind, model, ts'],
  ['kind_model_cost', 'kind, model, cost_usd'],
];

const REPLACED_INDEXES = ['key_ts', 'team_ts', 'customer_ts', 'provider_ts', 'model_ts', 'provider_status_ts', 'model_cost'];

function kindIndexes(dialect: 'sqlite' | 'postgres'): string[] {
  return [
    ...REPLACED_INDEXES.map((name) => `drop index if exists {prefix}request_logs_${name}`),
    ...KIND_INDEX_COLUMNS.map(([name, columns, covering]) => {
      // SQLite has no INCLUDE: a trailing key column serves the same purpose.
      const keys = dialect === 'sqlite' ? [columns, covering] : [columns, 'id'];
      const include = dialect === 'postgres' && covering !== undefined ? ` include (${covering})` : '';
      return `create index if not exists {prefix}request_logs_${name} on {prefix}request_logs (${keys.filter((part) => part !== undefined).join(', ')})${include}`;
    }),
    // The default listing (newest request records) and time-bounded filters without a better index.
    ...(dialect === 'postgres' ? ['drop index if exists {prefix}request_logs_ts', 'create index if not exists {prefix}request_logs_kind_ts_id on {prefix}request_logs (kind, ts, id)'] : []),
  ];
}

/**
 * The SQLite tag rows of request records (`<hex of the key>=<value>`: unambiguous whatever the key
 * holds), as an insert; callers add a condition on `logs.id`, which must choose the rows: the unary
 * `+` keeps the planner from answering `kind = 'request'` through a kind-led index instead, which
 * read every request record in the log for each batch (the writer's cost grew with the log: 61 µs
 * of CPU per record at 200,000 records against 23 µs through the id range).
 */
export function tagRows(prefix: string): string {
  return `insert or ignore into ${prefix}request_log_tags (tag, ts, log_id)
    select hex(tags.key) || '=' || tags.value, logs.ts, logs.id from ${prefix}request_logs as logs, json_each(logs.metadata) as tags where +logs.kind = 'request'`;
}

/**
 * Version 4, SQLite only: metadata filters read every row through json_extract (2.5 s to count one
 * tag pair at a million records). Request records' tags also go to a WITHOUT ROWID table keyed by
 * tag and time, filled by SqliteLogStore.insert in the same transaction, one statement per batch (an
 * FTS5 index kept by triggers made inserts several times dearer). A tag filter intersects these
 * lists. PostgreSQL answers the same filters from its GIN index.
 */
const SQLITE_TAGS = [
  'create table if not exists {prefix}request_log_tags (tag text not null, ts integer not null, log_id integer not null, primary key (tag, ts, log_id)) without rowid',
  `${tagRows('{prefix}')} and logs.id > 0`,
];

/**
 * Version 5, SQLite only, from bench/log-writes.ts: (kind, model, cost_usd) took each record at a
 * place set by its cost, a different index page almost every time, and that one index doubled the
 * writer thread's CPU per record (52 → 30 µs at 200,000 records) and its bytes written. Every other
 * index grows at its end (time-ordered per key, team, model…). The model index now carries the cost
 * after the time instead, so a model + cost filter reads the model's index entries and never the
 * rows; a cost-sorted page sorts those matches (bench/log-query.ts). PostgreSQL keeps its index:
 * its server, not the gateway, pays for the write.
 */
const SQLITE_MODEL_COST = [
  'drop index if exists {prefix}request_logs_kind_model_cost',
  'drop index if exists {prefix}request_logs_kind_model_ts',
  'create index if not exists {prefix}request_logs_kind_model_ts_cost on {prefix}request_logs (kind, model, ts, cost_usd)',
];

/**
 * The SQLite rows of stored bodies for the content index, as an insert; callers add a condition on
 * `logs.id` (the batch's new rows). Records without content (content logging is off by default)
 * add nothing.
 */
export function textRows(prefix: string): string {
  return `insert into ${prefix}request_log_text (rowid, request_content, response_content)
    select logs.id, logs.request_content, logs.response_content from ${prefix}request_logs as logs
    where (logs.request_content is not null or logs.response_content is not null)`;
}

/**
 * Version 6, SQLite only, from bench/log-query.ts at 1,000,000 records: content search (`q`, a
 * substring) read every row in its time range (89 ms over a week, 360 ms over a month). Stored
 * bodies also go to an FTS5 index with the trigram tokenizer, which answers substrings of three
 * characters or more (case-insensitively, as `like` does for ASCII); contentless, since the rows
 * hold the text, with `contentless_delete` so retention can remove entries (in one statement per
 * sweep: each delete statement on the index costs about as much however many entries it removes,
 * so a trigger deleting them step by step took 66 s to sweep 310,000 records). New records are indexed like the tag table, one statement per written
 * batch. Records stored before this version are indexed afterwards, in steps on the writer thread
 * (backfill-in-steps.ts), from the id in `request_log_text_backfill` down: indexing a million
 * logged bodies took 43 s, too long to hold start-up (a liveness probe would restart the gateway
 * in the middle, and the migration with it). Until that is done, searches read the rows.
 * PostgreSQL's trigram indexes came with version 2.
 */
const SQLITE_TEXT = [
  `create virtual table if not exists {prefix}request_log_text using fts5(request_content, response_content, content='', contentless_delete=1, tokenize='trigram')`,
  'create table if not exists {prefix}request_log_text_backfill (below integer not null)',
  // No row (nothing to catch up on) for a log that holds no records yet.
  'insert into {prefix}request_log_text_backfill (below) select id + 1 from {prefix}request_logs order by id desc limit 1',
];

/**
 * Version 7, PostgreSQL only, from bench/log-query.ts at 1,000,000 records: a tag filter without a
 * time range took 491 ms, because the GIN index (`jsonb_path_ops`) keeps hashes and the count
 * visited every matching row. Request records' tags also go to a table keyed by (tag, ts, id), as
 * on SQLite (version 4), filled by the batch insert's own statement (postgres-batch.ts); filters on
 * tags alone join its index-only ranges (PostgresLogStore.taggedIds). Records stored before are indexed afterwards, in steps
 * (backfill-in-steps.ts), from the id in `request_log_tags_backfill` down; until then tag filters
 * keep using the GIN index.
 */
const POSTGRES_TAGS = [
  'create table if not exists {prefix}request_log_tags (tag text not null, ts bigint not null, log_id bigint not null, primary key (tag, ts, log_id))',
  'create table if not exists {prefix}request_log_tags_backfill (below bigint not null)',
  // No row (nothing to catch up on) for a log that holds no records yet.
  'insert into {prefix}request_log_tags_backfill (below) select id + 1 from {prefix}request_logs order by id desc limit 1',
];

/**
 * PostgreSQL's tag rows of request records (`<HEX OF THE KEY>=<value>`, as SQLite's tagRows spells
 * them), from a set of rows named `logs` with `id`, `ts`, `kind` and `metadata`.
 */
export function postgresTagRows(prefix: string, logs: string): string {
  return `insert into ${prefix}request_log_tags (tag, ts, log_id)
    select upper(encode(convert_to(tags.key, 'UTF8'), 'hex')) || '=' || tags.value, logs.ts, logs.id from ${logs} as logs, jsonb_each_text(logs.metadata) as tags where logs.kind = 'request'`;
}

/** Version 9: the response cache's entry id, similarity and saved USD of each request (docs/cache.md). */
function cacheColumns(real: string): string[] {
  return [
    'alter table {prefix}request_logs add column cache_entry_id text',
    `alter table {prefix}request_logs add column cache_similarity ${real}`,
    `alter table {prefix}request_logs add column cache_saved_usd ${real}`,
  ];
}
/** Version 10: the guardrails' decisions (`[{rule, action, direction, types, count}]`, never a matched value), null when none. */
const GUARDRAILS_COLUMN = 'alter table {prefix}request_logs add column guardrails text';

/**
 * Version 11: what each operation billed besides tokens (images, characters, seconds of audio,
 * search units), the audio part of its tokens, and the session a record is a turn of (realtime),
 * with an index to list a session's turns. Older records keep nulls.
 */
function unitColumns(dialect: 'sqlite' | 'postgres'): string[] {
  const real = dialect === 'sqlite' ? 'real' : 'double precision';
  const integer = dialect === 'sqlite' ? 'integer' : 'bigint';
  const add = dialect === 'sqlite' ? 'add column' : 'add column if not exists';
  return [
    `alter table {prefix}request_logs ${add} session_id text`,
    `alter table {prefix}request_logs ${add} images ${integer}`,
    `alter table {prefix}request_logs ${add} characters ${integer}`,
    `alter table {prefix}request_logs ${add} audio_seconds ${real}`,
    `alter table {prefix}request_logs ${add} search_units ${integer}`,
    `alter table {prefix}request_logs ${add} input_audio_tokens ${integer}`,
    `alter table {prefix}request_logs ${add} output_audio_tokens ${integer}`,
    // Partial where the database allows it: most records belong to no session.
    'create index if not exists {prefix}request_logs_session on {prefix}request_logs (session_id) where session_id is not null',
  ];
}

/** Versioned schema of the request log; append new versions, never edit applied ones. */
export const REQUEST_LOG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sqlite: [table({ id: 'integer primary key autoincrement', ts: 'integer', json: 'text', real: 'real', bool: 'integer' }), ...INDEXES],
    postgres: [table({ id: 'bigserial primary key', ts: 'bigint', json: 'jsonb', real: 'double precision', bool: 'boolean' }), ...INDEXES],
  },
  {
    version: 2,
    sqlite: QUERY_INDEXES,
    postgres: [...QUERY_INDEXES, ...POSTGRES_SEARCH_INDEXES],
  },
  {
    version: 3,
    sqlite: kindIndexes('sqlite'),
    postgres: kindIndexes('postgres'),
  },
  {
    version: 4,
    sqlite: SQLITE_TAGS,
    postgres: [],
  },
  {
    version: 5,
    sqlite: SQLITE_MODEL_COST,
    postgres: [],
  },
  {
    version: 6,
    sqlite: SQLITE_TEXT,
    postgres: [],
  },
  {
    version: 7,
    sqlite: [],
    postgres: POSTGRES_TAGS,
  },
  {
    // The exact cost and the ledger's charge (reconciliation); older records keep nulls.
    version: 8,
    sqlite: ['alter table {prefix}request_logs add column cost_exact text', 'alter table {prefix}request_logs add column charged_nano_usd integer'],
    postgres: ['alter table {prefix}request_logs add column if not exists cost_exact text', 'alter table {prefix}request_logs add column if not exists charged_nano_usd bigint'],
  },
  {
    // The response cache: which entry answered, how similar it was, and what it saved.
    version: 9,
    sqlite: cacheColumns('real'),
    postgres: cacheColumns('double precision'),
  },
  {
    // The guardrails' decisions on a request (src/guardrails), as JSON text.
    version: 10,
    sqlite: [GUARDRAILS_COLUMN],
    postgres: [GUARDRAILS_COLUMN],
  },
  {
    // Units billed per operation and the realtime session of a turn.
    version: 11,
    sqlite: unitColumns('sqlite'),
    postgres: unitColumns('postgres'),
  },
  {
    // Hourly and daily rollups for aggregates over long ranges (rollup-statements.ts); records
    // stored before are rolled up afterwards, in steps (backfill-in-steps.ts), from the id in
    // `request_log_rollups_backfill` down; until then aggregates read the records.
    version: 12,
    sqlite: rollupMigration('sqlite'),
    postgres: rollupMigration('postgres'),
  },
];
