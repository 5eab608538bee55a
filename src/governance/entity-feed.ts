import type { Logger } from '../lib/logger.js';
import type { Storage } from '../storage/storage.js';
import type { EntitySync } from './entity-sync.js';
import type { ChangeChannel } from './spend-store.js';
import { ENTITY_CHANNEL } from './storage/postgres-governance-store.js';

/** Pause before listening again after the LISTEN connection broke. */
const RELISTEN_MS = 1_000;

export interface EntityFeedOptions {
  sync: EntitySync;
  storage: Storage;
  /** Redis pub/sub of the shared ledger, when it is Redis. */
  channel: ChangeChannel | undefined;
  intervalMs: number;
  logger: Logger;
}

/**
 * Brings entity changes made by other replicas into this one: a notice (PostgreSQL LISTEN/NOTIFY
 * when storage is PostgreSQL, else Redis pub/sub when the ledger is Redis) starts a sync at once,
 * and a timer compares the store's revision every `intervalMs` to catch whatever a notice missed
 * (a dropped connection, a replica that wrote without notifying). All of it runs beside the
 * request path, which keeps reading the in-memory registry.
 */
export class EntityFeed {
  private timer: NodeJS.Timeout | undefined;
  private stopListening: (() => Promise<void>) | undefined;
  private stopped = false;
  private failing = false;

  constructor(private readonly options: EntityFeedOptions) {}

  /** Whether notices come through Redis (so writers publish there after committing). */
  private get viaRedis(): boolean {
    return this.options.storage.kind !== 'postgres' && this.options.channel !== undefined;
  }

  async start(): Promise<void> {
    // A memory store belongs to this process alone: nothing to watch.
    if (this.options.storage.kind === 'memory') return;
    if (this.options.storage.kind === 'postgres') this.listenPostgres(this.options.storage.pool);
    else if (this.options.channel !== undefined) this.stopListening = await this.options.channel.subscribe(() => this.poke());
    this.restartTimer(this.options.intervalMs);
  }

  restartTimer(intervalMs: number): void {
    if (this.options.storage.kind === 'memory' || this.stopped) return;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  /** After this replica wrote an entity: applies it here, then tells the others (PostgreSQL told them on commit). */
  async written(): Promise<void> {
    await this.options.sync.sync();
    if (this.viaRedis) this.options.channel!.publish(this.options.sync.revision);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.stopListening?.().catch(() => {});
  }

  private poke(): void {
    if (!this.stopped) this.options.sync.sync().then(() => this.recovered(), (error: Error) => this.failed(error));
  }

  private check(): void {
    this.options.sync.check().then(
      (moved) => {
        if (moved) this.options.logger.debug('governance: the revision check found entity changes no notice announced', { revision: this.options.sync.revision });
        this.recovered();
      },
      (error: Error) => this.failed(error),
    );
  }

  private failed(error: Error): void {
    if (this.failing) return;
    this.failing = true;
    this.options.logger.error('governance: cannot read entity changes from storage; this replica keeps its entities as they are until storage answers', { error: error.message });
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.options.logger.info('governance: entity changes are read from storage again', { revision: this.options.sync.revision });
  }

  /** LISTEN on a connection of its own (held from the pool), set up again after it breaks; each notice syncs. */
  private listenPostgres(pool: import('pg').Pool): void {
    const listen = async () => {
      if (this.stopped) return;
      let client: import('pg').PoolClient;
      try {
        client = await pool.connect();
      } catch {
        setTimeout(listen, RELISTEN_MS).unref();
        return;
      }
      if (this.stopped) {
        client.release(true);
        return;
      }
      let released = false;
      const release = (error?: Error) => {
        if (released) return;
        released = true;
        client.off('notification', onNotice);
        client.release(error ?? true);
      };
      const onNotice = () => this.poke();
      client.on('notification', onNotice);
      client.once('error', (error: Error) => {
        release(error);
        setTimeout(listen, RELISTEN_MS).unref();
      });
      client.on('error', () => {});
      try {
        await client.query(`LISTEN ${ENTITY_CHANNEL}`);
      } catch (error) {
        release(error as Error);
        setTimeout(listen, RELISTEN_MS).unref();
        return;
      }
      this.stopListening = async () => {
        release();
      };
      if (this.stopped) return release();
      // Whatever changed while this connection was down.
      this.poke();
    };
    void listen();
  }
}
