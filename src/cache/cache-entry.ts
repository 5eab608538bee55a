/** One stored answer of the response cache. */
export interface CacheEntry {
  /** The request's exact key (a SHA-256 in hex, see request-key.ts); also the entry's id. */
  readonly id: string;
  /** The namespace it was stored in (`key:<id>`, `team:<id>`, `customer:<id>`, `global`, and a `/sub` the caller named). */
  readonly namespace: string;
  /** `chat` or `embeddings`. */
  readonly operation: string;
  /** The answer as the spec's JSON (ChatResponse or EmbeddingResponse). */
  readonly body: string;
  /** What the answer cost when the provider served it: what each hit saves. */
  readonly savedUsd: number;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly expiresAt: number;
}

/**
 * Where the exact layer keeps entries. `get` answers synchronously when the store can (memory,
 * SQLite behind an in-process index), so a hit costs no extra turn of the event loop.
 */
export interface ExactStore {
  readonly kind: string;
  /** The entry under `id` that has not expired at `now`, or undefined. */
  get(id: string, now: number): CacheEntry | undefined | Promise<CacheEntry | undefined>;
  /** Stores an entry; durable soon after (the store writes in the background). */
  put(entry: CacheEntry): void;
  /** Removes one entry; true when it was there. */
  deleteEntry(id: string): Promise<boolean>;
  /** Removes every entry of a namespace (and its sub-namespaces); returns how many. */
  deleteNamespace(namespace: string): Promise<number>;
  /** Removes every entry; returns how many. */
  clear(): Promise<number>;
  /** Entries held (approximate for shared stores). */
  size(): Promise<number>;
  /** Throws when the store cannot serve (readiness). */
  ping(): Promise<void>;
  /** Writes what is pending and lets go of resources. */
  close(): Promise<void>;
}

/** Whether `namespace` is `parent` or one of its sub-namespaces (`parent/…`). */
export function inNamespace(namespace: string, parent: string): boolean {
  return namespace === parent || namespace.startsWith(`${parent}/`);
}
