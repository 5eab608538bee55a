import type { AuditSink } from '../pipeline/audit-sink.js';
import type { RequestJournal } from '../pipeline/capabilities.js';
import type { Logger } from '../lib/logger.js';
import { GatewayError } from '../spec/index.js';
import type { CustomerRecord, EntityKind, EntityRecord, KeyRecord, ProviderLimitsRecord, TeamRecord } from './entities.js';
import { generateKeySecret, hashKey } from './key-secret.js';
import type { EntityRegistry } from './registry.js';
import type { CounterSnapshot, SpendStore } from './spend-store.js';
import type { GovernanceStore, StoredEntity } from './storage/governance-store.js';

export interface GovernanceServiceOptions {
  registry: EntityRegistry;
  spend: SpendStore;
  store: GovernanceStore;
  audit: AuditSink;
  logger: Logger;
  now: () => number;
  /** Told when a provider's limits change, so admission rebuilds that provider's scope. */
  onProviderLimitsChanged?: (name: string) => void;
}

/**
 * Entity changes (admin API) and the spend flush: each change is written to storage first, then
 * swapped into the in-memory registry, so the next request sees it and a restart keeps it.
 */
export class GovernanceService {
  private flushing: Promise<void> | undefined;
  /** Counters whose last write failed: written again with the next flush. */
  private unsaved = new Map<string, CounterSnapshot>();
  /** `kind:id` → the config definition hash a config entity was seeded from (kept across admin edits). */
  private readonly seedHashes = new Map<string, string>();
  /** The request log as a journal, when the ledger's counters are kept only by this flush (see useJournal). */
  private journal: RequestJournal | undefined;
  /** The journal watermark last saved with the counters. */
  private savedWatermark: number | undefined;

  constructor(readonly options: GovernanceServiceOptions) {}

  load(entities: readonly StoredEntity[]): void {
    const registry = this.options.registry;
    for (const entity of entities) {
      if (entity.seedHash !== undefined) this.seedHashes.set(`${entity.kind}:${entity.id}`, entity.seedHash);
      if (entity.kind === 'customer') registry.customers.set(entity.id, entity.document as CustomerRecord);
      else if (entity.kind === 'team') registry.teams.set(entity.id, entity.document as TeamRecord);
      else if (entity.kind === 'provider_limits') registry.providerLimits.set(entity.id, entity.document as ProviderLimitsRecord);
    }
    for (const entity of entities) if (entity.kind === 'virtual_key') registry.putKey(entity.document as KeyRecord);
  }

  /**
   * After a config reload re-seeded storage (`entities`: everything stored afterwards): config
   * entities that are new or whose definition changed replace the registry's, config entities no
   * longer in the file leave it. Unchanged config entities (with any admin edits), API-created
   * entities and all spend stay as they are.
   */
  reloadConfigEntities(entities: readonly StoredEntity[]): { changed: number; removed: number } {
    const registry = this.options.registry;
    const inConfig = new Set<string>();
    const changed: StoredEntity[] = [];
    for (const entity of entities) {
      if (entity.document.source !== 'config') continue;
      const name = `${entity.kind}:${entity.id}`;
      inConfig.add(name);
      if (this.seedHashes.get(name) !== entity.seedHash) changed.push(entity);
    }
    let removed = 0;
    const dropRemoved = <T extends { source: string }>(kind: EntityKind, entries: Iterable<[string, T]>, remove: (id: string) => void) => {
      for (const [id, record] of [...entries]) {
        if (record.source !== 'config' || inConfig.has(`${kind}:${id}`)) continue;
        remove(id);
        this.seedHashes.delete(`${kind}:${id}`);
        removed++;
      }
    };
    dropRemoved('virtual_key', [...registry.keys].map(([id, entry]) => [id, entry.record] as [string, KeyRecord]), (id) => registry.removeKey(id));
    dropRemoved('team', registry.teams, (id) => registry.teams.delete(id));
    dropRemoved('customer', registry.customers, (id) => registry.customers.delete(id));
    this.load(changed);
    return { changed: changed.length, removed };
  }

  async putCustomer(record: CustomerRecord, action: 'create' | 'update'): Promise<void> {
    await this.persist('customer', record);
    this.options.registry.customers.set(record.id, record);
    this.audit(`customer.${action}`, record.id, { budgets: record.budgets.length, rate_limits: record.rate_limits !== undefined });
  }

  async putTeam(record: TeamRecord, action: 'create' | 'update'): Promise<void> {
    if (record.customer !== undefined && !this.options.registry.customers.has(record.customer)) {
      throw new GatewayError('invalid_request', `customer: unknown customer "${record.customer}"`, { param: 'customer' });
    }
    await this.persist('team', record);
    this.options.registry.teams.set(record.id, record);
    this.audit(`team.${action}`, record.id, { customer: record.customer });
  }

  async putKey(record: KeyRecord, action: string): Promise<void> {
    const registry = this.options.registry;
    if (record.team !== undefined && record.customer !== undefined) throw new GatewayError('invalid_request', 'A virtual key belongs to a team or a customer, not both.');
    if (record.team !== undefined && !registry.teams.has(record.team)) throw new GatewayError('invalid_request', `team: unknown team "${record.team}"`, { param: 'team' });
    if (record.customer !== undefined && !registry.customers.has(record.customer)) throw new GatewayError('invalid_request', `customer: unknown customer "${record.customer}"`, { param: 'customer' });
    await this.persist('virtual_key', record);
    registry.putKey(record);
    this.audit(`virtual_key.${action}`, record.id, { team: record.team, customer: record.customer, active: record.active });
  }

  /** Replaces a provider's global budgets and limits (undefined: back to the config's). */
  async setProviderLimits(name: string, record: ProviderLimitsRecord | undefined): Promise<void> {
    if (record === undefined) await this.options.store.deleteEntity('provider_limits', name);
    else await this.persist('provider_limits', record);
    if (record === undefined) this.options.registry.providerLimits.delete(name);
    else this.options.registry.providerLimits.set(name, record);
    this.options.onProviderLimitsChanged?.(name);
    this.audit(record === undefined ? 'provider_limits.delete' : 'provider_limits.update', name, { budgets: record?.budgets.length ?? 0, rate_limits: record?.rate_limits !== undefined });
  }

  /** Creates a key with a fresh secret; the secret is returned here and never again. */
  async createKey(record: Omit<KeyRecord, 'key_hash'>): Promise<{ record: KeyRecord; secret: string }> {
    const secret = generateKeySecret();
    const full: KeyRecord = { ...record, key_hash: hashKey(secret) };
    await this.putKey(full, 'create');
    return { record: full, secret };
  }

  /** New secret; the old one keeps working for `graceSeconds`. */
  async rotateKey(id: string, graceSeconds: number): Promise<{ record: KeyRecord; secret: string }> {
    const existing = this.requireKey(id);
    const secret = generateKeySecret();
    const record: KeyRecord = {
      ...existing,
      key_hash: hashKey(secret),
      previous_key_hash: graceSeconds > 0 ? existing.key_hash : undefined,
      previous_valid_until: graceSeconds > 0 ? new Date(this.options.now() + graceSeconds * 1000).toISOString() : undefined,
    };
    await this.putKey(record, 'rotate');
    return { record, secret };
  }

  async deleteEntity(kind: EntityKind, id: string): Promise<void> {
    const registry = this.options.registry;
    const existing = kind === 'customer' ? this.requireCustomer(id) : kind === 'team' ? this.requireTeam(id) : this.requireKey(id);
    if (existing.source === 'config') throw new GatewayError('conflict', `\`${id}\` is defined in the config file: remove it there (or set \`active: false\` on a key).`);
    if (kind === 'customer') {
      const users = [...[...registry.teams.values()].filter((team) => team.customer === id).map((team) => `team ${team.id}`), ...[...registry.keys.values()].filter((key) => key.record.customer === id).map((key) => `key ${key.record.id}`)];
      if (users.length > 0) throw new GatewayError('conflict', `Customer \`${id}\` is still referenced by ${users.slice(0, 5).join(', ')}.`);
    } else if (kind === 'team') {
      const users = [...registry.keys.values()].filter((key) => key.record.team === id).map((key) => key.record.id);
      if (users.length > 0) throw new GatewayError('conflict', `Team \`${id}\` is still referenced by virtual keys ${users.slice(0, 5).join(', ')}.`);
    }
    await this.options.store.deleteEntity(kind, id);
    if (kind === 'customer') registry.customers.delete(id);
    else if (kind === 'team') registry.teams.delete(id);
    else registry.removeKey(id);
    this.audit(`${kind}.delete`, id, {});
  }

  requireKey(id: string): KeyRecord {
    const found = this.options.registry.keys.get(id);
    if (found === undefined) throw new GatewayError('not_found', `No virtual key \`${id}\`.`);
    return found.record;
  }

  requireTeam(id: string): TeamRecord {
    const found = this.options.registry.teams.get(id);
    if (found === undefined) throw new GatewayError('not_found', `No team \`${id}\`.`);
    return found;
  }

  requireCustomer(id: string): CustomerRecord {
    const found = this.options.registry.customers.get(id);
    if (found === undefined) throw new GatewayError('not_found', `No customer \`${id}\`.`);
    return found;
  }

  audit(action: string, target: string, details: Record<string, unknown>, actor = 'admin'): void {
    try {
      this.options.audit.append({ actor, action, target, details });
    } catch (error) {
      this.options.logger.error('audit append failed', { action, error: (error as Error).message });
    }
  }

  /**
   * Runs `catchUp` (charging what the journal holds past `saved`, the watermark the stored
   * counters include) between two flushes, then has every flush save, with the counters, the
   * journal watermark of the requests they include, so that after a crash the requests the log
   * kept and the counters lost can be charged again and both lose the same requests. A flush
   * between a partial catch-up and its watermark would store counters that a later catch-up
   * charges again.
   */
  useJournal(journal: RequestJournal, saved: number | undefined, catchUp: () => Promise<void>): Promise<void> {
    const previous = this.flushing ?? Promise.resolve();
    const connected = previous.then(catchUp).finally(() => {
      this.journal = journal;
      this.savedWatermark = saved;
    });
    this.flushing = connected.catch(() => {});
    return connected;
  }

  /**
   * Writes spend changed since the last flush. Safe to call concurrently (calls are serialised).
   * With a journal, the counters are read and the journal marked in one turn of a fresh
   * macrotask: a request settles its spend and enqueues its log record in one chain of
   * microtasks (pipeline.ts: settle, then finish and its observers), so no request is then
   * between the two, and every request either is in both the snapshot and the records up to the
   * mark, or in neither.
   */
  flush(): Promise<void> {
    const previous = this.flushing ?? Promise.resolve();
    const next = previous.then(async () => {
      const journal = this.journal;
      if (journal !== undefined) await new Promise((resolve) => setImmediate(resolve));
      const taken = this.options.spend.takeChanged();
      const durable = journal?.durable(journal.mark());
      for (const counter of await taken) this.unsaved.set(counter.counter, counter);
      const watermark = durable === undefined ? undefined : await durable;
      const moved = watermark !== undefined && watermark !== this.savedWatermark;
      if (this.unsaved.size === 0 && !moved) return;
      const batch = [...this.unsaved.values()];
      this.unsaved = new Map();
      try {
        await this.options.store.saveCounters(batch, moved ? watermark : undefined);
        if (moved) this.savedWatermark = watermark;
      } catch (error) {
        for (const counter of batch) if (!this.unsaved.has(counter.counter)) this.unsaved.set(counter.counter, counter);
        this.options.logger.error('governance: spend flush failed; retrying on the next interval', { counters: batch.length, error: (error as Error).message });
        throw error;
      }
    });
    this.flushing = next.catch(() => {});
    return next;
  }

  private async persist(kind: EntityKind, record: EntityRecord): Promise<void> {
    await this.options.store.putEntity({ kind, id: record.id, document: record, seedHash: this.seedHashes.get(`${kind}:${record.id}`) });
  }
}
