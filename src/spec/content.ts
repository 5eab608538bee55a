/** A piece of message content. Every wire format maps its own parts onto these. */
export type ContentPart = TextPart | ImagePart | ReasoningPart | RedactedReasoningPart;

export interface TextPart {
  type: 'text';
  text: string;
}

/**
 * An image given by URL or inline data.
 * @example { type: 'image', url: 'https://example.com/cat.png' }
 * @example { type: 'image', data: 'iVBORw0KGgo…', mediaType: 'image/png' }
 */
export interface ImagePart {
  type: 'image';
  /** Remote URL (http/https). Exactly one of `url` and `data` is set. */
  url?: string;
  /** Base64 data, without the `data:` prefix. */
  data?: string;
  mediaType?: string;
  /** OpenAI's `detail` hint; other dialects ignore it. */
  detail?: 'auto' | 'low' | 'high';
}

/** Model reasoning ("thinking") text, with the provider's signature when it has one. */
export interface ReasoningPart {
  type: 'reasoning';
  text: string;
  signature?: string;
}

/** Reasoning the provider returned encrypted; passed back verbatim on the next turn. */
export interface RedactedReasoningPart {
  type: 'redacted-reasoning';
  data: string;
}
