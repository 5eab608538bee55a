import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the tests use (CI starts one on the default port). */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A key prefix no other test run shares, so tests can run side by side on one Redis; the hash tag
 * keeps a run's keys in one cluster slot, as the store expects.
 */
export function uniquePrefix(label: string): string {
  return `tollgate-test:${randomUUID()}:{${label}}:`;
}

export async function connectRedis(): Promise<Redis> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  return client;
}

/** Every key under `prefix`. */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

/** Deletes every key under `prefix` (a test's ledger), so test runs leave nothing behind. */
export async function deleteKeys(client: Redis, prefix: string): Promise<number> {
  const keys = await keysUnder(client, prefix);
  return keys.length === 0 ? 0 : client.del(...keys);
}
