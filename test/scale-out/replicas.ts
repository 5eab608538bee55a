import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import pg from 'pg';
import { validateConfig } from '../../src/config/load.js';
import { ADMIN_TOKEN, DEAR_PRICING } from '../governance/helpers.js';
import { connectRedis, deleteKeys, REDIS_URL, uniquePrefix } from '../governance/redis.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { POSTGRES_URL } from '../observability/postgres.js';

export { ADMIN_TOKEN };

export const PROVIDERS = { mock: { type: 'mock', models: ['mock-small'], mock: { output_tokens: 8, latency_ms: 5 } } };

/** One PostgreSQL schema and one Redis key prefix that only this test's replicas share. */
export interface SharedState {
  /** Storage URL whose search path is the fresh schema. */
  storageUrl: string;
  schema: string;
  keyPrefix: string;
  /** A pool on the schema, for looking at what the replicas stored. */
  pool: pg.Pool;
  drop(): Promise<void>;
}

export async function sharedState(): Promise<SharedState> {
  const schema = `scale_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  const keyPrefix = uniquePrefix('scale');
  return {
    storageUrl: url.toString(),
    schema,
    keyPrefix,
    pool,
    async drop() {
      await pool.end();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
      const redis = await connectRedis();
      await deleteKeys(redis, keyPrefix);
      await redis.quit();
    },
  };
}

/** The config of every replica: PostgreSQL storage, the Redis ledger, the admin API, and `extra`. */
export function replicaConfig(shared: SharedState, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    providers: PROVIDERS,
    pricing: DEAR_PRICING,
    admin: { token: ADMIN_TOKEN },
    storage: { type: 'postgres', url: shared.storageUrl },
    governance: { spend_store: { type: 'redis', url: REDIS_URL, key_prefix: shared.keyPrefix } },
    ...extra,
  };
}

/** Starts `count` replicas on one shared state together (as a deployment would). */
export function startReplicas(count: number, raw: Record<string, unknown>, reload?: () => Record<string, unknown>): Promise<RunningGateway[]> {
  return Promise.all(
    Array.from({ length: count }, () => startGateway(raw, reload === undefined ? {} : { reloadConfig: async () => validateConfig({ storage: { type: 'memory' }, ...reload(), server: { port: 0, host: '127.0.0.1', shutdown_grace_ms: 2000 } }, 'test config', process.env) })),
  );
}

/** An SDK client of one replica with one virtual key (no retries: every answer is seen as it is). */
export function client(replica: RunningGateway, key: string): OpenAI {
  return new OpenAI({ baseURL: `${replica.url}/v1`, apiKey: key, maxRetries: 0 });
}

/** The HTTP status a chat completion through the SDK gets (200, or the APIError's). */
export async function chatStatus(replica: RunningGateway, key: string): Promise<{ status: number; code: string | undefined; cost: number }> {
  try {
    const { response } = await client(replica, key).chat.completions.create({ model: 'mock/mock-small', max_tokens: 8, messages: [{ role: 'user', content: 'hello there' }] }).withResponse();
    return { status: response.status, code: undefined, cost: Number(response.headers.get('x-tollgate-cost')) };
  } catch (error) {
    if (error instanceof OpenAI.APIError) return { status: error.status ?? 0, code: (error.code as string | undefined) ?? undefined, cost: 0 };
    throw error;
  }
}

/** Calls the admin API of one replica, with extra headers. */
export async function adminCall(replica: RunningGateway, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; etag: string | null }> {
  const response = await fetch(`${replica.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {}, etag: response.headers.get('etag') };
}

/** The contract: an admin change through one replica applies on every other within this long. */
export const PROPAGATION_DEADLINE_MS = 1_000;

/**
 * Polls `observe` on a replica until it returns true or the deadline (from `since`) passes;
 * returns how long after `since` the first observation that held was started, or undefined when
 * none started within the deadline held.
 */
export async function observedWithin(since: number, observe: () => Promise<boolean>, deadlineMs = PROPAGATION_DEADLINE_MS): Promise<number | undefined> {
  for (;;) {
    const started = performance.now() - since;
    if (started > deadlineMs) return undefined;
    if (await observe()) return started;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
