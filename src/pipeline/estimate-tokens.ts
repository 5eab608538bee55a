import type { ChatRequest } from '../spec/index.js';

const IMAGE_TOKENS = 1_000;

/**
 * A cheap upper-bound-ish estimate of prompt tokens (one per three characters, a flat allowance
 * per image), used only to reserve rate-limit and budget room before the real usage is known.
 */
export function estimateInputTokens(request: ChatRequest): number {
  let characters = 0;
  let images = 0;
  for (const message of request.messages) {
    for (const part of message.content) {
      if (part.type === 'text' || part.type === 'reasoning') characters += part.text.length;
      else if (part.type === 'image') images++;
    }
    if (message.role === 'assistant' && message.toolCalls) for (const call of message.toolCalls) characters += call.arguments.length + call.name.length;
  }
  if (request.tools) for (const tool of request.tools) characters += JSON.stringify(tool.parameters).length + tool.name.length + (tool.description?.length ?? 0);
  return Math.ceil(characters / 3) + images * IMAGE_TOKENS + request.messages.length * 4;
}
