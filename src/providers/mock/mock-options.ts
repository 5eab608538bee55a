import { z } from 'zod';

/**
 * The mock provider's settings, under `options` or, as the demo config writes them, in a `mock:`
 * block beside `type`.
 */
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

export type MockOptions = z.infer<typeof mockOptionsSchema>;
