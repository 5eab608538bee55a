import type { GatewayOptions } from './chat-request.js';
import type { Usage } from './usage.js';

/** One part of a multimodal moderation input. */
export type ModerationPart = { type: 'text'; text: string } | { type: 'image'; url: string };

/**
 * Classify text (and images) against a provider's content policy (OpenAI's `/v1/moderations`).
 * @example { model: 'omni-moderation-latest', input: ['I want to hurt them.'] }
 */
export interface ModerationRequest {
  model: string;
  /** Texts, each classified on its own, or one multimodal input of parts. */
  input: string[] | ModerationPart[];
  /** True when the caller sent one string rather than a list. */
  singleInput?: boolean;
  gateway?: GatewayOptions;
  extra?: Record<string, unknown>;
  extraDialect?: string;
}

export interface ModerationResult {
  flagged: boolean;
  /** Category name (`violence`, `self-harm/intent`, …) → whether the input falls in it. */
  categories: Record<string, boolean>;
  /** Category name → the model's confidence, 0 to 1. */
  categoryScores: Record<string, number>;
  /** Category name → the input types (`text`, `image`) the verdict was reached on, when the provider says. */
  categoryAppliedInputTypes?: Record<string, string[]>;
}

export interface ModerationResponse {
  id: string;
  model: string;
  /** One per input text, in order (one for a multimodal input). */
  results: ModerationResult[];
  usage: Usage;
}
