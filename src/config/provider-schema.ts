import { z } from 'zod';
import { providerLimitsShape } from './governance-schema.js';

export const providerKeySchema = z.strictObject({
  /** Name for logs and headers; defaults to `<provider>-<index>`. */
  id: z.string().min(1).optional(),
  value: z.string().min(1, 'the key is empty'),
  weight: z.number().nonnegative().default(1),
  models: z.array(z.string().min(1)).optional(),
});

export const mockOptionsSchema = z.strictObject({
  /** Fixed latency before answering, in milliseconds. */
  latency_ms: z.number().nonnegative().default(0),
  /** Delay between streamed chunks, in milliseconds. */
  chunk_interval_ms: z.number().nonnegative().default(0),
  /** Share of requests (0–1) answered with a 503, for failover drills. */
  failure_rate: z.number().min(0).max(1).default(0),
  /** Fixed reply text; by default the mock echoes the last user message. */
  reply: z.string().optional(),
  /** Output tokens to report (and roughly produce) per reply. */
  output_tokens: z.number().int().positive().optional(),
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
  /** Azure: API version query parameter. */
  api_version: z.string().optional(),
  /** Azure: model name → deployment name. */
  deployments: z.record(z.string(), z.string()).optional(),
  mock: mockOptionsSchema.optional(),
  /** Adapter-specific options not covered above. */
  options: z.record(z.string(), z.unknown()).default({}),
  /** Governance: budgets and rate limits on everything sent to this provider; when exhausted it is skipped. */
  ...providerLimitsShape,
});

export type ProviderConfig = z.infer<typeof providerSchema>;
export type MockOptions = z.infer<typeof mockOptionsSchema>;
