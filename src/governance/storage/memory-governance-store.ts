import type { EntityKind } from '../entities.js';
import type { CounterSnapshot } from '../spend-store.js';
import type { AlertRecord, GovernanceStore, StoredEntity } from './governance-store.js';

/** Governance state for `storage.type: memory`: gone when the process ends. */
export class MemoryGovernanceStore implements GovernanceStore {
  private readonly entities = new Map<string, StoredEntity>();
  private readonly counters = new Map<string, CounterSnapshot>();
  private readonly alerts = new Map<string, AlertRecord>();
  private watermark: number | undefined;

  async migrate(): Promise<void> {}

  async loadEntities(): Promise<StoredEntity[]> {
    return [...this.entities.values()].map((entity) => structuredClone(entity));
  }

  async putEntity(entity: StoredEntity): Promise<void> {
    this.entities.set(`${entity.kind}:${entity.id}`, structuredClone(entity));
  }

  async deleteEntity(kind: EntityKind, id: string): Promise<void> {
    this.entities.delete(`${kind}:${id}`);
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

  async loadAlerts(now: number): Promise<AlertRecord[]> {
    return [...this.alerts.values()].filter((alert) => alert.windowEnd > now).map((alert) => structuredClone(alert));
  }
}
