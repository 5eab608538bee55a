import { mockAdapter } from './mock/mock-adapter.js';
import type { ProviderAdapter } from './provider.js';

/** Every provider type Tollgate speaks, by `providers.<name>.type`. */
export const builtInAdapters: readonly ProviderAdapter[] = [mockAdapter];

export function createAdapterRegistry(adapters: readonly ProviderAdapter[] = builtInAdapters): ReadonlyMap<string, ProviderAdapter> {
  return new Map(adapters.map((adapter) => [adapter.type, adapter]));
}
