import type { EntityKind } from '../entities.js';
import type { CounterSnapshot } from '../spend-store.js';
import { refusal } from './entity-write.js';
import type { AlertRecord, EntityChange, EntityChanges, EntityWrite, EntityWriteResult, GovernanceStore, StoredEntity } from './governance-store.js';

/** Governance state for `storage.type: memory`: gone when the process ends. */
export class MemoryGovernanceStore implements GovernanceStore {
  private readonly entities = new Map<string, StoredEntity & { revision: number }>();
  private readonly removed = new Map<string, { kind: EntityKind; id: string; revision: number }>();
  private head = 1;
  private readonly counters = new Map<string, CounterSnapshot>();
  private readonly alerts = new Map<string, AlertRecord>();
  private watermark: number | undefined;

  async migrate(): Promise<void> {}

  async loadEntities(): Promise<StoredEntity[]> {
    return [...this.entities.values()].map(({ revision: _revision, ...entity }) => structuredClone(entity));
  }

  async revision(): Promise<number> {
    return this.head;
  }

  async changesSince(revision: number): Promise<EntityChanges> {
    return {
      revision: this.head,
      entities: [...this.entities.values()].filter((entity) => entity.revision > revision).map(({ revision: _revision, ...entity }) => structuredClone(entity)),
      removed: [...this.removed.values()].filter((entity) => entity.revision > revision).map(({ kind, id }) => ({ kind, id })),
    };
  }

  async putEntity(entity: EntityWrite): Promise<StoredEntity> {
    return this.write(entity, (this.entities.get(`${entity.kind}:${entity.id}`)?.version ?? 0) + 1);
  }

  async insertEntity(entity: EntityWrite): Promise<StoredEntity | undefined> {
    return this.entities.has(`${entity.kind}:${entity.id}`) ? undefined : this.write(entity, 1);
  }

  async updateEntity(kind: EntityKind, id: string, expected: number | undefined, change: EntityChange): Promise<EntityWriteResult> {
    const found = refusal(this.find(kind, id), expected);
    if (found.status !== 'written') return found;
    const next = change(found.entity);
    if (next === undefined) return found;
    return { status: 'written', entity: this.write({ kind, id, ...next }, found.entity.version + 1) };
  }

  async deleteEntity(kind: EntityKind, id: string, expected?: number): Promise<EntityWriteResult> {
    const found = refusal(this.find(kind, id), expected);
    if (found.status !== 'written') return found;
    this.entities.delete(`${kind}:${id}`);
    this.removed.set(`${kind}:${id}`, { kind, id, revision: ++this.head });
    return found;
  }

  private find(kind: EntityKind, id: string): StoredEntity | undefined {
    const found = this.entities.get(`${kind}:${id}`);
    if (found === undefined) return undefined;
    const { revision: _revision, ...entity } = found;
    return structuredClone(entity);
  }

  private write(entity: EntityWrite, version: number): StoredEntity {
    const stored = { ...structuredClone(entity), version };
    this.entities.set(`${entity.kind}:${entity.id}`, { ...stored, revision: ++this.head });
    this.removed.delete(`${entity.kind}:${entity.id}`);
    return structuredClone(stored);
  }

  async loadCounters(now: number): Promise<CounterSnapshot[]> {
    return [...this.counters.values()].filter((counter) => counter.windowEnd > now).map((counter) => ({ ...counter }));
  }

  async loadSpendCounters(): Promise<CounterSnapshot[]> {
    return [...this.counters.values()].filter((counter) => counter.counter.includes('|usd|')).map((counter) => ({ ...counter }));
  }

  async saveCounters(counters: readonly CounterSnapshot[], watermark?: number | null): Promise<void> {
    for (const counter of counters) this.counters.set(counter.counter, { ...counter });
    if (watermark !== undefined) this.watermark = watermark ?? undefined;
  }

  async loadJournalWatermark(): Promise<number | undefined> {
    return this.watermark;
  }

  async pruneCounters(now: number): Promise<void> {
    for (const [name, counter] of this.counters) if (counter.windowEnd <= now && !name.includes('|usd|')) this.counters.delete(name);
  }

  async putAlert(alert: AlertRecord): Promise<void> {
    this.alerts.set(`${alert.counter}@${alert.threshold}`, structuredClone(alert));
  }

  async claimAlert(alert: AlertRecord): Promise<boolean> {
    const name = `${alert.counter}@${alert.threshold}`;
    if (this.alerts.has(name)) return false;
    this.alerts.set(name, structuredClone(alert));
    return true;
  }

  async loadAlerts(now: number): Promise<AlertRecord[]> {
    return [...this.alerts.values()].filter((alert) => alert.windowEnd > now).map((alert) => structuredClone(alert));
  }
}
