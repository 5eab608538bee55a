import { adminRoutes } from '../admin/admin-auth.js';
import type { GatewayModule, ModuleContext, ModuleFactory } from '../pipeline/module.js';
import { cacheAdminRoutes, cacheApiSchemas } from './admin-routes.js';
import type { ExactStore } from './cache-entry.js';
import { CacheStage } from './cache-stage.js';
import { openExactStore } from './open-exact-store.js';
import { RouteIdentity } from './route-identity.js';
import type { SemanticLayer } from './semantic-layer.js';

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
    const store = options.store ?? (await openExactStore(config, context.storage, context.logger, now, context.configSource));
    const semantic = undefined as SemanticLayer | undefined;
    const stage = new CacheStage(config, context.config.virtual_keys, { store, routes: new RouteIdentity(context.resolver), semantic, now });
    let closed = false;
    const module: GatewayModule = {
      name: 'cache',
      stages: [stage],
      apiSchemas: cacheApiSchemas,
      routes: adminRoutes(context.config.admin.token, cacheAdminRoutes({ store: () => store, forget: async (scope) => semantic?.forget(scope), enabled: () => stage.anyEnabled })),
      reconfigure(next: ModuleContext) {
        stage.reconfigure(next.config.cache, next.config.virtual_keys, { routes: new RouteIdentity(next.resolver) });
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
