import { GENESIS_HASH, hashEntry, type AuditEntry } from './audit-entry.js';
import type { AuditListQuery, AuditStore, TimedAuditEvent } from './audit-store.js';
import { matchesAuditQuery } from './audit-query.js';

/** The audit chain in memory (storage type `memory`): tamper evidence for the life of the process only. */
export class MemoryAuditStore implements AuditStore {
  readonly entries: AuditEntry[] = [];

  async migrate(): Promise<void> {}

  async append(events: readonly TimedAuditEvent[]): Promise<void> {
    for (const event of events) {
      const last = this.entries[this.entries.length - 1];
      const unsigned = { seq: (last?.seq ?? 0) + 1, time: event.time, actor: event.actor, action: event.action, target: event.target ?? null, details: event.details ?? {} };
      const previousHash = last?.hash ?? GENESIS_HASH;
      this.entries.push({ ...unsigned, prev_hash: previousHash, hash: hashEntry(unsigned, previousHash) });
    }
  }

  async list(query: AuditListQuery): Promise<AuditEntry[]> {
    const matching = this.entries.filter((entry) => matchesAuditQuery(entry, query));
    if (query.order === 'desc') matching.reverse();
    return matching.slice(0, query.limit).map((entry) => structuredClone(entry));
  }

  async *pages(pageSize = 1000): AsyncIterable<AuditEntry[]> {
    for (let start = 0; start < this.entries.length; start += pageSize) yield this.entries.slice(start, start + pageSize);
  }
}
