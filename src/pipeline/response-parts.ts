import type { ChatResponse, StreamPart } from '../spec/index.js';

/**
 * A whole chat answer as the stream parts a provider would have sent for it: how an answer that no
 * provider streamed (a stage's, e.g. a cache hit) reaches a caller who asked for a stream.
 */
export function responseParts(response: ChatResponse): StreamPart[] {
  const parts: StreamPart[] = [{ type: 'start', id: response.id, model: response.model, created: response.created }];
  // Agent mode's trail (a stored agent answer) comes first, as it streamed.
  for (const step of response.agent?.steps ?? []) {
    if (step.type === 'text') parts.push({ type: 'text-delta', choice: 0, text: step.text });
    else if (step.type === 'tool-call') parts.push({ type: 'gateway-tool-call', choice: 0, id: step.id, name: step.name, arguments: step.arguments });
    else parts.push({ type: 'gateway-tool-result', choice: 0, toolCallId: step.toolCallId, name: step.name, content: step.content, isError: step.isError });
  }
  for (const choice of response.choices) {
    for (const content of choice.content) {
      if (content.type === 'text') parts.push({ type: 'text-delta', choice: choice.index, text: content.text });
      else if (content.type === 'reasoning') parts.push({ type: 'reasoning-delta', choice: choice.index, text: content.text, ...(content.signature === undefined ? {} : { signature: content.signature }) });
      else if (content.type === 'redacted-reasoning') parts.push({ type: 'redacted-reasoning', choice: choice.index, data: content.data });
    }
    choice.toolCalls.forEach((call, index) => {
      parts.push({ type: 'tool-call-start', choice: choice.index, index, id: call.id, name: call.name });
      if (call.arguments.length > 0) parts.push({ type: 'tool-call-delta', choice: choice.index, index, argumentsDelta: call.arguments });
    });
    parts.push({ type: 'finish', choice: choice.index, finishReason: choice.finishReason });
  }
  parts.push({ type: 'usage', usage: response.usage });
  return parts;
}
