import { askPrimary } from '../../lib/cluster-ipc.js';
import type { ChargeScope, ChargeSum, JournaledSpend } from '../../pipeline/capabilities.js';
import type { AggregateQuery, AggregateRow, LogFilter, LogQuery } from './log-filter.js';
import type { LogCursor, LogPage, LogScanPage, NumberedLogStore } from './log-store.js';
import type { RequestRecord } from './request-record.js';
import type { SqlValue } from '../../storage/sql-database.js';
import { elideRepeats, STORED_COLUMNS, writeRecordValues } from './record-values.js';
import type { SqliteLogStore } from './sqlite-log-store.js';

/** IPC request types the primary answers (see src/cli/workers.ts). */
export const LOG_INSERT = 'log-insert';
export const LOG_DELETE = 'log-delete';

/**
 * The SQLite request log of a `tollgate --workers N` worker: its writes (batches, retention sweeps)
 * go to the primary, whose one writer thread stores every worker's records, so the file has a single
 * writer; its reads (queries, exports, aggregates) run here, on this worker's reader thread (WAL lets
 * them run while the primary writes). Two writer processes took turns on SQLite's lock and cost
 * twice the CPU per request in the benchmark.
 */
export class PrimaryLogStore implements NumberedLogStore {
  constructor(private readonly local: SqliteLogStore) {}

  migrate(): Promise<void> {
    return this.local.migrate();
  }

  /**
   * Sent as the records' parameters end to end, repeats elided (see elideRepeats), which the primary
   * posts to its writer thread as they are: the records as objects cost four times as much to copy
   * between the processes (every field's name, in every record) and then had to be flattened there.
   */
  insert(records: readonly RequestRecord[]): Promise<number> {
    const values: (SqlValue | undefined)[] = [];
    let length = 0;
    for (const record of records) length = writeRecordValues(record, values, length);
    elideRepeats(values, STORED_COLUMNS.length);
    return askPrimary<number>(LOG_INSERT, values);
  }

  async deleteBefore(epochMs: number): Promise<number> {
    return (await askPrimary<number | undefined>(LOG_DELETE, epochMs)) ?? 0;
  }

  lastId(): Promise<number> {
    return this.local.lastId();
  }

  spendBetween(after: number, through: number): Promise<JournaledSpend[]> {
    return this.local.spendBetween(after, through);
  }

  chargeSum(scope: ChargeScope, fromMs: number, toMs: number, throughId?: number): Promise<ChargeSum> {
    return this.local.chargeSum(scope, fromMs, toMs, throughId);
  }

  loggedRequestIds(ids: readonly string[]): Promise<Set<string>> {
    return this.local.loggedRequestIds(ids);
  }

  query(query: LogQuery): Promise<LogPage> {
    return this.local.query(query);
  }

  scan(filter: LogFilter, order: 'asc' | 'desc', limit: number, after: LogCursor | undefined): Promise<LogScanPage> {
    return this.local.scan(filter, order, limit, after);
  }

  aggregate(query: AggregateQuery): Promise<AggregateRow[]> {
    return this.local.aggregate(query);
  }

  close(): Promise<void> {
    return this.local.close();
  }
}
