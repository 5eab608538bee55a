import { anthropicMessagesCodec } from '../../codecs/anthropic-messages/index.js';
import { noOptionsSchema, type NoOptions } from '../no-options.js';
import type { ProviderAdapter } from '../provider.js';
import { countField } from '../token-count.js';
import { anthropicMessageBatches } from './message-batches.js';

/** What `POST /v1/messages/count_tokens` takes of a Messages body (https://docs.anthropic.com/en/api/messages-count-tokens). */
const COUNT_FIELDS = ['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'mcp_servers'];

/** The API version Tollgate's Anthropic codec is written against (https://docs.anthropic.com/en/api/versioning). */
export const ANTHROPIC_VERSION = '2023-06-01';

/**
 * `POST {base}/v1/messages`. Anthropic's own base URL has no `/v1` (unlike OpenAI's), but a
 * configured base that already ends in `/v1` is accepted as is rather than doubled.
 */
export function anthropicMessagesUrl(baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return base.endsWith('/v1') ? `${base}/messages` : `${base}/v1/messages`;
}

/**
 * Anthropic's API: key in `x-api-key`, the pinned `anthropic-version`, and any configured
 * `headers` on top (e.g. `anthropic-beta` to opt into beta features). No embeddings endpoint.
 */
export const anthropicAdapter: ProviderAdapter<NoOptions> = {
  type: 'anthropic',
  optionsSchema: noOptionsSchema,
  chatCodec: anthropicMessagesCodec,
  defaultBaseUrl: 'https://api.anthropic.com',
  requiresKey: true,
  buildChatRequest(request, upstreamModel, key, settings) {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'anthropic-version': ANTHROPIC_VERSION, ...settings.headers };
    if (key !== undefined) headers['x-api-key'] = key.value;
    return {
      url: anthropicMessagesUrl(settings.baseUrl),
      method: 'POST',
      headers,
      body: JSON.stringify(anthropicMessagesCodec.encodeRequest(request, upstreamModel)),
      framing: 'sse',
    };
  },
  tokenCounter: {
    buildRequest(request, upstreamModel, key, settings) {
      const encoded = anthropicMessagesCodec.encodeRequest(request, upstreamModel);
      const body: Record<string, unknown> = {};
      for (const field of COUNT_FIELDS) if (encoded[field] !== undefined) body[field] = encoded[field];
      const headers: Record<string, string> = { 'content-type': 'application/json', 'anthropic-version': ANTHROPIC_VERSION, ...settings.headers };
      if (key !== undefined) headers['x-api-key'] = key.value;
      return { url: `${anthropicMessagesUrl(settings.baseUrl)}/count_tokens`, method: 'POST', headers, body: JSON.stringify(body) };
    },
    decodeResponse: (body) => countField(body, 'input_tokens', 'anthropic'),
  },
  chatBatches: anthropicMessageBatches(anthropicMessagesUrl, ANTHROPIC_VERSION),
  credentialHeaders: (key) => ({ 'anthropic-version': ANTHROPIC_VERSION, ...(key === undefined ? {} : { 'x-api-key': key.value }) }),
};
