import { randomUUID } from 'node:crypto';

export interface SharedBackends {
  /** The storage URL, its search path the fresh schema. */
  postgresUrl: string;
  redis: { url: string; keyPrefix: string };
  /** The schema's name (for reading what the gateway stored). */
  schema: string;
  cleanup: () => Promise<void>;
}

/**
 * A fresh PostgreSQL schema and a Redis key prefix of this run's own (BENCH_POSTGRES_URL, default the
 * machine's `test` database; BENCH_REDIS_URL, default 127.0.0.1:6379), dropped and deleted afterwards.
 */
export async function openSharedBackends(): Promise<SharedBackends> {
  const base = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const suffix = randomUUID().replaceAll('-', '').slice(0, 12);
  const schema = `bench_${suffix}`;
  const { default: pg } = await import('pg');
  const admin = new pg.Pool({ connectionString: base, max: 1 });
  await admin.query('create extension if not exists pg_trgm').catch(() => undefined);
  await admin.query(`create schema "${schema}"`);
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema},public`);
  const keyPrefix = `tollgate-bench:${suffix}:{governance}:`;
  return {
    postgresUrl: url.toString(),
    redis: { url: redisUrl, keyPrefix },
    schema,
    async cleanup() {
      await admin.query(`drop schema "${schema}" cascade`);
      await admin.end();
      const { Redis } = await import('ioredis');
      const client = new Redis(redisUrl);
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `tollgate-bench:${suffix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await client.del(...keys);
      } while (cursor !== '0');
      client.disconnect();
    },
  };
}
