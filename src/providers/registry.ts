import { anthropicAdapter } from './anthropic/index.js';
import { azureAdapter } from './azure/index.js';
import { bedrockAdapter } from './bedrock/index.js';
import { cohereAdapter } from './cohere/index.js';
import { geminiAdapter } from './gemini/index.js';
import { mockAdapter } from './mock/mock-adapter.js';
import { openaiFamilyAdapters } from './openai-compatible/index.js';
import type { ProviderAdapter } from './provider.js';
import { vertexAdapter } from './vertex/index.js';

/** Every provider type Tollgate speaks, by `providers.<name>.type`. */
export const builtInAdapters: readonly ProviderAdapter[] = [...openaiFamilyAdapters, azureAdapter, anthropicAdapter, geminiAdapter, bedrockAdapter, vertexAdapter, cohereAdapter, mockAdapter];

export function createAdapterRegistry(adapters: readonly ProviderAdapter[] = builtInAdapters): ReadonlyMap<string, ProviderAdapter> {
  return new Map(adapters.map((adapter) => [adapter.type, adapter]));
}
