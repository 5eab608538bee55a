import type { GatewayOptions } from './chat-request.js';
import type { Usage } from './usage.js';

/**
 * Rank documents by relevance to a query (Cohere's `/v2/rerank`, Jina's and Voyage's `/rerank`).
 * @example { model: 'rerank-v3.5', query: 'capital of France', documents: ['Paris is…', 'Berlin is…'], topN: 1 }
 */
export interface RerankRequest {
  model: string;
  query: string;
  /** Plain-text documents, in the order the results' `index` refers to. */
  documents: string[];
  /** How many of the best results to return; all when absent. */
  topN?: number;
  /** Return each result's document text beside its index. */
  returnDocuments?: boolean;
  /** Longest document the provider should read, in tokens (longer ones are truncated). */
  maxTokensPerDocument?: number;
  gateway?: GatewayOptions;
  extra?: Record<string, unknown>;
  extraDialect?: string;
}

export interface RerankResult {
  /** Position of the document in the request's `documents`. */
  index: number;
  relevanceScore: number;
  /** The document text, when the request asked for it. */
  document?: string;
}

export interface RerankResponse {
  id: string;
  model: string;
  /** Most relevant first. */
  results: RerankResult[];
  /** Token usage, where the provider reports tokens. */
  usage: Usage;
  /** Search units billed (Cohere prices rerank per search: one per query of up to 100 documents). */
  searchUnits?: number;
}
