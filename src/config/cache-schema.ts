import { z } from 'zod';

/**
 * Config schema of the response cache (src/cache). It lives in config/ because the config folder
 * imports nothing else of ours; src/cache owns its meaning (docs/cache.md).
 */

const namespaceSchema = z.enum(['key', 'team', 'customer', 'global']);
const modeSchema = z.enum(['exact', 'semantic']);

/** Where the exact layer keeps its entries. */
export const cacheStoreSchema = z
  .strictObject({
    /** `sqlite`: the gateway's SQLite file (the default when storage is SQLite). `memory`: this process only. `redis`: shared by every replica. */
    type: z.enum(['sqlite', 'memory', 'redis']).optional(),
    /** `redis://…` or `rediss://…`; required for `redis`. */
    url: z
      .string()
      .regex(/^rediss?:\/\/[^\s]+$/, 'expected a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379')
      .optional(),
    /** Prefix of every Redis key the cache writes; gateways sharing a prefix share entries. */
    key_prefix: z.string().min(1).max(200).default('tollgate:cache:'),
  })
  .superRefine((value, context) => {
    if (value.type === 'redis' && value.url === undefined) context.addIssue({ code: 'custom', path: ['url'], message: 'a redis cache store needs a url, e.g. redis://127.0.0.1:6379' });
  });

/** Where the semantic layer keeps its vectors. */
export const vectorStoreSchema = z
  .strictObject({
    /** `embedded`: an HNSW index in this process, persisted beside the SQLite file. `qdrant`: a Qdrant server over its REST API. */
    type: z.enum(['embedded', 'qdrant']).default('embedded'),
    /** Qdrant's URL, e.g. http://127.0.0.1:6333 (required for `qdrant`). */
    url: z.url({ message: 'must be an absolute http(s) URL' }).optional(),
    /** Qdrant API key; `${QDRANT_API_KEY}` works. */
    api_key: z.string().min(1).optional(),
    /** Qdrant collection name prefix (the embedding model and dimension are appended). */
    collection: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/).default('tollgate_cache'),
    /** Most vectors the embedded index holds (the oldest go first). */
    max_elements: z.number().int().positive().default(200_000),
    /** How often the embedded index is written to disk when vectors changed (a crash loses at most this much); also written at shutdown. */
    save_interval_seconds: z.number().int().positive().max(86_400).default(60),
  })
  .superRefine((value, context) => {
    if (value.type === 'qdrant' && value.url === undefined) context.addIssue({ code: 'custom', path: ['url'], message: 'a qdrant vector store needs a url, e.g. http://127.0.0.1:6333' });
  });

/** What a virtual key (or a route) may change of the cache settings. */
export const cacheOverrideSchema = z.strictObject({
  enabled: z.boolean().optional(),
  mode: modeSchema.optional(),
  ttl_seconds: z.number().int().positive().optional(),
  threshold: z.number().min(0).max(1).optional(),
  namespace: namespaceSchema.optional(),
  /** Whether callers with this key may name a sub-namespace with `x-tollgate-cache-namespace`. */
  allow_namespace_header: z.boolean().optional(),
  share_across_dialects: z.boolean().optional(),
  coalesce: z.boolean().optional(),
});

export const cacheSchema = z.strictObject({
  /** Off until configured. */
  enabled: z.boolean().default(false),
  /** `exact`: identical requests only. `semantic`: also the nearest earlier question above `threshold`. */
  mode: modeSchema.default('exact'),
  /** How long an entry answers (seconds). */
  ttl_seconds: z.number().int().positive().default(3600),
  /** Least cosine similarity of a semantic hit (0–1). */
  threshold: z.number().min(0).max(1).default(0.92),
  /** Model (as a caller would name it) that embeds prompts for the semantic layer; required for `semantic`. */
  embedding_model: z.string().min(1).optional(),
  /** Who shares entries: each virtual key alone (default), its team, its customer, or everyone. */
  namespace: namespaceSchema.default('key'),
  allow_namespace_header: z.boolean().default(false),
  /** Whether a request hits an entry stored by the same request in another dialect (OpenAI, Anthropic, Gemini…); off: each dialect its own entries. */
  share_across_dialects: z.boolean().default(false),
  /** Whether a whole (not streamed) request waits for an identical one already on its way to the provider and is answered by its entry. */
  coalesce: z.boolean().default(true),
  /** Most entries the embedded exact store keeps; the least recently used go first. */
  max_entries: z.number().int().positive().default(10_000),
  /** Answers larger than this (bytes of JSON) are not stored. */
  max_entry_bytes: z.number().int().positive().default(1024 * 1024),
  /** Semantic layer: earlier turns embedded with the last user turn; longer conversations are not cached semantically. */
  conversation_history_threshold: z.number().int().nonnegative().default(3),
  /** Semantic layer: leave the system prompt out of the embedded text. */
  exclude_system_prompt: z.boolean().default(false),
  /** Semantic layer: also look up and store prompts that carry tool results (off: agents' prompts bypass it). */
  semantic_tool_results: z.boolean().default(false),
  /** Requests with a higher temperature are not cached (no bound when absent). */
  max_temperature: z.number().nonnegative().optional(),
  /** Requests that set `user` are not cached. */
  exclude_user: z.boolean().default(false),
  /** Requests that set `seed` are not cached. */
  exclude_seed: z.boolean().default(false),
  store: cacheStoreSchema.default({ key_prefix: 'tollgate:cache:' }),
  vector_store: vectorStoreSchema.default({ type: 'embedded', collection: 'tollgate_cache', max_elements: 200_000, save_interval_seconds: 60 }),
}).superRefine((value, context) => {
  if (value.mode === 'semantic' && value.embedding_model === undefined) context.addIssue({ code: 'custom', path: ['embedding_model'], message: 'the semantic cache needs an embedding model, e.g. openai/text-embedding-3-small' });
});

export type CacheConfig = z.infer<typeof cacheSchema>;
export type CacheOverride = z.infer<typeof cacheOverrideSchema>;
