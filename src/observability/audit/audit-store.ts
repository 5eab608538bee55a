import type { AuditEvent } from '../../pipeline/audit-sink.js';
import type { AuditEntry } from './audit-entry.js';

export interface TimedAuditEvent extends AuditEvent {
  time: string;
}

export interface AuditListQuery {
  /** Entries with seq greater than this. */
  afterSeq?: number;
  /** Entries with seq less than this (paging back from the newest with `order: 'desc'`). */
  beforeSeq?: number;
  limit: number;
  actor?: string;
  action?: string;
  target?: string;
  order?: 'asc' | 'desc';
}

/** Where the audit chain lives. `append` links the events in order, atomically with respect to other appenders. */
export interface AuditStore {
  migrate(): Promise<void>;
  append(events: readonly TimedAuditEvent[]): Promise<void>;
  list(query: AuditListQuery): Promise<AuditEntry[]>;
  /** Every entry in seq order, a page at a time (for verification). */
  pages(pageSize?: number): AsyncIterable<AuditEntry[]>;
}
