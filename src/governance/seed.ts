import { createHash } from 'node:crypto';
import type { GatewayConfig } from '../config/schema.js';
import type { CustomerConfig, TeamConfig, VirtualKeyConfig } from '../config/governance-schema.js';
import type { CustomerRecord, EntityKind, EntityRecord, KeyRecord, TeamRecord } from './entities.js';
import { hashKey } from './key-secret.js';
import type { GovernanceStore } from './storage/governance-store.js';

interface Seed {
  kind: EntityKind;
  id: string;
  /** The record as the config defines it (created_at filled in later). */
  record: (createdAt: string) => EntityRecord;
  seedHash: string;
}

/**
 * Applies the config's entities to storage: a config entity is written when it is new or when its
 * definition in the config changed since it was last seeded (so admin changes to it survive
 * restarts until the config itself changes); stored config entities no longer in the config are
 * removed. API-created entities are left alone. Safe when replicas seed together: an entity is
 * created only if absent and rewritten only from its newest stored state, so it is seeded once.
 */
export async function seedEntities(config: GatewayConfig, store: GovernanceStore, now: number): Promise<void> {
  const seeds: Seed[] = [
    // `guardrails` stays in the config (the guardrails module reads it there), out of the stored records the admin API edits.
    ...config.customers.map(({ guardrails: _guardrails, ...customer }) => seedOf('customer', customer.id, customer, (createdAt): CustomerRecord => ({ ...customer, created_at: createdAt, source: 'config' }))),
    ...config.teams.map(({ guardrails: _guardrails, ...team }) => seedOf('team', team.id, team, (createdAt): TeamRecord => ({ ...team, created_at: createdAt, source: 'config' }))),
    ...config.virtual_keys.map((key) => seedOf('virtual_key', key.id, { ...key, value: hashKey(key.value) }, (createdAt) => keyRecordFromConfig(key, createdAt))),
  ];
  const stored = new Map((await store.loadEntities()).map((entity) => [`${entity.kind}:${entity.id}`, entity]));
  const seeded = new Set<string>();
  for (const seed of seeds) {
    const name = `${seed.kind}:${seed.id}`;
    seeded.add(name);
    const existing = stored.get(name);
    if (existing !== undefined && existing.seedHash === seed.seedHash) continue;
    const created = new Date(now).toISOString();
    if (existing === undefined && (await store.insertEntity({ kind: seed.kind, id: seed.id, document: seed.record(created), seedHash: seed.seedHash })) !== undefined) continue;
    // Stored already (perhaps by a replica seeding at the same moment): rewritten unless it holds this definition.
    const result = await store.updateEntity(seed.kind, seed.id, undefined, (current) =>
      current.seedHash === seed.seedHash ? undefined : { document: seed.record(current.document.created_at), seedHash: seed.seedHash },
    );
    if (result.status === 'missing') await store.insertEntity({ kind: seed.kind, id: seed.id, document: seed.record(created), seedHash: seed.seedHash });
  }
  for (const [name, entity] of stored) {
    if (entity.document.source === 'config' && !seeded.has(name)) await store.deleteEntity(entity.kind, entity.id);
  }
}

function seedOf(kind: EntityKind, id: string, definition: CustomerConfig | TeamConfig | VirtualKeyConfig, record: (createdAt: string) => EntityRecord): Seed {
  return { kind, id, record, seedHash: createHash('sha256').update(JSON.stringify(definition)).digest('hex') };
}

export function keyRecordFromConfig(key: VirtualKeyConfig, createdAt: string): KeyRecord {
  const { value, guardrails: _guardrails, ...rest } = key;
  return { ...rest, key_hash: hashKey(value), created_at: createdAt, source: 'config' };
}
