import { z } from 'zod';

/** Circuit breaker thresholds, shared by every target and provider key (see docs/routing.md). */
export const circuitBreakerSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Opens after this many failures in a row. */
  consecutive_failures: z.number().int().positive().default(5),
  /** Opens when failures / requests within `window_ms` reach this share… */
  error_ratio: z.number().gt(0).max(1).default(0.5),
  /** …provided at least this many requests were seen in the window. */
  min_requests: z.number().int().positive().default(20),
  window_ms: z.number().int().positive().default(60_000),
  /** How long an open circuit refuses traffic before one half-open probe is let through. */
  open_ms: z.number().int().positive().default(30_000),
});

export const retrySchema = z.strictObject({
  /** First backoff; doubles per retry of the same target, with jitter. */
  base_backoff_ms: z.number().int().nonnegative().default(100),
  max_backoff_ms: z.number().int().nonnegative().default(2_000),
  /** A `Retry-After` up to this long is waited for; a longer one moves on to the next target. */
  max_retry_after_ms: z.number().int().nonnegative().default(10_000),
  /** Upstream attempts per request across every target and fallback (the per-request budget). */
  max_attempts: z.number().int().positive().max(50).default(10),
});

export const keyHealthSchema = z.strictObject({
  /** A key refused with 401/402/403 is left out for this long. */
  auth_cooldown_ms: z.number().int().nonnegative().default(300_000),
});

/** Optional active checks: a one-token request to each watched target every `interval_ms` (see docs/routing.md). */
export const healthCheckSchema = z.strictObject({
  /** Off by default: every check is a real request the provider bills. */
  enabled: z.boolean().default(false),
  interval_ms: z.number().int().positive().default(30_000),
  /** A check that takes longer fails. */
  timeout_ms: z.number().int().positive().default(10_000),
  /** `open`: only targets whose circuit is not closed (to close it as soon as they recover); `all`: every configured target. */
  targets: z.enum(['open', 'all']).default('open'),
});

/**
 * Circuit-breaker state shared by replicas (see docs/operations.md#shared-routing-state). `auto`:
 * through the Redis of `governance.spend_store` when the ledger is Redis, else local; `local`: each
 * process keeps its own; `redis`: through the Redis at `url`.
 */
export const sharedStateSchema = z
  .strictObject({
    type: z.enum(['auto', 'local', 'redis']).default('auto'),
    /** `redis://…` or `rediss://…`; required for `redis` (with `auto` the ledger's URL is used). */
    url: z
      .string()
      .regex(/^rediss?:\/\/[^\s]+$/, 'expected a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379')
      .optional(),
    /** Prefix of the keys and the channel; replicas sharing it share circuits. Default: `tollgate:{routing}:`, or with `auto` the ledger's prefix followed by `routing:`. */
    key_prefix: z.string().min(1).max(200).optional(),
  })
  .superRefine((value, context) => {
    if (value.type === 'redis' && value.url === undefined) context.addIssue({ code: 'custom', path: ['url'], message: 'shared routing state on redis needs a url, e.g. url: ${REDIS_URL}' });
  });

/** `routing`: how targets are chosen, retried and taken out of rotation. */
export const routingSchema = z.strictObject({
  circuit_breaker: circuitBreakerSchema.default(circuitBreakerSchema.parse({})),
  retry: retrySchema.default(retrySchema.parse({})),
  keys: keyHealthSchema.default(keyHealthSchema.parse({})),
  health_checks: healthCheckSchema.default(healthCheckSchema.parse({})),
  /** Half-life-like decay of the latency estimate (peak EWMA) used by the `latency` strategy. */
  latency_decay_ms: z.number().int().positive().default(10_000),
  shared_state: sharedStateSchema.default({ type: 'auto' }),
});

export type RoutingConfig = z.infer<typeof routingSchema>;
export type CircuitBreakerConfig = z.infer<typeof circuitBreakerSchema>;
export type HealthCheckConfig = z.infer<typeof healthCheckSchema>;
export type SharedStateConfig = z.infer<typeof sharedStateSchema>;
