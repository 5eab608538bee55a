import type { Logger } from '../lib/logger.js';
import type { CustomerRecord, EntityRecord, KeyRecord, ProviderLimitsRecord, TeamRecord } from './entities.js';
import type { EntityRegistry } from './registry.js';
import type { EntityChanges, GovernanceStore, StoredEntity } from './storage/governance-store.js';

/** The record the registry holds for a stored entity: its document with the stored version. */
export function recordOf<T extends EntityRecord>(entity: StoredEntity): T {
  return { ...entity.document, version: entity.version } as T;
}

/**
 * Keeps the in-memory registry equal to storage: applies what changed after the store revision it
 * last applied, whoever wrote it (this replica's admin API, another replica, a config reload
 * anywhere). Syncs run one at a time and each applies its changes without an await, so a request
 * sees an entity before or after a change, never half of it.
 */
export class EntitySync {
  /** The store revision the registry reflects. */
  private applied = 0;
  /** The sync that has not started yet: later callers share it. */
  private queued: Promise<void> | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly registry: EntityRegistry,
    private readonly store: GovernanceStore,
    private readonly logger: Logger,
    /** Told when a provider's limits change, so admission rebuilds that provider's scope. */
    private readonly onProviderLimitsChanged: (name: string) => void,
  ) {}

  get revision(): number {
    return this.applied;
  }

  /** Applies every change stored after the revision applied last (the first call loads everything). */
  sync(): Promise<void> {
    if (this.queued !== undefined) return this.queued;
    const next = this.running.then(async () => {
      this.queued = undefined;
      this.apply(await this.store.changesSince(this.applied));
    });
    this.queued = next;
    this.running = next.catch(() => {});
    return next;
  }

  /** Syncs when the store's revision moved past the one applied (the cheap check polled on a timer). */
  async check(): Promise<boolean> {
    const head = await this.store.revision();
    if (head <= this.applied) return false;
    await this.sync();
    return true;
  }

  private apply(changes: EntityChanges): void {
    if (changes.revision <= this.applied && changes.entities.length === 0 && changes.removed.length === 0) return;
    const { registry } = this;
    const providers = new Set<string>();
    for (const { kind, id } of changes.removed) {
      if (kind === 'customer') registry.customers.delete(id);
      else if (kind === 'team') registry.teams.delete(id);
      else if (kind === 'virtual_key') registry.removeKey(id);
      else if (registry.providerLimits.delete(id)) providers.add(id);
    }
    // Owners before the keys that name them.
    for (const entity of changes.entities) {
      if (entity.kind === 'customer') registry.customers.set(entity.id, recordOf<CustomerRecord>(entity));
      else if (entity.kind === 'team') registry.teams.set(entity.id, recordOf<TeamRecord>(entity));
      else if (entity.kind === 'provider_limits') {
        registry.providerLimits.set(entity.id, recordOf<ProviderLimitsRecord>(entity));
        providers.add(entity.id);
      }
    }
    for (const entity of changes.entities) if (entity.kind === 'virtual_key') registry.putKey(recordOf<KeyRecord>(entity));
    this.applied = Math.max(this.applied, changes.revision);
    for (const name of providers) this.onProviderLimitsChanged(name);
    if (changes.entities.length + changes.removed.length > 0) this.logger.debug('governance: entity changes applied', { revision: this.applied, written: changes.entities.length, removed: changes.removed.length });
  }
}
