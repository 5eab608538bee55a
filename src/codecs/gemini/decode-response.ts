import { randomUUID } from 'node:crypto';
import { GatewayError, type ChatChoice, type ChatResponse } from '../../spec/index.js';
import { blockedFinishReason, decodeFinishReason } from './finish-reason.js';
import { createCallIdSource, decodeModelParts } from './parts.js';
import { decodeUsage } from './usage.js';
import type { GeminiGenerateContentResponse } from './wire.js';

export function isGenerateContentResponse(body: unknown): body is GeminiGenerateContentResponse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const candidates = (body as { candidates?: unknown }).candidates;
  return candidates === undefined || Array.isArray(candidates);
}

/** A `generateContent` response → ChatResponse. A blocked prompt becomes one empty, content-filtered choice. */
export function decodeGeminiResponse(body: unknown): ChatResponse {
  if (!isGenerateContentResponse(body)) {
    throw new GatewayError('upstream_invalid_response', 'Gemini answered with something that is not a GenerateContentResponse.', { retryable: true });
  }
  const nextCallId = createCallIdSource();
  const choices: ChatChoice[] = (body.candidates ?? []).map((candidate, position) => {
    const { content, toolCalls } = decodeModelParts(candidate.content?.parts ?? [], nextCallId);
    return {
      index: candidate.index ?? position,
      content,
      toolCalls,
      finishReason: decodeFinishReason(candidate.finishReason ?? 'FINISH_REASON_UNSPECIFIED', toolCalls.length > 0),
    };
  });
  const blockReason = body.promptFeedback?.blockReason;
  if (choices.length === 0 && blockReason !== undefined) {
    choices.push({ index: 0, content: [], toolCalls: [], finishReason: blockedFinishReason(blockReason) });
  }
  return {
    id: body.responseId ?? `gemini-${randomUUID()}`,
    model: body.modelVersion ?? '',
    created: Math.floor(Date.now() / 1000),
    choices,
    usage: decodeUsage(body.usageMetadata),
  };
}
