import { anthropicMessagesCodec } from '../../codecs/anthropic-messages/index.js';
import type { UpstreamChatCodec } from '../../codecs/codec.js';
import { readGeminiError } from '../../codecs/gemini/index.js';
import type { ChatRequest } from '../../spec/index.js';

/** The `anthropic_version` Vertex AI requires in the body (https://docs.anthropic.com/en/api/claude-on-vertex-ai). */
export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

/**
 * Claude on Vertex AI speaks Anthropic's Messages format, but errors raised by Vertex itself
 * (quota, permissions, an unknown model) come in Google's envelope: each is read in its own.
 */
export const anthropicOnVertexCodec: UpstreamChatCodec = {
  ...anthropicMessagesCodec,
  readError(body, headers) {
    const anthropic = anthropicMessagesCodec.readError(body, headers);
    return anthropic.message !== undefined ? anthropic : readGeminiError(body);
  },
};

/** The Messages body for `:rawPredict`: the model is in the URL, and `anthropic_version` in the body. */
export function encodeAnthropicOnVertex(request: ChatRequest, model: string): Record<string, unknown> {
  const { model: _model, ...body } = anthropicMessagesCodec.encodeRequest(request, model);
  return { anthropic_version: VERTEX_ANTHROPIC_VERSION, ...body };
}
