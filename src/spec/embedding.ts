import type { GatewayOptions } from './chat-request.js';
import type { Usage } from './usage.js';

export interface EmbeddingRequest {
  model: string;
  input: string[] | number[][];
  /** True when the caller sent a single string rather than a list. */
  singleInput?: boolean;
  dimensions?: number;
  encodingFormat?: 'float' | 'base64';
  user?: string;
  /** Gateway-level extras the caller sent (per-request `fallbacks`). */
  gateway?: GatewayOptions;
  extra?: Record<string, unknown>;
  extraDialect?: string;
}

export interface EmbeddingResponse {
  model: string;
  embeddings: number[][];
  usage: Usage;
  /** How vectors are rendered to the caller; `base64` = little-endian float32, as OpenAI does. Default `float`. */
  encodingFormat?: 'float' | 'base64';
}
