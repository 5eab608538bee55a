import type { ChatChoice, ChatResponse } from '../../spec/index.js';
import { AGENT_FIELD, encodeAgentTrail } from './agent-trail.js';
import { encodeFinishReason } from './finish-reason.js';
import { encodeUsage } from './usage.js';

/** A spec response → OpenAI's `chat.completion` object, shown to the caller as `model`. */
export function encodeChatResponse(response: ChatResponse, model: string): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: response.id,
    object: 'chat.completion',
    created: response.created,
    model,
    choices: response.choices.map(encodeChoice),
    usage: encodeUsage(response.usage),
  };
  if (response.systemFingerprint !== undefined) body.system_fingerprint = response.systemFingerprint;
  if (response.agent !== undefined) body[AGENT_FIELD] = encodeAgentTrail(response.agent);
  return body;
}

function encodeChoice(choice: ChatChoice): Record<string, unknown> {
  let text = '';
  let reasoning = '';
  for (const part of choice.content) {
    if (part.type === 'text') text += part.text;
    else if (part.type === 'reasoning') reasoning += part.text;
  }
  const hasToolCalls = choice.toolCalls.length > 0;
  const message: Record<string, unknown> = { role: 'assistant', content: text.length === 0 && (hasToolCalls || choice.refusal !== undefined) ? null : text };
  if (choice.refusal !== undefined) message.refusal = choice.refusal;
  // Not OpenAI's own field, but the one DeepSeek and most OpenAI-compatible clients read.
  if (reasoning.length > 0) message.reasoning_content = reasoning;
  if (hasToolCalls) {
    message.tool_calls = choice.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
  }
  return { index: choice.index, message, logprobs: null, finish_reason: encodeFinishReason(choice.finishReason) };
}
