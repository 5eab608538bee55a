import { isoTimeMs } from '../../lib/iso-time.js';
import type { SqlValue } from '../../storage/sql-database.js';
import { RECORD_COLUMNS, type RequestRecord } from './request-record.js';

/** The request log table's columns, in RECORD_COLUMNS order (`timestamp` is stored as `ts`, epoch milliseconds). */
export const STORED_COLUMNS = RECORD_COLUMNS.map((column) => (column === 'timestamp' ? 'ts' : column));

/**
 * A record as an insert's parameters, in STORED_COLUMNS order (a test holds the two together).
 * Spelled out rather than mapped over the column names: a property read by a variable name is a
 * megamorphic lookup, 47 of them per record.
 */
export function recordValues(r: RequestRecord): SqlValue[] {
  const values: SqlValue[] = [];
  writeRecordValues(r, values, 0);
  return values;
}

/**
 * recordValues, written into `values` from index `at` (which must be at most its length: the array
 * stays without holes); returns the index after them. A batch array kept and overwritten batch
 * after batch grows once, where a new one grew by copies, the last ones in V8's large-object
 * space on fresh pages (most of the cost of handing a batch over, `perf`).
 */
export function writeRecordValues(r: RequestRecord, values: (SqlValue | undefined)[], at: number): number {
  values[at] = r.request_id;
  values[at + 1] = r.kind;
  values[at + 2] = r.attempt;
  values[at + 3] = r.parent_request_id;
  values[at + 4] = isoTimeMs(r.timestamp);
  values[at + 5] = r.surface;
  values[at + 6] = r.operation;
  values[at + 7] = r.virtual_key_id;
  values[at + 8] = r.team_id;
  values[at + 9] = r.customer_id;
  values[at + 10] = metadataJson(r.metadata);
  values[at + 11] = r.provider;
  values[at + 12] = r.model;
  values[at + 13] = r.requested_model;
  values[at + 14] = r.key_id;
  values[at + 15] = r.status;
  values[at + 16] = r.error_code;
  values[at + 17] = r.error_type;
  values[at + 18] = r.error_message;
  values[at + 19] = r.stop_reason;
  values[at + 20] = r.latency_ms;
  values[at + 21] = r.ttft_ms;
  values[at + 22] = r.input_tokens;
  values[at + 23] = r.cached_input_tokens;
  values[at + 24] = r.cache_write_tokens;
  values[at + 25] = r.output_tokens;
  values[at + 26] = r.reasoning_tokens;
  values[at + 27] = r.total_tokens;
  values[at + 28] = r.cost_usd;
  values[at + 29] = r.cache_hit;
  values[at + 30] = r.stream;
  values[at + 31] = r.attempts;
  values[at + 32] = r.request_content;
  values[at + 33] = r.response_content;
  values[at + 34] = r.cost_exact ?? null;
  values[at + 35] = r.charged_nano_usd ?? null;
  values[at + 36] = r.cache_entry_id;
  values[at + 37] = r.cache_similarity;
  values[at + 38] = r.cache_saved_usd;
  values[at + 39] = r.guardrails;
  values[at + 40] = r.session_id ?? null;
  values[at + 41] = r.images ?? null;
  values[at + 42] = r.characters ?? null;
  values[at + 43] = r.audio_seconds ?? null;
  values[at + 44] = r.search_units ?? null;
  values[at + 45] = r.input_audio_tokens ?? null;
  values[at + 46] = r.output_audio_tokens ?? null;
  return at + 47;
}

/**
 * A record's tags as JSON. Most records carry their virtual key's tags as they are (see
 * build-record.ts), one frozen object per key: its text is kept rather than written again per
 * request. Other objects (tags merged from a header or the request) are written each time.
 */
const metadataTexts = new WeakMap<object, string>();

function metadataJson(metadata: Readonly<Record<string, string>>): string {
  if (!Object.isFrozen(metadata)) return JSON.stringify(metadata);
  let text = metadataTexts.get(metadata);
  if (text === undefined) metadataTexts.set(metadata, (text = JSON.stringify(metadata)));
  return text;
}

/**
 * A batch's parameters for the writer thread, with each value equal to the one in the same column
 * of the record before replaced by `undefined` (which no parameter is): most columns repeat from
 * one record to the next (kind, surface, key, team, customer, tags, provider, model, status…), and
 * an `undefined` costs the copy between the threads one byte and no string to rebuild on the
 * other side. In place; restoreRepeats undoes it.
 */
export function elideRepeats(values: (SqlValue | undefined)[], columns: number): void {
  // A field left undefined (no record is built so, but one could be) is stored as NULL, as before this encoding.
  for (let index = 0; index < values.length; index++) if (values[index] === undefined) values[index] = null;
  for (let index = values.length - 1; index >= columns; index--) if (values[index] === values[index - columns]) values[index] = undefined;
}

/** Undoes elideRepeats, in place. */
export function restoreRepeats(values: (SqlValue | undefined)[], columns: number): asserts values is SqlValue[] {
  for (let index = columns; index < values.length; index++) if (values[index] === undefined) values[index] = values[index - columns];
}

/**
 * Whether any record among `values` (parameters end to end, `columns` each) has a body at one of
 * `contentColumns`. Content logging is off by default, and then the content index has nothing to take.
 */
export function hasContent(values: readonly SqlValue[], batch: { readonly columns: number; readonly contentColumns: readonly number[] }): boolean {
  for (let start = 0; start < values.length; start += batch.columns) for (const column of batch.contentColumns) if (values[start + column] !== null) return true;
  return false;
}
