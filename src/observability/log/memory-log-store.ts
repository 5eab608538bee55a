import { matchesFilter, type AggregateQuery, type AggregateRow, type LogFilter, type LogQuery } from './log-filter.js';
import type { LogCursor, LogPage, LogScanPage, LogStore } from './log-store.js';
import type { RequestRecord } from './request-record.js';
import { aggregateRecords } from './aggregate-records.js';
import type { ChargeScope, ChargeSum } from '../../pipeline/capabilities.js';
import { chargedIn } from './charge-sum.js';

/** Keeps records in memory (storage type `memory`), the oldest evicted past `capacity`. */
export class MemoryLogStore implements LogStore {
  private records: RequestRecord[] = [];
  /** Each record's arrival number (the SQL stores' id), parallel to `records`. */
  private sequence: number[] = [];
  private nextSequence = 1;

  constructor(private readonly capacity = 100_000) {}

  async migrate(): Promise<void> {}

  async insert(records: readonly RequestRecord[]): Promise<void> {
    for (const record of records) {
      this.records.push(structuredClone(record));
      this.sequence.push(this.nextSequence++);
    }
    if (this.records.length > this.capacity) {
      this.records.splice(0, this.records.length - this.capacity);
      this.sequence.splice(0, this.sequence.length - this.capacity);
    }
  }

  async chargeSum(scope: ChargeScope, fromMs: number, toMs: number, throughId?: number): Promise<ChargeSum> {
    let nanoUsd = 0;
    let records = 0;
    this.records.forEach((record, index) => {
      if (throughId !== undefined && this.sequence[index]! > throughId) return;
      if (!chargedIn(record, scope, fromMs, toMs)) return;
      nanoUsd += record.charged_nano_usd!;
      records++;
    });
    return { nanoUsd, records };
  }

  async loggedRequestIds(ids: readonly string[]): Promise<Set<string>> {
    const wanted = new Set(ids);
    return new Set(this.records.filter((record) => record.kind === 'request' && wanted.has(record.request_id)).map((record) => record.request_id));
  }

  async query(query: LogQuery): Promise<LogPage> {
    const matching = this.records.filter((record) => matchesFilter(record, query.filter));
    const direction = query.order === 'asc' ? 1 : -1;
    const key = query.sort;
    // Stable: equal keys keep arrival order (reversed for desc), as the SQL stores do with their id tie-break.
    const indexed = matching.map((record, index) => ({ record, index }));
    indexed.sort((left, right) => {
      const a = key === 'timestamp' ? Date.parse(left.record.timestamp) : left.record[key];
      const b = key === 'timestamp' ? Date.parse(right.record.timestamp) : right.record[key];
      if (a !== b) {
        if (a === null) return 1;
        if (b === null) return -1;
        return (a < b ? -1 : 1) * direction;
      }
      return (left.index - right.index) * direction;
    });
    return { logs: indexed.slice(query.offset, query.offset + query.limit).map(({ record }) => structuredClone(record)), total: matching.length };
  }

  async scan(filter: LogFilter, order: 'asc' | 'desc', limit: number, after: LogCursor | undefined): Promise<LogScanPage> {
    const direction = order === 'asc' ? 1 : -1;
    const compare = (ts: number, id: number, cursor: LogCursor) => (ts !== cursor.ts ? ts - cursor.ts : id - cursor.id) * direction;
    const matching = this.records
      .map((record, index) => ({ record, ts: Date.parse(record.timestamp), id: this.sequence[index]! }))
      .filter(({ record, ts, id }) => matchesFilter(record, filter) && (after === undefined || compare(ts, id, after) > 0))
      .sort((left, right) => compare(left.ts, left.id, right));
    const page = matching.slice(0, limit);
    const last = page[page.length - 1];
    return { logs: page.map(({ record }) => structuredClone(record)), next: page.length < limit || last === undefined ? undefined : { ts: last.ts, id: last.id } };
  }

  async aggregate(query: AggregateQuery): Promise<AggregateRow[]> {
    return aggregateRecords(this.records.filter((record) => matchesFilter(record, query.filter)), query);
  }

  async deleteBefore(epochMs: number): Promise<number> {
    const before = this.records.length;
    const kept = this.records.map((record, index) => ({ record, sequence: this.sequence[index]! })).filter(({ record }) => Date.parse(record.timestamp) >= epochMs);
    this.records = kept.map(({ record }) => record);
    this.sequence = kept.map(({ sequence }) => sequence);
    return before - this.records.length;
  }
}
