import { adminRoutes } from '../admin/admin-auth.js';
import type { CacheConfig } from '../config/cache-schema.js';
import type { GatewayConfig } from '../config/schema.js';
import { ConfigError } from '../config/config-error.js';
import { INTERNAL_EMBEDDINGS, KEY_CACHE_SETTINGS } from '../pipeline/capabilities.js';
import type { GatewayModule, ModuleContext, ModuleFactory } from '../pipeline/module.js';
import { isGatewayWorker, WORKER_SLOT } from '../lib/cluster-ipc.js';
import type { Logger } from '../lib/logger.js';
import type { Storage } from '../storage/storage.js';
import { HnswVectorIndex } from './hnsw-vector-index.js';
import { connectQdrant, QdrantVectorIndex } from './qdrant-vector-index.js';
import { digest } from './request-key.js';
import { SemanticCache, type SemanticSettings } from './semantic-cache.js';
import type { VectorIndex } from './vector-index.js';
import { cacheAdminRoutes, cacheApiSchemas } from './admin-routes.js';
import { shareVectorsAcrossWorkers } from './cluster-cache.js';
import type { ExactStore } from './cache-entry.js';
import { CacheStage } from './cache-stage.js';
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
    // The stage is always there (with the cache off for a request it costs a map lookup or two), so
    // a key made or changed through the admin API can turn the cache on without a restart.
    const enabledInConfig = configEnables(context.config, (settings) => settings.enabled === true);
    const store = options.store ?? (await openExactStore(config, context.storage, context.logger, now, context.configSource));
    const semanticInConfig = enabledInConfig && configEnables(context.config, (settings) => settings.mode === 'semantic');
    if (semanticInConfig && config.embedding_model === undefined) {
      await store.close();
      throw new ConfigError(context.configSource, [{ path: 'cache.embedding_model', message: 'the semantic cache needs an embedding model', fix: 'set cache.embedding_model to a model the gateway serves embeddings for, e.g. openai/text-embedding-3-small' }]);
    }
    // With an embedding model the semantic layer runs even when no config entry asks for it yet, so a
    // key made or changed through the admin API with `mode: semantic` gets it without a restart.
    const wantsSemantic = semanticInConfig || config.embedding_model !== undefined;
    let semantic: SemanticCache | undefined;
    /** Keys' own cache sections (governance), so the admin view counts keys made through the API. */
    let keySettings: (() => readonly ({ enabled?: boolean | undefined } | undefined)[]) | undefined;
    let enabled = enabledInConfig;
    const stage = new CacheStage(config, context.config.routes, { store, routes: new RouteIdentity(context.resolver), semantic: undefined, now });
    let closed = false;
    const module: GatewayModule = {
      name: 'cache',
      stages: [stage],
      apiSchemas: cacheApiSchemas,
      routes: adminRoutes(context.config.admin, cacheAdminRoutes({ store: () => store, forget: async (scope) => semantic?.forget(scope), enabled: () => enabled || (keySettings?.().some((settings) => settings?.enabled === true) ?? false) })),
      connect(capabilities) {
        keySettings = capabilities.optional(KEY_CACHE_SETTINGS);
        if (!wantsSemantic) return;
        const embed = capabilities.require(INTERNAL_EMBEDDINGS, 'cache');
        semantic = new SemanticCache(semanticSettings(config), embed, store, vectorIndexes(config, context.storage, context.logger), context.logger);
        // `--workers` with the embedded index: each worker's index learns the others' vectors (Qdrant is one index for all).
        if (isGatewayWorker() && config.vector_store.type === 'embedded') shareVectorsAcrossWorkers(semantic);
        stage.reconfigure(config, context.config.routes, { semantic });
      },
      reconfigure(next: ModuleContext) {
        if (next.config.cache.embedding_model !== undefined) semantic?.reconfigure(semanticSettings(next.config.cache));
        stage.reconfigure(next.config.cache, next.config.routes, { routes: new RouteIdentity(next.resolver) });
        enabled = configEnables(next.config, (settings) => settings.enabled === true);
        if (semantic === undefined && enabled && configEnables(next.config, (settings) => settings.mode === 'semantic')) context.logger.warn('cache: the semantic layer was enabled by a reload, but it was off at start-up; it starts after a restart (the exact layer applies meanwhile)', {});
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

/** Whether the top-level `cache`, a route's or a config key's says `test` (keys made through the admin API are not in the config). */
function configEnables(config: GatewayConfig, test: (settings: { enabled?: boolean | undefined; mode?: string | undefined }) => boolean): boolean {
  if (test(config.cache)) return true;
  for (const route of Object.values(config.routes)) if (route.cache !== undefined && test(route.cache)) return true;
  return config.virtual_keys.some((key) => key.cache !== undefined && test(key.cache));
}

function semanticSettings(config: CacheConfig): SemanticSettings {
  return { model: config.embedding_model!, historyTurns: config.conversation_history_threshold, excludeSystemPrompt: config.exclude_system_prompt, toolResults: config.semantic_tool_results };
}

/**
 * Opens the vector index of an embedding model and dimension: an HNSW index persisted beside the
 * SQLite file (in memory only on other storage), or a Qdrant collection.
 */
function vectorIndexes(config: CacheConfig, storage: Storage, logger: Logger): (model: string, dimensions: number) => Promise<VectorIndex> {
  const vectors = config.vector_store;
  if (vectors.type === 'qdrant') {
    const client = connectQdrant(vectors.url!, vectors.api_key);
    return async (model, dimensions) => new QdrantVectorIndex(await client, `${vectors.collection}_${digest(model).slice(0, 12)}_${dimensions}`, dimensions);
  }
  return (model, dimensions) => {
    if (storage.kind !== 'sqlite' || storage.path === ':memory:') return HnswVectorIndex.open(dimensions, vectors.max_elements, undefined);
    // Under `--workers` each worker keeps its own index and file (the first worker the one a single process keeps):
    // two processes saving one file would mix one's graph with the other's labels.
    const worker = WORKER_SLOT === undefined || WORKER_SLOT === 1 ? '' : `.w${WORKER_SLOT}`;
    const path = `${storage.path}.cache-${digest(model).slice(0, 12)}-${dimensions}${worker}.hnsw`;
    const onError = (error: unknown) => logger.error('cache: saving the semantic index failed; tried again with the next change and at shutdown', { path, error: (error as Error).message });
    return HnswVectorIndex.open(dimensions, vectors.max_elements, { path, intervalMs: vectors.save_interval_seconds * 1000, onError });
  };
}
