import type { RequestContext } from '../pipeline/context.js';
import type { ChatRequest } from '../spec/index.js';
import type { CacheEntry } from './cache-entry.js';

/** The nearest stored answer above the threshold. */
export interface SemanticMatch {
  readonly entry: CacheEntry;
  /** Cosine similarity of the two prompts (0–1). */
  readonly similarity: number;
}

/**
 * The semantic layer as the cache stage uses it: on an exact miss, `prepare` says whether the
 * request may be looked up by meaning (and what identifies its parameters), `search` embeds it and
 * finds the nearest entry, and `add` indexes a stored answer under the same prompt.
 */
export interface SemanticLayer {
  /** The request's prompt and filter, or undefined when it is not cached semantically (tool results, a long conversation). */
  prepare(namespace: string, route: string, request: ChatRequest): unknown | undefined;
  search(context: RequestContext, note: unknown, threshold: number, now: number): Promise<SemanticMatch | undefined>;
  add(note: unknown, entry: CacheEntry): void;
  /** Removes the vectors of a namespace, an entry, or all. */
  forget(scope: { namespace?: string; id?: string }): Promise<void>;
  close(): Promise<void>;
}
