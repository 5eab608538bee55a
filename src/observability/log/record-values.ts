import { isoTimeMs } from '../../server/iso-time.js';
import type { SqlValue } from '../storage/sql-database.js';
import { RECORD_COLUMNS, type RequestRecord } from './request-record.js';

/** The request log table's columns, in RECORD_COLUMNS order (`timestamp` is stored as `ts`, epoch milliseconds). */
export const STORED_COLUMNS = RECORD_COLUMNS.map((column) => (column === 'timestamp' ? 'ts' : column));

/**
 * A record as an insert's parameters, in STORED_COLUMNS order (a test holds the two together).
 * Spelled out rather than mapped over the column names: a property read by a variable name is a
 * megamorphic lookup, 34 of them per record.
 */
export function recordValues(r: RequestRecord): SqlValue[] {
  const values: SqlValue[] = [];
  appendRecordValues(r, values);
  return values;
}

/** recordValues, appended to `values` (a batch's parameters end to end, without an array per record). */
export function appendRecordValues(r: RequestRecord, values: SqlValue[]): void {
  values.push(
    r.request_id, r.kind, r.attempt, r.parent_request_id, isoTimeMs(r.timestamp), r.surface, r.operation,
    r.virtual_key_id, r.team_id, r.customer_id, metadataJson(r.metadata), r.provider, r.model, r.requested_model,
    r.key_id, r.status, r.error_code, r.error_type, r.error_message, r.stop_reason, r.latency_ms, r.ttft_ms,
    r.input_tokens, r.cached_input_tokens, r.cache_write_tokens, r.output_tokens, r.reasoning_tokens, r.total_tokens,
    r.cost_usd, r.cache_hit, r.stream, r.attempts, r.request_content, r.response_content,
  );
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
