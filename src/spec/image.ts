import type { GatewayOptions } from './chat-request.js';
import type { Usage } from './usage.js';

/**
 * Generate images from a prompt (OpenAI's `/v1/images/generations`).
 * @example { model: 'dall-e-3', prompt: 'a lighthouse at dusk', n: 1, size: '1024x1024', quality: 'standard', responseFormat: 'url' }
 */
export interface ImageGenerationRequest {
  model: string;
  prompt: string;
  /** Images to make; default 1. */
  n?: number;
  /** `1024x1024`, `1792x1024`, `auto`, … as the model takes. */
  size?: string;
  /** `standard`, `hd`, `low`, `medium`, `high`, `auto`, as the model takes. */
  quality?: string;
  /** `url` or `b64_json`. */
  responseFormat?: 'url' | 'b64_json';
  style?: string;
  user?: string;
  gateway?: GatewayOptions;
  extra?: Record<string, unknown>;
  extraDialect?: string;
}

export interface GeneratedImage {
  url?: string;
  b64Json?: string;
  revisedPrompt?: string;
}

export interface ImageGenerationResponse {
  created: number;
  images: GeneratedImage[];
  /** Token usage, for models billed per token (gpt-image-1); per-image billing reads `usage.units`. */
  usage: Usage;
  /** Fields of the provider's answer with no spec equivalent (`background`, `output_format`, …), passed on. */
  extra?: Record<string, unknown>;
}
