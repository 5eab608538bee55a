import { metadataKeyOf, type AggregateQuery, type AggregateRow, type GroupDimension, type RecordDimension } from './log-filter.js';
import { summedUsdNumber } from '../../pricing/money.js';
import type { RequestRecord } from './request-record.js';

/** Aggregates records in memory, ordered by bucket then group values (as the SQL stores order theirs). */
export function aggregateRecords(records: readonly RequestRecord[], query: AggregateQuery): AggregateRow[] {
  const rows = new Map<string, AggregateRow>();
  for (const record of records) {
    // An agent request's turns (chat records with a parent) are counted by their request, which carries their sum.
    if (record.kind === 'request' && record.parent_request_id !== null && record.operation === 'chat') continue;
    const bucketStart = query.bucketMs === undefined ? null : Math.floor(Date.parse(record.timestamp) / query.bucketMs) * query.bucketMs;
    const group: AggregateRow['group'] = {};
    for (const dimension of query.groupBy) group[dimension] = dimensionValue(record, dimension);
    const key = JSON.stringify([bucketStart, group]);
    let row = rows.get(key);
    if (row === undefined) {
      row = { bucket: bucketStart === null ? null : new Date(bucketStart).toISOString(), group, requests: 0, errors: 0, error_rate: 0, input_tokens: 0, output_tokens: 0, total_tokens: 0, cost_usd: 0, images: 0, characters: 0, audio_seconds: 0, search_units: 0, cache_saved_usd: 0 };
      rows.set(key, row);
    }
    row.requests++;
    if (record.status >= 400) row.errors++;
    row.input_tokens += record.input_tokens ?? 0;
    row.output_tokens += record.output_tokens ?? 0;
    row.total_tokens += record.total_tokens ?? 0;
    row.cost_usd += record.cost_usd ?? 0;
    row.images += record.images ?? 0;
    row.characters += record.characters ?? 0;
    row.audio_seconds += record.audio_seconds ?? 0;
    row.search_units += record.search_units ?? 0;
    row.cache_saved_usd += record.cache_saved_usd ?? 0;
  }
  const result = [...rows.values()];
  for (const row of result) {
    row.error_rate = row.requests === 0 ? 0 : row.errors / row.requests;
    // A sum of doubles: its noise stays out of the answer (see summedUsdNumber).
    row.cost_usd = summedUsdNumber(row.cost_usd);
    row.cache_saved_usd = summedUsdNumber(row.cache_saved_usd);
  }
  return result.sort(compareRows);
}

function dimensionValue(record: RequestRecord, dimension: GroupDimension): string | number | boolean | null {
  const key = metadataKeyOf(dimension);
  if (key === undefined) return record[dimension as RecordDimension];
  return Object.hasOwn(record.metadata, key) ? record.metadata[key]! : null;
}

export function compareRows(left: AggregateRow, right: AggregateRow): number {
  if (left.bucket !== right.bucket) return (left.bucket ?? '') < (right.bucket ?? '') ? -1 : 1;
  const a = JSON.stringify(Object.values(left.group));
  const b = JSON.stringify(Object.values(right.group));
  return a < b ? -1 : a > b ? 1 : 0;
}
