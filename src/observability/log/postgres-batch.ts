import { postgresTagRows } from './request-log-migrations.js';
import { NOT_TURN, ROLLUP_SOURCE_COLUMNS, rollupInsert } from './rollup-statements.js';
import { RECORD_COLUMNS, type RequestRecord } from './request-record.js';

/** Each record field's PostgreSQL type, as the request log table declares its column (request-log-migrations.ts). */
const FIELD_TYPES: Record<(typeof RECORD_COLUMNS)[number], string> = {
  request_id: 'text',
  kind: 'text',
  attempt: 'integer',
  parent_request_id: 'text',
  timestamp: 'text',
  surface: 'text',
  operation: 'text',
  virtual_key_id: 'text',
  team_id: 'text',
  customer_id: 'text',
  metadata: 'jsonb',
  provider: 'text',
  model: 'text',
  requested_model: 'text',
  key_id: 'text',
  status: 'integer',
  error_code: 'text',
  error_type: 'text',
  error_message: 'text',
  stop_reason: 'text',
  latency_ms: 'double precision',
  ttft_ms: 'double precision',
  input_tokens: 'bigint',
  cached_input_tokens: 'bigint',
  cache_write_tokens: 'bigint',
  output_tokens: 'bigint',
  reasoning_tokens: 'bigint',
  total_tokens: 'bigint',
  cost_usd: 'double precision',
  cache_hit: 'text',
  cache_entry_id: 'text',
  cache_similarity: 'double precision',
  cache_saved_usd: 'double precision',
  stream: 'boolean',
  attempts: 'integer',
  request_content: 'text',
  response_content: 'text',
  cost_exact: 'text',
  charged_nano_usd: 'bigint',
  guardrails: 'text',
  session_id: 'text',
  images: 'bigint',
  characters: 'bigint',
  audio_seconds: 'double precision',
  search_units: 'bigint',
  input_audio_tokens: 'bigint',
  output_audio_tokens: 'bigint',
};

/**
 * PostgreSQL's insert of a batch: the records as one JSON parameter ($1), made into rows by the
 * server (`json_to_recordset`). One parameter instead of 34 per record: the driver turned every
 * parameter into text and a protocol field on the gateway's event loop, and the statement's text
 * had every placeholder renumbered, which cost logging on PostgreSQL more than half the gateway's
 * throughput. The ISO timestamp becomes the table's epoch milliseconds in the statement, which
 * also adds the request records' tags to the tag table and the records to the rollups.
 *
 * `skipStored`: leaves out the records already in the table (one lookup each on the request_id
 * index), for the try after a failed one, which may have committed (see PostgresLogStore.insert).
 */
export function postgresBatchInsert(table: string, prefix: string, skipStored = false): string {
  const columns = RECORD_COLUMNS.map((field) => (field === 'timestamp' ? 'ts' : field));
  const epochMs = `(extract(epoch from r."timestamp"::timestamptz) * 1000)::bigint`;
  const values = RECORD_COLUMNS.map((field) => {
    if (field === 'timestamp') return epochMs;
    // Token counts come from upstreams, which may send a fraction or an absurd number: read as
    // doubles and rounded into the bigint column's range, so one such record cannot fail its batch.
    // (greatest and least skip nulls, hence the case.)
    if (FIELD_TYPES[field] === 'bigint') return `(case when r.${field} is null then null else least(greatest(round(r.${field}), -9.2e18), 9.2e18) end)::bigint`;
    return `r.${field}`;
  });
  const fields = RECORD_COLUMNS.map((field) => `"${field}" ${FIELD_TYPES[field] === 'bigint' ? 'double precision' : FIELD_TYPES[field]}`);
  // A record is one request's (or attempt's) at one millisecond: the same one again is the batch landing twice.
  const unstored = skipStored ? ` where not exists (select 1 from ${table} s where s.request_id = r.request_id and s.kind = r.kind and s.attempt = r.attempt and s.ts = ${epochMs})` : '';
  const insert = `insert into ${table} (${columns.join(', ')}) select ${values.join(', ')} from json_to_recordset($1::json) as r(${fields.join(', ')})${unstored} returning ${[...new Set(['metadata', ...ROLLUP_SOURCE_COLUMNS])].join(', ')}`;
  // The request records' tags (migration 7) and the rollups (migration 12), in the same statement.
  return `with inserted as (${insert}), tags as (${postgresTagRows(prefix, 'inserted')} on conflict do nothing) ${rollupInsert('postgres', prefix, 'inserted', `where ${NOT_TURN}`)}`;
}

/**
 * The batch's JSON parameter. PostgreSQL cannot take two things a JavaScript string may hold: U+0000
 * (its text type has no room for it) and a lone UTF-16 surrogate (its JSON parser rejects one, where
 * UTF-8 sent as a parameter used to turn it into U+FFFD). JSON.stringify escapes both, and nothing
 * else it writes looks like them (a pair of surrogates is written as the character), so each such
 * escape after an even number of backslashes (not a literal backslash followed by `u0000`) becomes
 * U+FFFD, the replacement character: a prompt, model name or upstream error carrying one would
 * otherwise fail the statement and lose the whole batch.
 */
export function postgresBatchJson(records: readonly RequestRecord[]): string {
  const json = JSON.stringify(records);
  return UNSENDABLE_TEST.test(json) ? json.replace(UNSENDABLE, '$1\\ufffd') : json;
}

const UNSENDABLE_TEST = /\\u(?:0000|d[89a-f])/;
const UNSENDABLE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/g;
