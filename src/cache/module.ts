import { adminRoutes } from '../admin/admin-auth.js';
import type { CacheConfig } from '../config/cache-schema.js';
import { ConfigError } from '../config/config-error.js';
import { INTERNAL_EMBEDDINGS } from '../pipeline/capabilities.js';
import type { GatewayModule, ModuleContext, ModuleFactory } from '../pipeline/module.js';
import type { Storage } from '../storage/storage.js';
import { HnswVectorIndex } from './hnsw-vector-index.js';
import { connectQdrant, QdrantVectorIndex } from './qdrant-vector-index.js';
import { digest } from './request-key.js';
import { SemanticCache, type SemanticSettings } from './semantic-cache.js';
import type { VectorIndex } from './vector-index.js';
import { cacheAdminRoutes, cacheApiSchemas } from './admin-routes.js';
import type { ExactStore } from './cache-entry.js';
import { CacheStage } from './cache-stage.js';
import { MemoryExactStore } from './memory-exact-store.js';
import { openExactStore } from './open-exact-store.js';
import { RouteIdentity } from './route-identity.js';

export interface CacheModuleOptions {
  /** The clock (epoch ms); injectable so tests can expire entries. */
  now?: () => number;
  /** The exact store; `cache.store` by default. */
  store?: ExactStore;
}

/**
 * The response cache as a gateway module (docs/cache.md): a `cache` stage over an exact store (the
 * gateway's SQLite file, memory or Redis), the semantic layer when configured, and its admin API.
 */
export function createCacheModule(options: CacheModuleOptions = {}): ModuleFactory {
  return async (context) => {
    const now = options.now ?? Date.now;
    const config = context.config.cache;
    // Off everywhere at start-up: no stage and no store (nothing written to the database), so requests
    // and start-up pay nothing for the cache; turning it on then takes a restart.
    const active = config.enabled || context.config.virtual_keys.some((key) => key.cache?.enabled === true);
    const store = options.store ?? (active ? await openExactStore(config, context.storage, context.logger, now, context.configSource) : new MemoryExactStore(1));
    const wantsSemantic = active && (config.mode === 'semantic' || context.config.virtual_keys.some((key) => key.cache?.mode === 'semantic'));
    if (wantsSemantic && config.embedding_model === undefined) {
      await store.close();
      throw new ConfigError(context.configSource, [{ path: 'cache.embedding_model', message: 'the semantic cache needs an embedding model', fix: 'set cache.embedding_model to a model the gateway serves embeddings for, e.g. openai/text-embedding-3-small' }]);
    }
    let semantic: SemanticCache | undefined;
    const stage = new CacheStage(config, context.config.virtual_keys, { store, routes: new RouteIdentity(context.resolver), semantic: undefined, now });
    let closed = false;
    const module: GatewayModule = {
      name: 'cache',
      stages: active ? [stage] : [],
      apiSchemas: cacheApiSchemas,
      routes: adminRoutes(context.config.admin, cacheAdminRoutes({ store: () => store, forget: async (scope) => semantic?.forget(scope), enabled: () => active && stage.anyEnabled })),
      connect(capabilities) {
        if (!wantsSemantic) return;
        const embed = capabilities.require(INTERNAL_EMBEDDINGS, 'cache');
        semantic = new SemanticCache(semanticSettings(config), embed, store, vectorIndexes(config, context.storage), context.logger);
        stage.reconfigure(config, context.config.virtual_keys, { semantic });
      },
      reconfigure(next: ModuleContext) {
        if (next.config.cache.embedding_model !== undefined) semantic?.reconfigure(semanticSettings(next.config.cache));
        stage.reconfigure(next.config.cache, next.config.virtual_keys, { routes: new RouteIdentity(next.resolver) });
        if (!active && stage.anyEnabled) context.logger.warn('cache: enabled by a reload, but it was off at start-up; it takes effect after a restart', {});
      },
      ready: () => store.ping(),
      async close() {
        if (closed) return;
        closed = true;
        await semantic?.close();
        await store.close();
      },
    };
    return module;
  };
}

export const cacheModule: ModuleFactory = createCacheModule();

function semanticSettings(config: CacheConfig): SemanticSettings {
  return { model: config.embedding_model!, historyTurns: config.conversation_history_threshold, excludeSystemPrompt: config.exclude_system_prompt, toolResults: config.semantic_tool_results };
}

/**
 * Opens the vector index of an embedding model and dimension: an HNSW index persisted beside the
 * SQLite file (in memory only on other storage), or a Qdrant collection.
 */
function vectorIndexes(config: CacheConfig, storage: Storage): (model: string, dimensions: number) => Promise<VectorIndex> {
  const vectors = config.vector_store;
  if (vectors.type === 'qdrant') {
    const client = connectQdrant(vectors.url!, vectors.api_key);
    return async (model, dimensions) => new QdrantVectorIndex(await client, `${vectors.collection}_${digest(model).slice(0, 12)}_${dimensions}`, dimensions);
  }
  return (model, dimensions) => {
    const path = storage.kind === 'sqlite' && storage.path !== ':memory:' ? `${storage.path}.cache-${digest(model).slice(0, 12)}-${dimensions}.hnsw` : undefined;
    return HnswVectorIndex.open(dimensions, vectors.max_elements, path);
  };
}
