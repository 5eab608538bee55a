/**
 * Provider-specific settings that ride along with a part, message or tool, keyed by provider
 * family and then by option name (camelCase), in the manner of the Vercel AI SDK's
 * `providerOptions`. Codecs read only their own key and ignore the rest, so the spec stays
 * provider-neutral while same-dialect traffic keeps features the spec does not model.
 * Keys in use: `anthropic.cacheControl` (a prompt-caching breakpoint, Anthropic's `cache_control`
 * object as sent), and on file parts `anthropic.title`, `anthropic.context`, `anthropic.citations`.
 * @example { anthropic: { cacheControl: { type: 'ephemeral' } } }
 * @example { anthropic: { cacheControl: { type: 'ephemeral', ttl: '1h' }, title: 'Q3 report' } }
 */
export type ProviderOptions = Record<string, Record<string, unknown>>;

/** A piece of message content. Every wire format maps its own parts onto these. */
export type ContentPart = TextPart | ImagePart | FilePart | ReasoningPart | RedactedReasoningPart;

export interface TextPart {
  type: 'text';
  text: string;
  /** Provider-specific settings for this part; see ProviderOptions. */
  providerOptions?: ProviderOptions;
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
  /** Provider-specific settings for this part; see ProviderOptions. */
  providerOptions?: ProviderOptions;
}

/**
 * A document or other file: inline base64 `data`, a remote `url`, or plain `text` (exactly one).
 * Codecs send the kinds their wire format accepts and skip the others.
 * @example { type: 'file', data: 'JVBERi0xLjQK…', mediaType: 'application/pdf', filename: 'report.pdf' }
 * @example { type: 'file', url: 'https://example.com/report.pdf', mediaType: 'application/pdf' }
 * @example { type: 'file', text: 'Meeting notes…', mediaType: 'text/plain' }
 */
export interface FilePart {
  type: 'file';
  /** Base64 data, without the `data:` prefix. */
  data?: string;
  /** Remote URL (http/https), or a `data:` URL. */
  url?: string;
  /** The document's content as text, for plain-text documents. */
  text?: string;
  /** IANA media type, e.g. `application/pdf` or `text/plain`. */
  mediaType: string;
  filename?: string;
  /** Provider-specific settings for this part; see ProviderOptions. */
  providerOptions?: ProviderOptions;
}

/** Model reasoning ("thinking") text, with the provider's signature when it has one. */
export interface ReasoningPart {
  type: 'reasoning';
  text: string;
  signature?: string;
  /** Provider-specific settings for this part; see ProviderOptions. */
  providerOptions?: ProviderOptions;
}

/** Reasoning the provider returned encrypted; passed back verbatim on the next turn. */
export interface RedactedReasoningPart {
  type: 'redacted-reasoning';
  data: string;
  /** Provider-specific settings for this part; see ProviderOptions. */
  providerOptions?: ProviderOptions;
}
