import type { ChargeScope, ChargeSum, JournaledSpend } from '../../pipeline/capabilities.js';
import type { AggregateQuery, AggregateRow, LogFilter, LogQuery } from './log-filter.js';
import type { RequestRecord } from './request-record.js';

export interface LogPage {
  logs: RequestRecord[];
  /** Records matching the filter, over all pages. */
  total: number;
}

/** Where a scan stopped: after this record (its time, then its place among records of the same time). Opaque to callers. */
export interface LogCursor {
  ts: number;
  id: number;
}

export interface LogScanPage {
  logs: RequestRecord[];
  /** Where the next page starts; undefined after the last. */
  next: LogCursor | undefined;
}

/** Where request records live. One implementation per backend, all passing test/observability/log-store-suite.ts. */
export interface LogStore {
  /** Creates or upgrades the tables. */
  migrate(): Promise<void>;
  /** Resolves once the batch is stored; a NumberedLogStore with the id of its last record. */
  insert(records: readonly RequestRecord[]): Promise<number | void>;
  query(query: LogQuery): Promise<LogPage>;
  /**
   * The records matching `filter` in time order, `limit` at a time, each page starting `after` the
   * last: what an export walks. Unlike `query` it neither counts the matches nor skips an offset,
   * so a page deep in a million records costs what the first one does.
   */
  scan(filter: LogFilter, order: 'asc' | 'desc', limit: number, after: LogCursor | undefined): Promise<LogScanPage>;
  aggregate(query: AggregateQuery): Promise<AggregateRow[]>;
  /**
   * The ledger charges (`charged_nano_usd`) of `scope`'s records that arrived in [fromMs, toMs),
   * and, when `throughId` is set, were stored up to that id (a journal watermark).
   */
  chargeSum(scope: ChargeScope, fromMs: number, toMs: number, throughId?: number): Promise<ChargeSum>;
  /** Which of these request ids have a stored request record. */
  loggedRequestIds(ids: readonly string[]): Promise<Set<string>>;
  /** Deletes records that arrived before `epochMs`; returns how many. */
  deleteBefore(epochMs: number): Promise<number>;
  /** Releases what the store holds besides the gateway's storage (a writer thread); after the last insert. */
  close?(): Promise<void>;
}

/**
 * A store whose record ids grow in insertion order and run consecutively within a batch (SQLite's
 * `autoincrement` under one writer), so the request log can serve as a journal: the writer knows
 * which id each record it enqueued got (see LogWriter.durable).
 */
export interface NumberedLogStore extends LogStore {
  /** Resolves with the id of the batch's last record (its others precede it one by one). */
  insert(records: readonly RequestRecord[]): Promise<number>;
  /** The highest id stored so far (0 when empty). */
  lastId(): Promise<number>;
  /** Request records with `after < id <= through` and a known, non-zero cost, in id order. */
  spendBetween(after: number, through: number): Promise<JournaledSpend[]>;
}

export function isNumbered(store: LogStore): store is NumberedLogStore {
  return typeof (store as Partial<NumberedLogStore>).spendBetween === 'function';
}
