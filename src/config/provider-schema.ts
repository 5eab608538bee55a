import { z } from 'zod';
import { providerLimitsShape } from './governance-schema.js';

export const providerKeySchema = z.strictObject({
  /** Name for logs and headers; defaults to `<provider>-<index>`. */
  id: z.string().min(1).optional(),
  value: z.string().min(1, 'the key is empty'),
  weight: z.number().nonnegative().default(1),
  models: z.array(z.string().min(1)).optional(),
});

export const providerSchema = z.strictObject({
  type: z.string().min(1),
  base_url: z.url({ protocol: /^https?$/, message: 'must be an absolute http(s) URL, e.g. http://127.0.0.1:8000/v1' }).optional(),
  keys: z.array(providerKeySchema).default([]),
  models: z.array(z.string().min(1)).optional(),
  headers: z.record(z.string(), z.string()).default({}),
  timeout_ms: z.number().int().positive().default(60_000),
  max_retries: z.number().int().min(0).max(10).default(2),
  /** Finer timeouts; `first_byte_ms` and `idle_ms` default to `timeout_ms`, `total_ms` to none. */
  timeouts: z
    .strictObject({
      connect_ms: z.number().int().positive().optional(),
      first_byte_ms: z.number().int().positive().optional(),
      idle_ms: z.number().int().positive().optional(),
      total_ms: z.number().int().positive().optional(),
    })
    .optional(),
  /** The provider type's own settings; each adapter validates them with its `optionsSchema` (see docs/providers.md). */
  options: z.record(z.string(), z.unknown()).default({}),
  /**
   * Settings of particular types that earlier versions documented beside `type` (Azure's
   * `api_version` and `deployments`, the mock's `mock` block). Still accepted there; their meaning
   * and validation belong to the adapter, so here they are only names (see `adapterOptionsOf`).
   */
  api_version: z.unknown().optional(),
  deployments: z.unknown().optional(),
  mock: z.unknown().optional(),
  /**
   * How batches of files kept at this provider run: `native` (the provider's own Batch API, the
   * default where its adapter has one) or `gateway` (the gateway keeps batch input files itself and
   * runs each line through its pipeline, as for providers without a Batch API).
   */
  batches: z.enum(['native', 'gateway']).optional(),
  /** Governance: budgets and rate limits on everything sent to this provider; when exhausted it is skipped. */
  ...providerLimitsShape,
});

export type ProviderConfig = z.infer<typeof providerSchema>;

/** An adapter's options gathered from a provider's config, with where each top-level key was written. */
export interface GatheredOptions {
  options: Record<string, unknown>;
  /** Option key → its config path below `providers.<name>` (`options.region`, `api_version`, `mock.latency_ms`). */
  origins: Map<string, string>;
  /** Keys given twice (under `options` and beside `type`), as paths below `providers.<name>`. */
  duplicates: string[];
}

/**
 * `options` plus the settings still accepted beside `type`: `api_version` and `deployments` are
 * options of the same name; the keys of a `mock` block are options themselves.
 */
export function adapterOptionsOf(config: ProviderConfig): GatheredOptions {
  const options: Record<string, unknown> = {};
  const origins = new Map<string, string>();
  const duplicates: string[] = [];
  const put = (key: string, value: unknown, origin: string) => {
    if (value === undefined) return;
    if (origins.has(key)) duplicates.push(origin);
    options[key] = value;
    origins.set(key, origin);
  };
  for (const [key, value] of Object.entries(config.options)) put(key, value, `options.${key}`);
  put('api_version', config.api_version, 'api_version');
  put('deployments', config.deployments, 'deployments');
  if (config.mock !== null && typeof config.mock === 'object' && !Array.isArray(config.mock)) {
    for (const [key, value] of Object.entries(config.mock)) put(key, value, `mock.${key}`);
  } else if (config.mock !== undefined) {
    put('mock', config.mock, 'mock');
  }
  return { options, origins, duplicates };
}
