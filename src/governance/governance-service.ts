import type { AuditSink } from '../pipeline/audit-sink.js';
import type { RequestJournal } from '../pipeline/capabilities.js';
import type { Logger } from '../lib/logger.js';
import { GatewayError } from '../spec/index.js';
import type { CustomerRecord, EntityKind, EntityRecord, KeyRecord, ProviderLimitsRecord, TeamRecord } from './entities.js';
import { generateKeySecret, hashKey } from './key-secret.js';
import type { EntityRegistry } from './registry.js';
import type { CounterSnapshot, SpendStore } from './spend-store.js';
import { recordOf } from './entity-sync.js';
import type { EntityWriteResult, GovernanceStore, StoredEntity } from './storage/governance-store.js';

export interface GovernanceServiceOptions {
  registry: EntityRegistry;
  spend: SpendStore;
  store: GovernanceStore;
  audit: AuditSink;
  logger: Logger;
  now: () => number;
  /** After each entity write: applies the stored changes to the registry and tells the other replicas. */
  written: () => Promise<void>;
}

/** The stored document of a record: everything but the version storage keeps beside it. */
function documentOf(record: EntityRecord): EntityRecord {
  const { version: _version, ...document } = record;
  return document as EntityRecord;
}

/**
 * Entity changes (admin API) and the spend flush. Each change is written to storage, conditional
 * on the version the caller names or computed from the newest stored state (never from this
 * replica's copy, which may be stale), then applied to the in-memory registry through the same
 * sync that brings other replicas' changes, so the next request here sees it and a restart keeps it.
 */
export class GovernanceService {
  private flushing: Promise<void> | undefined;
  /** Counters whose last write failed: written again with the next flush. */
  private unsaved = new Map<string, CounterSnapshot>();
  /** The request log as a journal, when the ledger's counters are kept only by this flush (see useJournal). */
  private journal: RequestJournal | undefined;
  /** The journal watermark last saved with the counters. */
  private savedWatermark: number | undefined;

  constructor(readonly options: GovernanceServiceOptions) {}

  /** Creates an entity (`conflict` when one with its id exists, on any replica). */
  async create<T extends EntityRecord>(kind: EntityKind, record: T): Promise<T> {
    if (kind === 'virtual_key') this.checkOwner(record as KeyRecord);
    if (kind === 'team') this.checkTeam(record as TeamRecord);
    const stored = await this.options.store.insertEntity({ kind, id: record.id, document: documentOf(record), seedHash: undefined });
    if (stored === undefined) throw new GatewayError('conflict', `A ${KIND_NAMES[kind]} \`${record.id}\` already exists.`);
    await this.options.written();
    this.audit(`${kind}.create`, record.id, auditDetails(kind, record));
    return recordOf<T>(stored);
  }

  /**
   * Rewrites an entity with `change` applied to its newest stored state (`expected`: only if it
   * is still at that version, else `version_conflict`).
   */
  async update<T extends EntityRecord>(kind: EntityKind, id: string, expected: number | undefined, change: (current: T) => T, action = 'update'): Promise<T> {
    const result = await this.options.store.updateEntity(kind, id, expected, (current) => {
      const next = change(recordOf<T>(current));
      if (kind === 'virtual_key') this.checkOwner(next as KeyRecord);
      if (kind === 'team') this.checkTeam(next as TeamRecord);
      return { document: documentOf(next), seedHash: current.seedHash };
    });
    const stored = this.written(kind, id, result);
    await this.options.written();
    const record = recordOf<T>(stored);
    this.audit(`${kind}.${action}`, id, auditDetails(kind, record));
    return record;
  }

  /** Replaces a provider's global budgets and limits (undefined: back to the config's). */
  async setProviderLimits(name: string, record: ProviderLimitsRecord | undefined): Promise<void> {
    if (record === undefined) await this.options.store.deleteEntity('provider_limits', name);
    else await this.options.store.putEntity({ kind: 'provider_limits', id: name, document: documentOf(record), seedHash: undefined });
    await this.options.written();
    this.audit(record === undefined ? 'provider_limits.delete' : 'provider_limits.update', name, { budgets: record?.budgets.length ?? 0, rate_limits: record?.rate_limits !== undefined });
  }

  /** Creates a key with a fresh secret; the secret is returned here and never again. */
  async createKey(record: Omit<KeyRecord, 'key_hash'>): Promise<{ record: KeyRecord; secret: string }> {
    const secret = generateKeySecret();
    return { record: await this.create<KeyRecord>('virtual_key', { ...record, key_hash: hashKey(secret) }), secret };
  }

  /** New secret; the old one (as stored now, whoever set it) keeps working for `graceSeconds`. */
  async rotateKey(id: string, graceSeconds: number, expected?: number): Promise<{ record: KeyRecord; secret: string }> {
    const secret = generateKeySecret();
    const record = await this.update<KeyRecord>(
      'virtual_key',
      id,
      expected,
      (existing) => ({
        ...existing,
        key_hash: hashKey(secret),
        previous_key_hash: graceSeconds > 0 ? existing.key_hash : undefined,
        previous_valid_until: graceSeconds > 0 ? new Date(this.options.now() + graceSeconds * 1000).toISOString() : undefined,
      }),
      'rotate',
    );
    return { record, secret };
  }

  async deleteEntity(kind: EntityKind, id: string, expected?: number): Promise<void> {
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
    this.written(kind, id, await this.options.store.deleteEntity(kind, id, expected));
    await this.options.written();
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

  /** Who the changes made through this service are audited as (see `as`). */
  readonly actor: string = 'admin';

  /**
   * This service acting for `actor` (`admin`, or `user:<name>` for a console account): the audit
   * log's actor of what it changes. A view sharing everything else with this service.
   */
  as(actor: string): GovernanceService {
    return Object.create(this, { actor: { value: actor } }) as GovernanceService;
  }

  audit(action: string, target: string, details: Record<string, unknown>, actor = this.actor): void {
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

  /** The entity a conditional write wrote; its refusal as the admin API answers it. */
  private written(kind: EntityKind, id: string, result: EntityWriteResult): StoredEntity {
    if (result.status === 'written') return result.entity;
    if (result.status === 'missing') throw new GatewayError('not_found', `No ${KIND_NAMES[kind]} \`${id}\`.`);
    throw new GatewayError('version_conflict', `The ${KIND_NAMES[kind]} \`${id}\` is at version ${result.current}, not the version this change was made from: read it again, then retry.`, {
      headers: { etag: `"${result.current}"` },
    });
  }

  /** A key belongs to a team or a customer, not both, and only to one that exists. */
  private checkOwner(record: KeyRecord): void {
    const registry = this.options.registry;
    if (record.team !== undefined && record.customer !== undefined) throw new GatewayError('invalid_request', 'A virtual key belongs to a team or a customer, not both.');
    if (record.team !== undefined && !registry.teams.has(record.team)) throw new GatewayError('invalid_request', `team: unknown team "${record.team}"`, { param: 'team' });
    if (record.customer !== undefined && !registry.customers.has(record.customer)) throw new GatewayError('invalid_request', `customer: unknown customer "${record.customer}"`, { param: 'customer' });
  }

  private checkTeam(record: TeamRecord): void {
    if (record.customer !== undefined && !this.options.registry.customers.has(record.customer)) {
      throw new GatewayError('invalid_request', `customer: unknown customer "${record.customer}"`, { param: 'customer' });
    }
  }
}

const KIND_NAMES: Record<EntityKind, string> = { customer: 'customer', team: 'team', virtual_key: 'virtual key', provider_limits: 'provider limit' };

/** What the audit log says about a written entity. */
function auditDetails(kind: EntityKind, record: EntityRecord): Record<string, unknown> {
  if (kind === 'virtual_key') {
    const key = record as KeyRecord;
    return { team: key.team, customer: key.customer, active: key.active };
  }
  if (kind === 'team') return { customer: (record as TeamRecord).customer };
  const limited = record as CustomerRecord;
  return { budgets: limited.budgets.length, rate_limits: limited.rate_limits !== undefined };
}
