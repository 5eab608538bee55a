import { migrate, type Migration } from '../../storage/migrations.js';
import type { SqlDatabase, SqlValue } from '../../storage/sql-database.js';
import { GENESIS_HASH, hashEntry, type AuditEntry } from './audit-entry.js';
import type { AuditListQuery, AuditStore, TimedAuditEvent } from './audit-store.js';

const TABLE = (types: { seq: string }) =>
  `create table if not exists {prefix}audit_log (seq ${types.seq} primary key, time text not null, actor text not null, action text not null, target text, details text not null, prev_hash text not null, hash text not null)`;

const AUDIT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sqlite: [TABLE({ seq: 'integer' }), 'create index if not exists {prefix}audit_log_action on {prefix}audit_log (action, seq)'],
    postgres: [TABLE({ seq: 'bigint' }), 'create index if not exists {prefix}audit_log_action on {prefix}audit_log (action, seq)'],
  },
];

/** How many of the chain's newest entries a retried append looks through for its own (appended moments ago). */
const RECENT_ENTRIES_CHECKED = 1_000;

interface AuditRow {
  seq: number | string;
  time: string;
  actor: string;
  action: string;
  target: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

/** The audit chain in `<prefix>audit_log` on SQLite or PostgreSQL. */
export class SqlAuditStore implements AuditStore {
  private readonly table: string;
  /** Whether the last append failed: it may have committed all the same (see append). */
  private lastAppendFailed = false;

  constructor(
    private readonly database: SqlDatabase,
    private readonly prefix = 'tollgate_',
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(prefix)) throw new Error(`invalid table prefix ${prefix}`);
    this.table = `${prefix}audit_log`;
  }

  migrate(): Promise<void> {
    return migrate(this.database, this.prefix, 'audit_log', AUDIT_MIGRATIONS);
  }

  /**
   * The AuditLog appends a batch that failed again with the next one. A batch whose COMMIT went
   * through but whose answer was lost (the connection broke: PostgreSQL stopped or restarted) would
   * be in the chain twice; so the append after a failed one skips the events the chain's newest
   * entries already hold.
   */
  async append(events: readonly TimedAuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    const unsure = this.lastAppendFailed;
    try {
      await this.database.transaction((transaction) => this.appendIn(transaction, events, unsure));
      this.lastAppendFailed = false;
    } catch (error) {
      this.lastAppendFailed = true;
      throw error;
    }
  }

  private async appendIn(transaction: SqlDatabase, all: readonly TimedAuditEvent[], unsure: boolean): Promise<void> {
    // Replicas appending at once take turns, so each links to the true last entry.
    if (transaction.dialect === 'postgres') await transaction.query('select pg_advisory_xact_lock(hashtext(?))', [this.table]);
    const events = unsure ? await this.unstored(transaction, all) : all;
    if (events.length === 0) return;
    const last = await transaction.query<{ seq: number | string; hash: string }>(`select seq, hash from ${this.table} order by seq desc limit 1`);
    let seq = Number(last[0]?.seq ?? 0);
    let previousHash = last[0]?.hash ?? GENESIS_HASH;
    for (const event of events) {
      seq++;
      const unsigned = { seq, time: event.time, actor: event.actor, action: event.action, target: event.target ?? null, details: event.details ?? {} };
      const hash = hashEntry(unsigned, previousHash);
      await transaction.execute(`insert into ${this.table} (seq, time, actor, action, target, details, prev_hash, hash) values (?, ?, ?, ?, ?, ?, ?, ?)`, [
        seq,
        unsigned.time,
        unsigned.actor,
        unsigned.action,
        unsigned.target,
        JSON.stringify(unsigned.details),
        previousHash,
        hash,
      ]);
      previousHash = hash;
    }
  }

  /** The events not among the chain's newest entries (a batch lands whole or not at all, within moments). */
  private async unstored(transaction: SqlDatabase, events: readonly TimedAuditEvent[]): Promise<readonly TimedAuditEvent[]> {
    const identity = (time: string, actor: string, action: string, target: string | null | undefined, details: string) => JSON.stringify([time, actor, action, target ?? null, details]);
    const recent = await transaction.query<AuditRow>(`select time, actor, action, target, details from ${this.table} order by seq desc limit ?`, [RECENT_ENTRIES_CHECKED]);
    const stored = new Set(recent.map((row) => identity(row.time, row.actor, row.action, row.target, row.details)));
    return events.filter((event) => !stored.has(identity(event.time, event.actor, event.action, event.target, JSON.stringify(event.details ?? {}))));
  }

  async list(query: AuditListQuery): Promise<AuditEntry[]> {
    const clauses: string[] = [];
    const params: SqlValue[] = [];
    if (query.afterSeq !== undefined) {
      clauses.push('seq > ?');
      params.push(query.afterSeq);
    }
    if (query.beforeSeq !== undefined) {
      clauses.push('seq < ?');
      params.push(query.beforeSeq);
    }
    for (const column of ['actor', 'action', 'target'] as const) {
      const value = query[column];
      if (value === undefined) continue;
      clauses.push(`${column} = ?`);
      params.push(value);
    }
    const where = clauses.length === 0 ? '' : ` where ${clauses.join(' and ')}`;
    const rows = await this.database.query<AuditRow>(`select * from ${this.table}${where} order by seq ${query.order === 'desc' ? 'desc' : 'asc'} limit ?`, [...params, query.limit]);
    return rows.map(toEntry);
  }

  async *pages(pageSize = 1000): AsyncIterable<AuditEntry[]> {
    let after = 0;
    for (;;) {
      const rows = await this.database.query<AuditRow>(`select * from ${this.table} where seq > ? order by seq asc limit ?`, [after, pageSize]);
      if (rows.length === 0) return;
      const entries = rows.map(toEntry);
      yield entries;
      after = entries[entries.length - 1]!.seq;
    }
  }
}

function toEntry(row: AuditRow): AuditEntry {
  let details: Record<string, unknown>;
  try {
    details = JSON.parse(row.details) as Record<string, unknown>;
  } catch {
    // A hand-edited row that is not JSON any more: keep the text so the hash check fails on it.
    details = { unparseable: row.details };
  }
  return { seq: Number(row.seq), time: row.time, actor: row.actor, action: row.action, target: row.target, details, prev_hash: row.prev_hash, hash: row.hash };
}
