import { compileModelPatterns, type ModelPatterns } from '../lib/model-patterns.js';
import type { CustomerRecord, KeyRecord, ProviderLimitsRecord, TeamRecord } from './entities.js';

/** A virtual key with what authentication needs precomputed. */
export interface KeyEntry {
  readonly record: KeyRecord;
  readonly expiresAt: number | undefined;
  readonly createdAt: number;
  /** Provider name → its per-key config; undefined when the key does not restrict providers. */
  readonly providers: ReadonlyMap<string, NonNullable<KeyRecord['providers']>[number]> | undefined;
  /** `record.models`, compiled (wildcards included). */
  readonly models: ModelPatterns;
  /** Provider name → its per-key `models`, compiled; a provider without a `models` list is absent. */
  readonly providerModels: ReadonlyMap<string, ModelPatterns>;
}

interface HashEntry {
  readonly key: KeyEntry;
  /** Set for a rotated-out secret: valid until then. */
  readonly validUntil: number | undefined;
}

/**
 * The governance entities, held in memory so that the hot path never waits for storage:
 * customers, teams and keys by id, and keys by the SHA-256 of their secret (a Map lookup on a
 * hash, so comparing secrets leaks no timing about the secret itself).
 */
export class EntityRegistry {
  readonly customers = new Map<string, CustomerRecord>();
  readonly teams = new Map<string, TeamRecord>();
  readonly keys = new Map<string, KeyEntry>();
  /** Admin overrides of providers' global budgets and limits, by provider name. */
  readonly providerLimits = new Map<string, ProviderLimitsRecord>();
  private readonly byHash = new Map<string, HashEntry>();
  /** Whether a key was ever put or removed (storage keeps deleted keys' tombstones, which the first sync removes). */
  private hadKeys = false;

  /** `governance.require_keys` (see the schema). */
  constructor(public requireKeys: 'auto' | boolean = 'auto') {}

  get keyCount(): number {
    return this.keys.size;
  }

  /**
   * Whether callers must present a virtual key. Sticky under `auto`: once a key has existed here or
   * in storage, deleting the last one (on this replica or another) leaves the gateway closed.
   */
  get keysRequired(): boolean {
    if (this.requireKeys === 'auto') return this.hadKeys || this.keys.size > 0;
    return this.requireKeys || this.keys.size > 0;
  }

  findByHash(hash: string, now: number): KeyEntry | undefined {
    const found = this.byHash.get(hash);
    if (found === undefined) return undefined;
    if (found.validUntil !== undefined && now >= found.validUntil) return undefined;
    return found.key;
  }

  putKey(record: KeyRecord): KeyEntry {
    this.hadKeys = true;
    this.removeKey(record.id);
    // Frozen: request records share a key's tags rather than copy them, and keep their JSON (record-values.ts).
    if (record.metadata !== undefined) Object.freeze(record.metadata);
    const entry: KeyEntry = {
      record,
      expiresAt: record.expires_at === undefined ? undefined : Date.parse(record.expires_at),
      createdAt: Date.parse(record.created_at),
      providers: record.providers === undefined ? undefined : new Map(record.providers.map((provider) => [provider.name, provider])),
      models: compileModelPatterns(record.models),
      providerModels: new Map((record.providers ?? []).flatMap((provider) => (provider.models === undefined ? [] : [[provider.name, compileModelPatterns(provider.models)] as const]))),
    };
    this.keys.set(record.id, entry);
    this.byHash.set(record.key_hash, { key: entry, validUntil: undefined });
    if (record.previous_key_hash !== undefined && record.previous_valid_until !== undefined) {
      this.byHash.set(record.previous_key_hash, { key: entry, validUntil: Date.parse(record.previous_valid_until) });
    }
    return entry;
  }

  removeKey(id: string): void {
    this.hadKeys = true;
    const existing = this.keys.get(id);
    if (existing === undefined) return;
    this.keys.delete(id);
    this.byHash.delete(existing.record.key_hash);
    if (existing.record.previous_key_hash !== undefined) this.byHash.delete(existing.record.previous_key_hash);
  }

  /** The customer a key belongs to, directly or through its team. */
  customerOf(key: KeyRecord): CustomerRecord | undefined {
    const id = key.customer ?? (key.team === undefined ? undefined : this.teams.get(key.team)?.customer);
    return id === undefined ? undefined : this.customers.get(id);
  }
}
