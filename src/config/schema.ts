import { z } from 'zod';
import { batchesSchema, checkFilesReferences, filesSchema } from './files-batches-schema.js';
import { checkGovernanceReferences, customerSchema, governanceSettingsSchema, teamSchema, virtualKeySchema } from './governance-schema.js';
import { providerSchema } from './provider-schema.js';
import { routingSchema } from './routing-schema.js';
import { observabilitySchema } from './observability-schema.js';
import { responsesSchema } from './responses-schema.js';
import { cacheOverrideSchema, cacheSchema } from './cache-schema.js';
import { checkGuardrailReferences, guardrailsSchema } from './guardrails-schema.js';
import { checkMcpReferences, mcpSchema } from './mcp-schema.js';

const period = z.string().regex(/^(\d+)(s|m|h|d|w|mo)$|^(minute|hour|day|week|month|total)$/, 'expected a period like 60s, 1m, 1h, 1d, 1w, 1mo, day, month or total');

export const routeTargetSchema = z.strictObject({
  /** `provider/model`, or another route or alias. */
  model: z.string().min(1),
  weight: z.number().nonnegative().default(1),
});

export const routeSchema = z.strictObject({
  targets: z.array(routeTargetSchema).min(1, 'a route needs at least one target'),
  strategy: z.enum(['weighted', 'latency', 'least-busy']).default('weighted'),
  /** Tried in order when every target failed: route names, aliases or `provider/model`. */
  fallbacks: z.array(z.string().min(1)).default([]),
  /** Response cache settings of requests whose model resolves to this route, over the top-level `cache` (docs/cache.md). */
  cache: cacheOverrideSchema.optional(),
});

export const serverSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8080),
  /** Largest accepted request body. */
  max_body_bytes: z.number().int().positive().default(10 * 1024 * 1024),
  /** How long SIGTERM waits for in-flight requests and streams before closing them. */
  shutdown_grace_ms: z.number().int().nonnegative().default(30_000),
  /** Upper bound on a whole request, reading its body and streaming the answer included. */
  request_timeout_ms: z.number().int().positive().default(600_000),
  /** How long a caller may take to send the request line and headers (answered 408 `request_timeout`). */
  header_timeout_ms: z.number().int().positive().default(10_000),
  /** Longest silence between two chunks of a request body (answered 408 `request_timeout`). */
  body_idle_timeout_ms: z.number().int().positive().default(10_000),
  /** Serve HTTPS (HTTP/2 and HTTP/1.1 by ALPN) instead of cleartext; PEM files read at start-up. */
  tls: z
    .strictObject({
      cert_file: z.string().min(1),
      key_file: z.string().min(1),
    })
    .optional(),
});

export const storageSchema = z.strictObject({
  type: z.enum(['sqlite', 'postgres', 'memory']).default('sqlite'),
  /** SQLite file (created if missing). */
  path: z.string().default('.tollgate/tollgate.db'),
  /** PostgreSQL connection string. */
  url: z.string().optional(),
  /**
   * Seals (AES-256-GCM) the definitions of providers added or changed through the admin API, keys
   * included, in the storage; without it they are stored as plain JSON. Read at start-up.
   */
  encryption_key: z.string().min(32, 'use at least 32 characters (e.g. `openssl rand -base64 32`)').optional(),
});

export const loggingSchema = z.strictObject({
  level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** Log each request as a JSON line on stdout. */
  requests: z.boolean().default(true),
});

/** `scrypt$<N>$<r>$<p>$<salt>$<hash>`, as `tollgate admin hash-password` prints it (src/admin/password-hash.ts). */
export const PASSWORD_HASH_PATTERN = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{16,128})\$([A-Za-z0-9_-]{32,256})$/;

/** What a console account may do: `admin` everything; `viewer` read only; `finance` read only, costs and usage but no logged content. */
export const ADMIN_ROLES = ['admin', 'viewer', 'finance'] as const;

export const adminUserSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'user names are 1 to 64 letters, digits, `_`, `.`, `@` or `-`'),
  password_hash: z.string().regex(PASSWORD_HASH_PATTERN, 'expected `scrypt$N$r$p$salt$hash`: make one with `tollgate admin hash-password`'),
  role: z.enum(ADMIN_ROLES),
});

export const adminSchema = z.strictObject({
  /** Bearer token for `/admin/*`; the admin API is off without it (or without users). */
  token: z.string().min(16, 'use at least 16 characters').optional(),
  /** Console accounts, each with a role; they log in to the console with their name and password. */
  users: z
    .array(adminUserSchema)
    .max(1000)
    .default([])
    .refine((users) => new Set(users.map((user) => user.name)).size === users.length, 'two users have the same name'),
});

export const configSchema = z.strictObject({
  server: serverSchema.default(serverSchema.parse({})),
  storage: storageSchema.default(storageSchema.parse({})),
  logging: loggingSchema.default(loggingSchema.parse({})),
  admin: adminSchema.default({ users: [] }),
  providers: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'provider names may use letters, digits, `_`, `.` and `-`'), providerSchema),
  /** Model name → another model name, route or `provider/model`. */
  aliases: z.record(z.string(), z.string()).default({}),
  routes: z.record(z.string(), routeSchema).default({}),
  /** Retries, circuit breakers and latency tracking (docs/routing.md). */
  routing: routingSchema.default(routingSchema.parse({})),
  /**
   * A newer genai-prices data file (`tollgate prices update --out <path>`) to build the catalog from
   * instead of the data bundled in the installed @pydantic/genai-prices (null or absent); relative to the working directory.
   */
  pricing_data: z.string().min(1).nullable().optional(),
  /** USD per million tokens, keyed `provider/model`; overrides the shipped catalog. */
  pricing: z
    .record(
      z.string(),
      z.strictObject({
        input: z.number().nonnegative().optional(),
        output: z.number().nonnegative().optional(),
        cached_input: z.number().nonnegative().optional(),
        cache_write: z.number().nonnegative().optional(),
        cache_write_1h: z.number().nonnegative().optional(),
        reasoning: z.number().nonnegative().optional(),
        batch_input: z.number().nonnegative().optional(),
        batch_output: z.number().nonnegative().optional(),
        /** Audio tokens (realtime, audio chat models), of the input and output counts; default: billed as text. */
        input_audio: z.number().nonnegative().optional(),
        output_audio: z.number().nonnegative().optional(),
        /** Cached audio input tokens; default `cached_input`. */
        cached_audio_input: z.number().nonnegative().optional(),
        /** USD per character of input (text-to-speech); an entry may carry only unit prices. */
        per_character: z.number().nonnegative().optional(),
        /** USD per second of audio (transcriptions, translations). */
        per_second: z.number().nonnegative().optional(),
        /** The model's output limit: budget reservations never assume more output than this. */
        max_output_tokens: z.number().int().positive().optional(),
        /** USD per image: one price, or prices keyed `<quality>/<size>`, `<size>`, `<quality>` or `default`. */
        per_image: z.union([z.number().nonnegative(), z.record(z.string(), z.number().nonnegative())]).optional(),
        /** USD per search unit (rerank). */
        per_search: z.number().nonnegative().optional(),
        /** Rates of prompts longer than `above_input_tokens` (the whole request is billed at them). */
        long_context: z
          .strictObject({
            above_input_tokens: z.number().int().positive(),
            input: z.number().nonnegative(),
            output: z.number().nonnegative(),
            cached_input: z.number().nonnegative().optional(),
            cache_write: z.number().nonnegative().optional(),
            cache_write_1h: z.number().nonnegative().optional(),
            reasoning: z.number().nonnegative().optional(),
          })
          .optional(),
      }),
    )
    .default({}),
  /** Governance (src/governance): the customer → team → virtual key hierarchy and its settings. */
  customers: z.array(customerSchema).default([]),
  teams: z.array(teamSchema).default([]),
  virtual_keys: z.array(virtualKeySchema).default([]),
  governance: governanceSettingsSchema.default(governanceSettingsSchema.parse({})),
  observability: observabilitySchema.default(observabilitySchema.parse({})),
  /** Stored responses of the OpenAI Responses API (src/responses-store). */
  responses: responsesSchema.default(responsesSchema.parse({})),
  /** The response cache (docs/cache.md): off until `enabled: true`. */
  cache: cacheSchema.default(cacheSchema.parse({})),
  /** Checks of prompts and answers: secrets, personal data, custom patterns, webhooks (src/guardrails). */
  guardrails: guardrailsSchema.default(guardrailsSchema.parse({})),
  /** The MCP gateway (src/mcp): upstream MCP servers and tool groups (docs/mcp.md). */
  mcp: mcpSchema.default(mcpSchema.parse({})),
  /** The audio endpoints (`/v1/audio/*`). */
  audio: z
    .strictObject({
      /** Largest multipart upload of a transcription or translation (OpenAI's own limit is 25 MB). */
      max_upload_bytes: z.number().int().positive().default(26 * 1024 * 1024),
    })
    .default({ max_upload_bytes: 26 * 1024 * 1024 }),
  /** The realtime WebSocket (`/v1/realtime`). */
  realtime: z
    .strictObject({
      /** A session is closed (code 4408, `session_expired`) once it has lasted this long; OpenAI's own limit is 60 minutes. */
      max_session_seconds: z.number().int().positive().default(3600),
      /** Largest WebSocket message either way (a base64 audio append; OpenAI takes up to 15 MiB). */
      max_message_bytes: z.number().int().positive().default(16 * 1024 * 1024),
    })
    .default({ max_session_seconds: 3600, max_message_bytes: 16 * 1024 * 1024 }),
  /** The image upload endpoints (`/v1/images/edits`, `/v1/images/variations`). */
  images: z
    .strictObject({
      /** Largest multipart upload, every image and the mask together (OpenAI takes images up to 50 MB). */
      max_upload_bytes: z.number().int().positive().default(64 * 1024 * 1024),
    })
    .default({ max_upload_bytes: 64 * 1024 * 1024 }),
  /** The Files API (`/v1/files`): default provider, team sharing, upload limit (docs/files-and-batches.md). */
  files: filesSchema.default(filesSchema.parse({})),
  /** The Batch API (`/v1/batches`): gateway-run concurrency, input size (docs/files-and-batches.md). */
  batches: batchesSchema.default(batchesSchema.parse({})),
})
  .superRefine(checkGovernanceReferences)
  .superRefine(checkGuardrailReferences)
  .superRefine(checkMcpReferences)
  .superRefine(checkFilesReferences);

export type GatewayConfig = z.infer<typeof configSchema>;
export { period as periodSchema };
