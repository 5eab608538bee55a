import type { ChatResponse } from '../../spec/index.js';
import { functionCallItem, messageItem, outputTextPart, reasoningItem, refusalPart, responseObject } from './response-object.js';
import { agentItems } from './agent-items.js';
import { encodeStatus } from './status.js';
import { outputItemId, responseIdOf } from './wire.js';

/**
 * A spec response → a Responses `response` object, shown to the caller as `model`, with the
 * request fields it echoes (`echo`). Output items
 * follow the order OpenAI uses: reasoning, then the message, then function calls. Only choice 0
 * exists in this API.
 */
export function encodeResponsesResponse(response: ChatResponse, model: string, echo?: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const id = responseIdOf(response.id);
  const choice = response.choices[0];
  const output: Record<string, unknown>[] = [];
  const { status } = encodeStatus(choice?.finishReason);
  const itemStatus = status === 'completed' ? 'completed' : 'incomplete';
  if (response.agent !== undefined) output.push(...agentItems(response.agent, id, 0));
  if (choice !== undefined) {
    for (const part of choice.content) {
      if (part.type === 'reasoning') output.push(reasoningItem(outputItemId('rs', id, output.length), part.text, part.signature));
      else if (part.type === 'redacted-reasoning') output.push(reasoningItem(outputItemId('rs', id, output.length), undefined, part.data));
    }
    let text: string | undefined;
    for (const part of choice.content) if (part.type === 'text') text = (text ?? '') + part.text;
    if (text !== undefined || choice.refusal !== undefined) {
      const message = messageItem(outputItemId('msg', id, output.length), undefined, itemStatus);
      const content = message.content as Record<string, unknown>[];
      if (text !== undefined) content.push(outputTextPart(text));
      if (choice.refusal !== undefined) content.push(refusalPart(choice.refusal));
      output.push(message);
    }
    for (const call of choice.toolCalls) output.push(functionCallItem(outputItemId('fc', id, output.length), call.id, call.name, call.arguments, 'completed'));
  }
  return responseObject({ id, model, createdAt: response.created, output, status, usage: response.usage, ...(choice === undefined ? {} : { finishReason: choice.finishReason }), ...(echo === undefined ? {} : { echo }) });
}
