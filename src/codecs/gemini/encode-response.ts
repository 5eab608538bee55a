import type { ChatResponse, ContentPart, ToolCall } from '../../spec/index.js';
import { encodeFinishReason } from './finish-reason.js';
import { encodeImage } from './media.js';
import { encodeUsage } from './usage.js';
import type { GeminiCandidate, GeminiGenerateContentResponse, GeminiPart } from './wire.js';

/** Tool call arguments → `args`; Gemini's `args` is an object, so anything else is wrapped. */
export function argumentsObject(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    return { value: parsed };
  } catch {
    return { arguments: text };
  }
}

/** Content and tool calls → model parts; signature-only reasoning goes onto the next part (see parts.ts). */
export function encodeModelParts(content: readonly ContentPart[], toolCalls: readonly ToolCall[]): GeminiPart[] {
  const parts: GeminiPart[] = [];
  let pendingSignature: string | undefined;
  const push = (part: GeminiPart) => {
    if (pendingSignature !== undefined && part.thoughtSignature === undefined) part.thoughtSignature = pendingSignature;
    pendingSignature = undefined;
    parts.push(part);
  };
  for (const part of content) {
    if (part.type === 'reasoning') {
      if (part.text.length === 0) pendingSignature = part.signature ?? pendingSignature;
      else push({ text: part.text, thought: true, ...(part.signature !== undefined ? { thoughtSignature: part.signature } : {}) });
    } else if (part.type === 'text') push({ text: part.text });
    else if (part.type === 'image') push(encodeImage(part));
  }
  for (const call of toolCalls) push({ functionCall: { id: call.id, name: call.name, args: argumentsObject(call.arguments) } });
  if (pendingSignature !== undefined) parts.push({ text: '', thoughtSignature: pendingSignature });
  return parts;
}

/** ChatResponse → a `generateContent` response as Gemini sends it. */
export function encodeGeminiResponse(response: ChatResponse, model: string): GeminiGenerateContentResponse {
  const candidates: GeminiCandidate[] = response.choices.map((choice) => ({
    content: { parts: encodeModelParts(choice.content, choice.toolCalls), role: 'model' },
    finishReason: encodeFinishReason(choice.finishReason),
    index: choice.index,
  }));
  const body: GeminiGenerateContentResponse = { candidates };
  const usageMetadata = encodeUsage(response.usage);
  if (usageMetadata !== undefined) body.usageMetadata = usageMetadata;
  body.modelVersion = model;
  body.responseId = response.id;
  return body;
}
