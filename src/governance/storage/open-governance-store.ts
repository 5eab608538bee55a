import type { Storage } from '../../storage/storage.js';
import type { GovernanceStore } from './governance-store.js';
import { MemoryGovernanceStore } from './memory-governance-store.js';
import { PostgresGovernanceStore } from './postgres-governance-store.js';
import { SqliteGovernanceStore } from './sqlite-governance-store.js';

/** The governance store on the gateway's storage backend, migrated. */
export async function openGovernanceStore(storage: Storage): Promise<GovernanceStore> {
  const store = storage.kind === 'sqlite' ? new SqliteGovernanceStore(storage.db) : storage.kind === 'postgres' ? new PostgresGovernanceStore(storage.pool) : new MemoryGovernanceStore();
  await store.migrate();
  return store;
}
