import { z } from 'zod';

export const webhookSchema = z.strictObject({
  url: z.url({ message: 'must be an absolute http(s) URL' }),
  /** Signs each delivery: `x-tollgate-signature: sha256=<hex HMAC-SHA256 of the body>`. */
  secret: z.string().min(1).optional(),
  /** Deliveries after the first, with exponential backoff. */
  retries: z.number().int().min(0).max(10).default(3),
  timeout_ms: z.number().int().positive().default(5_000),
});

export const seasonalSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Weight of the newest window in its hour-of-day slot (each slot sees one window a day). */
  alpha: z.number().gt(0).max(1).default(0.3),
  /** Days of history a slot needs before it counts. */
  min_days: z.number().int().positive().default(3),
});

export const softActionSchema = z
  .strictObject({
    /** The virtual key id this applies to, or `*` for every key without an entry of its own. */
    virtual_key: z.string().min(1),
    /** `throttle`: lower the key's request rate; `downgrade`: send its requests to `downgrade_to`. */
    action: z.enum(['throttle', 'downgrade']),
    /** throttle: requests per minute allowed while the alert is active. */
    max_requests_per_minute: z.number().int().nonnegative().optional(),
    /** downgrade: the model or route used instead of the one asked for (the key must be allowed to use it). */
    downgrade_to: z.string().min(1).optional(),
    /** How long the action lasts after the alert (a new alert extends it). */
    duration_seconds: z.number().int().positive().default(3_600),
  })
  .superRefine((value, context) => {
    if (value.action === 'throttle' && value.max_requests_per_minute === undefined) context.addIssue({ code: 'custom', path: ['max_requests_per_minute'], message: 'a throttle needs max_requests_per_minute' });
    if (value.action === 'downgrade' && value.downgrade_to === undefined) context.addIssue({ code: 'custom', path: ['downgrade_to'], message: 'a downgrade needs downgrade_to (a model or route name)' });
  });

export const alertsSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** Length of one observation window; the baseline is an EWMA over completed windows. */
  window_seconds: z.number().int().positive().default(3_600),
  /** Weight of the newest completed window in the baseline (0–1). */
  ewma_alpha: z.number().gt(0).max(1).default(0.3),
  /** Alert when the current window exceeds the baseline by this factor. */
  factor: z.number().gt(1).default(3),
  /** Completed windows needed before a scope has a baseline. */
  min_windows: z.number().int().positive().default(3),
  /** Ignore spikes smaller than these (noise floor for tiny baselines). */
  min_requests: z.number().int().nonnegative().default(20),
  min_spend_usd: z.number().nonnegative().default(0.01),
  /** The same prompt from one key this many times within `loop_window_seconds` is a loop. */
  loop_repeats: z.number().int().min(2).default(20),
  loop_window_seconds: z.number().int().positive().default(300),
  /** An alert for the same scope and kind is not raised again within this period. */
  dedupe_seconds: z.number().int().positive().default(3_600),
  /** Per hour-of-day (UTC) baseline beside the overall one; windows of at most an hour only. */
  seasonal: seasonalSchema.default(seasonalSchema.parse({})),
  /** Automatic soft actions on a key while an alert about it is active. */
  soft_actions: z.array(softActionSchema).default([]),
  webhook: webhookSchema.optional(),
});

export const otlpSchema = z.strictObject({
  /** OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces. */
  endpoint: z.url({ message: 'must be an absolute http(s) URL' }),
  /** Sent with every export (e.g. a collector's auth header); never logged. */
  headers: z.record(z.string(), z.string()).default({}),
  /** `service.name` of the exported resource. */
  service_name: z.string().min(1).default('tollgate'),
  /** Share of new traces recorded (0–1); a caller's `traceparent` sampled flag is followed. */
  sample_ratio: z.number().min(0).max(1).default(1),
  /** Spans are batched and sent at most this long after they end. */
  export_delay_ms: z.number().int().positive().default(5_000),
  /** Ended spans waiting for export; past it new spans are dropped (requests never wait). */
  max_queue_size: z.number().int().positive().default(2_048),
  /** One export request's time limit. */
  timeout_ms: z.number().int().positive().default(10_000),
});

export const observabilitySchema = z.strictObject({
  /** Store one record per request (and per attempt) in the request log. */
  request_log: z.boolean().default(true),
  /** Store request and response bodies in the log (size-capped, secrets redacted). */
  log_content: z.boolean().default(false),
  /** Cap per stored body, in bytes of UTF-8. */
  max_content_bytes: z.number().int().positive().default(32 * 1024),
  /** Records older than this are deleted (checked hourly). 0 keeps everything. */
  retention_days: z.number().nonnegative().default(30),
  /** Records waiting to be written; past half of it content is dropped, past all of it records are. */
  queue_size: z.number().int().positive().default(10_000),
  /** Records written per batch. */
  batch_size: z.number().int().positive().default(1_000),
  /**
   * How often the queue is written. Each SQLite transaction rewrites the newest page of every
   * index, so fewer, larger batches cost less per record (bench:log-writes: 1,000 records per
   * batch took about a fifth less CPU per record than 300). Admin queries flush first, so they
   * never miss a record that is still queued.
   */
  flush_interval_ms: z.number().int().positive().default(250),
  /** Serve Prometheus metrics on GET /metrics. */
  metrics: z.boolean().default(true),
  /** When set, /metrics requires `Authorization: Bearer <metrics_token>`; otherwise it is open. */
  metrics_token: z.string().min(16, 'use at least 16 characters').optional(),
  /** Distinct values kept per metric label (virtual key, team, customer, model); the rest become `other`. */
  max_label_values: z.number().int().positive().default(500),
  alerts: alertsSchema.default(alertsSchema.parse({})),
  otlp: otlpSchema.optional(),
});

export type ObservabilityConfig = z.infer<typeof observabilitySchema>;
export type AlertsConfig = z.infer<typeof alertsSchema>;
export type SoftActionConfig = z.infer<typeof softActionSchema>;
export type WebhookConfig = z.infer<typeof webhookSchema>;
export type OtlpConfig = z.infer<typeof otlpSchema>;
