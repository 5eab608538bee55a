import { BENCH_MODEL } from './payload.js';

/** The virtual key the load generator presents to every target (only Tollgate checks it). */
export const BENCH_VIRTUAL_KEY = 'tg-bench-virtual-key-not-a-secret';

/** The provider instance name Tollgate serves the bench model from (checked in `x-tollgate-provider`). */
export const BENCH_PROVIDER = 'openai';

export interface BenchConfigInput {
  /** The mock upstream, e.g. http://127.0.0.1:41234 */
  upstreamOrigin: string;
  /** SQLite file for the gateway's storage (request log, spend). */
  storagePath: string;
  adminToken: string;
  /** False: the request log and the per-request log lines are off (the `tollgate-nolog` target). */
  logging?: boolean;
  /** PostgreSQL storage instead of the SQLite file (the `tollgate-redis-pg` target). */
  postgresUrl?: string;
  /** The Redis ledger instead of the memory one. */
  redis?: { url: string; keyPrefix: string };
  /** The response cache on (the `cache-hit` and `cache-miss` targets). */
  cache?: boolean;
}

/**
 * A realistic production-shaped config: an `openai` provider with a key, prices, a customer → team
 * → virtual key hierarchy with budgets and rate limits far above what the run spends, request
 * logging, SQLite storage. Sections the gateway does not enforce yet are still validated by the
 * schema; run.ts checks what is actually enforced (a request without the key must get 401) and
 * the report says so. Add a section here when a feature lands.
 */
export function benchGatewayConfig(input: BenchConfigInput): Record<string, unknown> {
  const generous = { max_usd: 1_000_000, period: '1d' };
  const unlimitedRates = {
    requests: { max: 100_000_000, period: '1m' },
    tokens: { max: 10_000_000_000, period: '1m' },
  };
  return {
    server: { host: '127.0.0.1', port: 0, shutdown_grace_ms: 2_000 },
    storage: input.postgresUrl === undefined ? { type: 'sqlite', path: input.storagePath } : { type: 'postgres', url: input.postgresUrl },
    ...(input.redis === undefined ? {} : { governance: { spend_store: { type: 'redis', url: input.redis.url, key_prefix: input.redis.keyPrefix } } }),
    logging: { level: 'info', requests: input.logging !== false },
    admin: { token: input.adminToken },
    providers: {
      [BENCH_PROVIDER]: {
        type: 'openai',
        base_url: `${input.upstreamOrigin}/v1`,
        keys: [{ id: 'bench-upstream-key', value: 'test-key-openai' }],
        models: [BENCH_MODEL],
      },
    },
    pricing: { [`${BENCH_PROVIDER}/${BENCH_MODEL}`]: { input: 0.15, output: 0.6 } },
    customers: [{ id: 'bench-customer', name: 'Bench customer', budgets: [generous], rate_limits: unlimitedRates }],
    teams: [{ id: 'bench-team', name: 'Bench team', customer: 'bench-customer', budgets: [generous], rate_limits: unlimitedRates }],
    virtual_keys: [
      {
        id: 'bench-key',
        name: 'Bench key',
        value: BENCH_VIRTUAL_KEY,
        team: 'bench-team',
        models: ['*'],
        budgets: [generous],
        rate_limits: unlimitedRates,
        metadata: { purpose: 'benchmark' },
      },
    ],
    observability: input.logging === false ? { request_log: false } : {},
    ...(input.cache === true ? { cache: { enabled: true, mode: 'exact', ttl_seconds: 3600 } } : {}),
  };
}
