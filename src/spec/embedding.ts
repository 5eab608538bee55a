import type { Usage } from './usage.js';

export interface EmbeddingRequest {
  model: string;
  input: string[] | number[][];
  /** True when the caller sent a single string rather than a list. */
  singleInput?: boolean;
  dimensions?: number;
  encodingFormat?: 'float' | 'base64';
  user?: string;
  extra?: Record<string, unknown>;
  extraDialect?: string;
}

export interface EmbeddingResponse {
  model: string;
  embeddings: number[][];
  usage: Usage;
}
