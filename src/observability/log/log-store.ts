import type { AggregateQuery, AggregateRow, LogQuery } from './log-filter.js';
import type { RequestRecord } from './request-record.js';

export interface LogPage {
  logs: RequestRecord[];
  /** Records matching the filter, over all pages. */
  total: number;
}

/** Where request records live. One implementation per backend, all passing test/observability/log-store-suite.ts. */
export interface LogStore {
  /** Creates or upgrades the tables. */
  migrate(): Promise<void>;
  insert(records: readonly RequestRecord[]): Promise<void>;
  query(query: LogQuery): Promise<LogPage>;
  aggregate(query: AggregateQuery): Promise<AggregateRow[]>;
  /** Deletes records that arrived before `epochMs`; returns how many. */
  deleteBefore(epochMs: number): Promise<number>;
  /** Releases what the store holds besides the gateway's storage (a writer thread); after the last insert. */
  close?(): Promise<void>;
}
