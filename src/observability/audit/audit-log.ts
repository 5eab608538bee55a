import type { AuditEvent, AuditSink } from '../../pipeline/audit-sink.js';
import type { Logger } from '../../lib/logger.js';
import type { Storage } from '../../storage/storage.js';
import { redactObject } from '../log/redact.js';
import { sqlDatabaseFor } from '../../storage/sql-database-for.js';
import type { AuditStore, TimedAuditEvent } from './audit-store.js';
import { MemoryAuditStore } from './memory-audit-store.js';
import { SqlAuditStore } from './sql-audit-store.js';
import { verifyChain, type ChainHead, type ChainVerdict } from './verify-chain.js';

/**
 * The tamper-evident audit log. `append` is synchronous and cheap (the event is timestamped,
 * scrubbed of secrets and queued); a single writer links queued events into the chain in order.
 */
export class AuditLog implements AuditSink {
  private queue: TimedAuditEvent[] = [];
  private writing: Promise<void> | undefined;
  private scheduled = false;

  constructor(
    readonly store: AuditStore,
    private readonly logger: Logger,
  ) {}

  append(event: AuditEvent): void {
    const details = event.details === undefined ? undefined : (redactObject(event.details) as Record<string, unknown>);
    this.queue.push({ time: new Date().toISOString(), actor: event.actor, action: event.action, target: event.target, details });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        void this.flush();
      });
    }
  }

  /** Resolves once every event appended so far is in the chain. */
  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.writing = this.store
      .append(batch)
      .catch((error: unknown) => {
        // Put them back in front, in order, to retry on the next flush.
        this.queue = [...batch, ...this.queue];
        this.logger.error('audit log write failed; will retry', { events: batch.length, error });
      })
      .finally(() => {
        this.writing = undefined;
      });
    await this.writing;
  }

  async verify(expectedHead?: ChainHead): Promise<ChainVerdict> {
    await this.flush();
    return verifyChain(this.store.pages(), expectedHead);
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.queue.length > 0) this.logger.error('audit events lost at shutdown', { events: this.queue.length });
  }
}

/** The audit store on the gateway's storage, migrated. */
export async function openAuditStore(storage: Storage, prefix = 'tollgate_'): Promise<AuditStore> {
  const database = sqlDatabaseFor(storage);
  const store = database === undefined ? new MemoryAuditStore() : new SqlAuditStore(database, prefix);
  await store.migrate();
  return store;
}

export async function openAuditLog(storage: Storage, logger: Logger): Promise<AuditLog> {
  return new AuditLog(await openAuditStore(storage), logger);
}
