import { GatewayError, type ChatChoice, type ChatResponse } from '../../spec/index.js';
import { decodeFinishReason, encodeFinishReason } from '../openai-chat/finish-reason.js';
import { isObject, numberOrUndefined, stringOrUndefined } from '../openai-chat/read-fields.js';
import { decodeUsage, encodeUsage } from '../openai-chat/usage.js';

/** An OpenAI `text_completion` object → spec response (each choice's `text` as its content). */
export function decodeCompletionResponse(body: unknown): ChatResponse {
  if (!isObject(body) || !Array.isArray(body.choices)) {
    throw new GatewayError('upstream_invalid_response', 'The provider answered a text completion without `choices`.', { retryable: true });
  }
  const choices = body.choices.map((choice, position): ChatChoice => {
    const wire = isObject(choice) ? choice : {};
    const text = stringOrUndefined(wire.text) ?? '';
    return { index: numberOrUndefined(wire.index) ?? position, content: text.length > 0 ? [{ type: 'text', text }] : [], toolCalls: [], finishReason: decodeFinishReason(wire.finish_reason) };
  });
  return {
    id: stringOrUndefined(body.id) ?? '',
    model: stringOrUndefined(body.model) ?? '',
    created: numberOrUndefined(body.created) ?? Math.floor(Date.now() / 1000),
    choices,
    usage: isObject(body.usage) ? decodeUsage(body.usage) : { inputTokens: undefined, outputTokens: undefined },
    ...(typeof body.system_fingerprint === 'string' ? { systemFingerprint: body.system_fingerprint } : {}),
  };
}

/** Spec response → an OpenAI `text_completion` object: each choice's text (tool calls have no place here). */
export function encodeCompletionResponse(response: ChatResponse, model: string): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: response.id.startsWith('cmpl-') ? response.id : `cmpl-${response.id}`,
    object: 'text_completion',
    created: response.created,
    model,
    choices: response.choices.map((choice) => ({ text: textOf(choice), index: choice.index, logprobs: null, finish_reason: encodeFinishReason(choice.finishReason) })),
  };
  if (response.usage.inputTokens !== undefined || response.usage.outputTokens !== undefined) body.usage = encodeUsage(response.usage);
  if (response.systemFingerprint !== undefined) body.system_fingerprint = response.systemFingerprint;
  return body;
}

function textOf(choice: ChatChoice): string {
  let text = '';
  for (const part of choice.content) if (part.type === 'text') text += part.text;
  return text.length === 0 && choice.refusal !== undefined ? choice.refusal : text;
}
