import type { Redis } from 'ioredis';
import { ConfigError } from '../config/config-error.js';
import type { Logger } from '../lib/logger.js';
import type { SpendStoreConfig } from '../config/governance-schema.js';
import { isGatewayWorker } from '../lib/cluster-ipc.js';
import { MemorySpendStore } from './memory-spend-store.js';
import { PrimarySpendStore } from './primary-spend-store.js';
import { DEFAULT_KEY_PREFIX, RedisSpendStore } from './redis-spend-store.js';
import type { ChangeChannel, SpendStore } from './spend-store.js';

/** The ledger chosen by `governance.spend_store`, with what the module needs to watch and release it. */
export interface OpenedSpendStore {
  readonly store: SpendStore;
  /** Whether settled spend is kept only by the counter flush to storage (the memory ledger), so a crash loses what it had not flushed. */
  readonly keptByFlush: boolean;
  /** Pub/sub between the replicas sharing the ledger (Redis), for entity change notices. */
  readonly channel?: ChangeChannel | undefined;
  /** Throws when the ledger cannot serve (for `GET /ready`). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** How long the first connection may take before start-up fails. */
const CONNECT_TIMEOUT_MS = 5_000;
/** Reconnect attempts a command waits through before it fails (each a backoff step of up to 2 s). */
const RETRIES_PER_COMMAND = 2;

/**
 * Opens `governance.spend_store`: memory, or Redis through ioredis (imported only then, so the
 * embedded default needs no Redis client). A Redis that cannot be reached at start-up is a
 * ConfigError naming `governance.spend_store.url`; later outages are retried in the background,
 * logged once, and reported by `ready()`.
 */
export async function openSpendStore(config: SpendStoreConfig, logger: Logger, source: string): Promise<OpenedSpendStore> {
  // Under `tollgate --workers N` the memory ledger lives in the primary, shared by every worker. Its
  // counters are saved by the workers' flushes; there is no journal replay (a worker's request log
  // does not hold the other workers' requests), so a crash of the primary loses up to one flush interval.
  if (config.type === 'memory' && isGatewayWorker()) return { store: new PrimarySpendStore(), keptByFlush: false, ready: async () => {}, close: async () => {} };
  if (config.type === 'memory') return { store: new MemorySpendStore(), keptByFlush: true, ready: async () => {}, close: async () => {} };
  const url = config.url!;
  const shown = redactedUrl(url);
  const { Redis } = await import('ioredis');
  let started = false;
  let lastError: Error | undefined;
  let outageLogged = false;
  const client: Redis = new Redis(url, {
    lazyConnect: true,
    connectionName: 'tollgate',
    connectTimeout: CONNECT_TIMEOUT_MS,
    // The commands of one event-loop turn (reserves and settles of the requests in flight) go out
    // in one socket write: a write is a system call, and ioredis otherwise makes one per command.
    enableAutoPipelining: true,
    maxRetriesPerRequest: RETRIES_PER_COMMAND,
    // No retries before start-up succeeded (fail fast with the reason); afterwards reconnect forever with backoff.
    retryStrategy: (attempt) => (started ? Math.min(attempt * 100, 2_000) : null),
  });
  let closing = false;
  const reportOutage = (reason: string) => {
    if (!started || closing || outageLogged) return;
    outageLogged = true;
    logger.error('governance: the Redis spend store is unreachable; requests that need a reservation fail until it is back', { url: shown, error: reason });
  };
  client.on('error', (error: Error) => {
    lastError = error;
    reportOutage(error.message);
  });
  client.on('close', () => reportOutage('connection closed'));
  client.on('ready', () => {
    if (outageLogged) logger.info('governance: the Redis spend store is reachable again', { url: shown });
    outageLogged = false;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    const reason = lastError?.message ?? (error as Error).message;
    throw new ConfigError(source, [
      { path: 'governance.spend_store.url', message: `cannot connect to Redis at ${shown} (${reason})`, fix: 'start Redis there or correct the URL (it may come from ${REDIS_URL})' },
    ]);
  }
  started = true;
  const store = new RedisSpendStore(client, config.key_prefix ?? DEFAULT_KEY_PREFIX);
  // Once per ledger: counters written when USD amounts were floats become integer nano-USD.
  const converted = await store.upgrade();
  if (converted > 0) logger.info('governance: converted the Redis ledger to integer nano-USD', { keys: converted });
  return {
    store,
    keptByFlush: false,
    channel: redisChannel(client, () => new Redis(url, { connectionName: 'tollgate-entities', lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: (attempt) => Math.min(attempt * 100, 2_000) }), `${config.key_prefix ?? DEFAULT_KEY_PREFIX}entities`, logger),
    async ready() {
      if (client.status !== 'ready') throw new Error(`Redis spend store at ${shown} is ${client.status}${lastError === undefined ? '' : ` (${lastError.message})`}`);
      await client.ping();
    },
    async close() {
      closing = true;
      // QUIT lets Redis finish what was sent; without a connection there is nothing to finish.
      if (client.status !== 'ready') return client.disconnect();
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}

/**
 * Entity change notices over Redis pub/sub: published on the ledger's connection, received on a
 * second one (a subscribed connection takes no other commands), which ioredis reconnects and
 * subscribes again after an outage. A lost notice is caught by the revision check.
 */
function redisChannel(client: Redis, connectSubscriber: () => Redis, name: string, logger: Logger): ChangeChannel {
  return {
    publish(revision) {
      client.publish(name, String(revision)).catch(() => {});
    },
    async subscribe(listener) {
      const subscriber = connectSubscriber();
      subscriber.on('error', () => {});
      subscriber.on('message', (channel: string) => {
        if (channel === name) listener();
      });
      try {
        await subscriber.connect();
        await subscriber.subscribe(name);
      } catch (error) {
        logger.warn('governance: cannot subscribe to entity change notices on Redis; changes made elsewhere arrive with the revision check', { error: (error as Error).message });
      }
      return async () => {
        subscriber.disconnect();
      };
    },
  };
}

/** The URL without its user name and password, for messages and logs. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return 'the configured URL';
  }
}
