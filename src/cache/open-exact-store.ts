import type { Redis } from 'ioredis';
import type { CacheConfig } from '../config/cache-schema.js';
import { ConfigError } from '../config/config-error.js';
import { isGatewayWorker } from '../lib/cluster-ipc.js';
import type { Logger } from '../lib/logger.js';
import type { Storage } from '../storage/storage.js';
import type { ExactStore } from './cache-entry.js';
import { MemoryExactStore } from './memory-exact-store.js';
import { shareStoreAcrossWorkers } from './cluster-cache.js';
import { RedisExactStore } from './redis-exact-store.js';
import { SqliteExactStore } from './sqlite-exact-store.js';

/**
 * The exact store `cache.store` names: by default the gateway's SQLite file when storage is SQLite
 * (shared by the workers of `tollgate --workers`), else memory; Redis through ioredis (imported only then). A Redis that cannot be reached at
 * start-up is a ConfigError naming `cache.store.url`.
 */
export async function openExactStore(config: CacheConfig, storage: Storage, logger: Logger, now: () => number, source: string): Promise<ExactStore> {
  const type = config.store.type ?? (storage.kind === 'sqlite' ? 'sqlite' : 'memory');
  let reported = false;
  const onError = (error: unknown) => {
    if (reported) return;
    reported = true;
    logger.error('cache: the store failed; lookups miss and answers are not stored until it recovers', { store: type, error: (error as Error).message });
    setTimeout(() => (reported = false), 60_000).unref();
  };
  if (type === 'memory') return new MemoryExactStore(config.max_entries);
  if (type === 'sqlite') {
    if (storage.kind !== 'sqlite') throw new ConfigError(source, [{ path: 'cache.store.type', message: 'the sqlite cache store needs storage.type: sqlite', fix: 'use memory or redis, or keep storage on SQLite' }]);
    const store = SqliteExactStore.open(storage.db, config.max_entries, now(), onError);
    // `--workers`: every worker writes this file; each learns of the others' answers.
    if (isGatewayWorker()) shareStoreAcrossWorkers(store);
    return store;
  }
  const { Redis: RedisClient } = await import('ioredis');
  const client: Redis = new RedisClient(config.store.url!, { lazyConnect: true, connectionName: 'tollgate-cache', connectTimeout: 5_000, maxRetriesPerRequest: 1, retryStrategy: (attempt) => Math.min(attempt * 100, 2_000) });
  client.on('error', onError);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new ConfigError(source, [{ path: 'cache.store.url', message: `cannot connect to Redis (${(error as Error).message})`, fix: 'start Redis there or correct the URL' }]);
  }
  return new RedisExactStore(client, config.store.key_prefix, now, onError);
}
