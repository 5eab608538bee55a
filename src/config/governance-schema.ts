import { z } from 'zod';
import { cacheOverrideSchema } from './cache-schema.js';
import { scopedGuardrailsSchema } from './guardrails-schema.js';
import { mcpKeySchema, mcpPermissionsSchema } from './mcp-schema.js';

/**
 * Config schemas of the governance feature (virtual keys, teams, customers, budgets, rate limits).
 * They live in config/ because the config folder imports nothing else of ours; src/governance
 * re-exports them and owns their meaning.
 */

/** `1m 5m 1h 1d 1w 1M 1Y` (any count of minutes, hours or days; one week, month or year). Absent = lifetime. */
export const governancePeriodSchema = z
  .string()
  .regex(/^([1-9]\d*)(m|h|d)$|^1(w|M|Y)$/, 'expected a period: 1m, 5m, 1h, 1d, 1w, 1M (month) or 1Y (leave it out for a lifetime budget)');

export const budgetSchema = z.strictObject({
  /** The most this entity may spend per period, in USD. */
  max_usd: z.number().nonnegative(),
  /** Absent: a lifetime budget that never resets. */
  period: governancePeriodSchema.optional(),
  /** Periods of a day or more reset calendar-aligned in UTC; `rolling: true` counts fixed-length windows from the entity's creation instead. */
  rolling: z.boolean().default(false),
  /** Fractions (0–1) of the budget at which an alert webhook fires; `governance.alerts.thresholds` when absent. */
  alert_thresholds: z.array(z.number().gt(0).max(1)).optional(),
});

const limitSchema = z.strictObject({
  max: z.number().int().nonnegative(),
  period: governancePeriodSchema,
});

export const rateLimitsSchema = z.strictObject({
  /** Requests per period. */
  requests: limitSchema.optional(),
  /** Prompt plus completion tokens per period. */
  tokens: limitSchema.optional(),
});

const metadataSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({});
const entityId = z.string().regex(/^[A-Za-z0-9_.:@-]{1,128}$/, 'ids may use letters, digits and `_ . : @ -` (1–128 characters)');

export const customerSchema = z.strictObject({
  id: entityId,
  name: z.string().optional(),
  budgets: z.array(budgetSchema).default([]),
  rate_limits: rateLimitsSchema.optional(),
  metadata: metadataSchema,
  /** Guardrail rules added for this entity and everything under it (docs/guardrails.md). */
  guardrails: scopedGuardrailsSchema.optional(),
  /** MCP tools the customer's keys may use at most (docs/mcp.md). */
  mcp: mcpPermissionsSchema.optional(),
});

export const teamSchema = z.strictObject({
  id: entityId,
  name: z.string().optional(),
  /** The customer this team belongs to (at most one). */
  customer: z.string().optional(),
  budgets: z.array(budgetSchema).default([]),
  rate_limits: rateLimitsSchema.optional(),
  metadata: metadataSchema,
  /** Guardrail rules added for this entity and everything under it (docs/guardrails.md). */
  guardrails: scopedGuardrailsSchema.optional(),
  /** MCP tools the team's keys may use at most (docs/mcp.md). */
  mcp: mcpPermissionsSchema.optional(),
});

/** A provider a virtual key may use, with its own weight, models, budgets and limits. */
export const keyProviderSchema = z.union([
  z.string().min(1).transform((name) => ({ name, weight: 1, models: undefined, budgets: [], rate_limits: undefined })),
  z.strictObject({
    name: z.string().min(1),
    weight: z.number().nonnegative().default(1),
    models: z.array(z.string().min(1)).optional(),
    budgets: z.array(budgetSchema).default([]),
    rate_limits: rateLimitsSchema.optional(),
  }),
]);

const isoDate = z.union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'expected an ISO 8601 date or date-time, e.g. 2026-12-31T23:59:59Z' });

export const virtualKeySchema = z.strictObject({
  id: entityId,
  name: z.string().optional(),
  /** The secret the caller sends. Hashed (SHA-256) at start-up; never stored or logged as is. */
  value: z.string().min(1, 'the key value is empty'),
  team: z.string().optional(),
  customer: z.string().optional(),
  /** Allowed models: `*`, `provider/*`, `prefix*`, `provider/model`, bare model names, route or alias names. Deny by default. */
  models: z.array(z.string().min(1)).default([]),
  /** Allowed providers (all when absent), each optionally with weight, models, budgets and rate limits. */
  providers: z.array(keyProviderSchema).optional(),
  budgets: z.array(budgetSchema).default([]),
  rate_limits: rateLimitsSchema.optional(),
  /** Requests in flight at once (streams count until they end). */
  max_concurrent: z.number().int().positive().optional(),
  expires_at: isoDate.optional(),
  active: z.boolean().default(true),
  metadata: metadataSchema,
  /** `false` keeps this key's request and response bodies out of the request log even when `observability.log_content` is on. */
  log_content: z.boolean().optional(),
  /** Response cache settings of this key, over the top-level `cache` (docs/cache.md). */
  cache: cacheOverrideSchema.optional(),
  /** Guardrail rules added for this key (docs/guardrails.md). */
  guardrails: scopedGuardrailsSchema.optional(),
  /** MCP tools the key may list and call (docs/mcp.md); none without this section. */
  mcp: mcpKeySchema.optional(),
});

export const providerLimitsShape = {
  /** Budgets on everything sent to this provider (all keys together). */
  budgets: z.array(budgetSchema).optional(),
  rate_limits: rateLimitsSchema.optional(),
};

/** The reservation ledger: in this process's memory, or in Redis shared by every replica. */
export const spendStoreSchema = z
  .strictObject({
    /** `memory`: one gateway process. `redis`: several replicas enforcing the same budgets and limits. */
    type: z.enum(['memory', 'redis']).default('memory'),
    /** `redis://[[user]:password@]host[:port][/db]` or `rediss://…` (TLS); `${REDIS_URL}` works. Required for `redis`. */
    url: z
      .string()
      .regex(/^rediss?:\/\/[^\s]+$/, 'expected a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379')
      .optional(),
    /** Prefix of every key the ledger writes; gateways sharing a prefix share budgets. Keep a `{…}` hash tag for Redis Cluster slots. */
    key_prefix: z.string().min(1).max(200).optional(),
    /** While Redis cannot be reached: `refuse` (the default when absent) requests that need a reservation (503 `ledger_unavailable`, fail closed) or `serve` them unmetered (fail open). */
    when_unavailable: z.enum(['refuse', 'serve']).optional(),
  })
  .superRefine((value, context) => {
    if (value.type === 'redis' && value.url === undefined) {
      context.addIssue({ code: 'custom', path: ['url'], message: 'a redis spend store needs a url, e.g. url: ${REDIS_URL} or redis://127.0.0.1:6379' });
    }
  });

export const governanceSettingsSchema = z.strictObject({
  /** Where budgets, rate limits and concurrency are counted (default: in memory, one process). */
  spend_store: spendStoreSchema.default({ type: 'memory' }),
  /** USD reserved and charged per request when the model has no known price. */
  unpriced_request_usd: z.number().nonnegative().default(0.01),
  /**
   * Output tokens a reservation assumes for a request that sets no `max_tokens` (at most the model's
   * output limit when the price catalog knows it). Raise it to the largest output limit of your models
   * to make the no-overspend guarantee exact for such requests too.
   */
  reserved_output_tokens: z.number().int().positive().default(4_096),
  /** A reservation not settled within this time (a crashed request) is charged and dropped. */
  reservation_ttl_ms: z.number().int().positive().default(15 * 60_000),
  /** How often settled spend is written to storage (the most spend a hard crash can lose). */
  flush_interval_ms: z.number().int().positive().default(1_000),
  /**
   * How often each replica checks the store's entity revision, catching any change notice it
   * missed (PostgreSQL LISTEN/NOTIFY or Redis pub/sub bring most changes sooner).
   */
  sync_interval_ms: z.number().int().min(50).max(60_000).default(500),
  /**
   * When callers must present a virtual key. `auto`: once any virtual key exists or has existed
   * (deleting the last key never opens the gateway); `true`: always, even before the first key;
   * `false`: only while at least one key exists (an open gateway without keys: local development only).
   */
  require_keys: z.union([z.literal('auto'), z.boolean()]).default('auto'),
  alerts: z
    .strictObject({
      /** Webhook called when a budget crosses a threshold. */
      url: z.url({ message: 'must be an absolute http(s) URL' }).optional(),
      /** HMAC-SHA256 key for the `x-tollgate-signature` header. */
      secret: z.string().min(1).optional(),
      thresholds: z.array(z.number().gt(0).max(1)).default([0.5, 0.8, 0.95]),
      max_attempts: z.number().int().min(1).max(20).default(5),
    })
    .default({ thresholds: [0.5, 0.8, 0.95], max_attempts: 5 }),
});

export type BudgetConfig = z.infer<typeof budgetSchema>;
export type RateLimitsConfig = z.infer<typeof rateLimitsSchema>;
export type CustomerConfig = z.infer<typeof customerSchema>;
export type TeamConfig = z.infer<typeof teamSchema>;
export type VirtualKeyConfig = z.infer<typeof virtualKeySchema>;
export type KeyProviderConfig = z.infer<typeof keyProviderSchema>;
export type GovernanceSettings = z.infer<typeof governanceSettingsSchema>;
export type SpendStoreConfig = z.infer<typeof spendStoreSchema>;

interface GovernanceSections {
  customers: readonly CustomerConfig[];
  teams: readonly TeamConfig[];
  virtual_keys: readonly VirtualKeyConfig[];
  providers: Record<string, unknown>;
}

/** Cross-references between the sections: each problem names its path, e.g. `teams[1].customer`. */
export function checkGovernanceReferences(config: GovernanceSections, context: z.core.$RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => context.addIssue({ code: 'custom', path, message });
  const customers = new Set<string>();
  config.customers.forEach((customer, index) => {
    if (customers.has(customer.id)) issue(['customers', index, 'id'], `duplicate customer id "${customer.id}"`);
    customers.add(customer.id);
  });
  const teams = new Set<string>();
  config.teams.forEach((team, index) => {
    if (teams.has(team.id)) issue(['teams', index, 'id'], `duplicate team id "${team.id}"`);
    teams.add(team.id);
    if (team.customer !== undefined && !customers.has(team.customer)) issue(['teams', index, 'customer'], `unknown customer "${team.customer}"`);
  });
  const keys = new Set<string>();
  const values = new Set<string>();
  config.virtual_keys.forEach((key, index) => {
    if (keys.has(key.id)) issue(['virtual_keys', index, 'id'], `duplicate virtual key id "${key.id}"`);
    keys.add(key.id);
    if (values.has(key.value)) issue(['virtual_keys', index, 'value'], 'two virtual keys have the same value');
    values.add(key.value);
    if (key.team !== undefined && key.customer !== undefined) issue(['virtual_keys', index], 'a virtual key belongs to a team or a customer, not both');
    if (key.team !== undefined && !teams.has(key.team)) issue(['virtual_keys', index, 'team'], `unknown team "${key.team}"`);
    if (key.customer !== undefined && !customers.has(key.customer)) issue(['virtual_keys', index, 'customer'], `unknown customer "${key.customer}"`);
    key.providers?.forEach((provider, providerIndex) => {
      if (!(provider.name in config.providers)) issue(['virtual_keys', index, 'providers', providerIndex], `unknown provider "${provider.name}"`);
    });
  });
}
