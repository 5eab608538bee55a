import { textOf, type ChatRequest, type ContentPart, type Message, type ToolChoice } from '../../spec/index.js';
import type { CohereContentBlock, CohereMessage } from './wire.js';

/**
 * Spec → Cohere v2 chat body (https://docs.cohere.com/reference/chat). Cohere's parameter names
 * differ from OpenAI's: `p` and `k` for top-p/top-k, `stop_sequences`, `tool_choice` as
 * `REQUIRED`/`NONE` only (auto is the default; a named tool is sent as REQUIRED with only that tool).
 */
export function encodeCohereRequest(request: ChatRequest, upstreamModel: string): Record<string, unknown> {
  const body: Record<string, unknown> = { model: upstreamModel, messages: request.messages.flatMap(encodeMessage) };
  if (request.stream) body.stream = true;
  let tools = request.tools;
  const choice = toolChoiceOf(request.toolChoice);
  if (request.toolChoice?.type === 'tool') {
    const name = request.toolChoice.name;
    tools = tools?.filter((tool) => tool.name === name);
  }
  if (tools !== undefined && tools.length > 0 && request.toolChoice?.type !== 'none') {
    body.tools = tools.map((tool) => ({ type: 'function', function: { name: tool.name, ...(tool.description === undefined ? {} : { description: tool.description }), parameters: tool.parameters } }));
    if (tools.some((tool) => tool.strict === true)) body.strict_tools = true;
    if (choice !== undefined) body.tool_choice = choice;
  }
  if (request.maxOutputTokens !== undefined) body.max_tokens = request.maxOutputTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.p = request.topP;
  if (request.topK !== undefined) body.k = request.topK;
  if (request.stop !== undefined && request.stop.length > 0) body.stop_sequences = request.stop;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
  const format = request.responseFormat;
  if (format?.type === 'json_object') body.response_format = { type: 'json_object' };
  else if (format?.type === 'json_schema') body.response_format = { type: 'json_object', json_schema: format.schema };
  if (request.thinkingBudget !== undefined) body.thinking = request.thinkingBudget === 0 ? { type: 'disabled' } : { type: 'enabled', token_budget: request.thinkingBudget };
  return body;
}

function toolChoiceOf(choice: ToolChoice | undefined): string | undefined {
  if (choice === undefined || choice.type === 'auto') return undefined;
  return choice.type === 'none' ? 'NONE' : 'REQUIRED';
}

function encodeMessage(message: Message): CohereMessage[] {
  switch (message.role) {
    case 'system':
      return [{ role: 'system', content: textOf(message.content) }];
    case 'user':
      return [{ role: 'user', content: encodeUserContent(message.content) }];
    case 'assistant': {
      const text = textOf(message.content);
      const calls = message.toolCalls ?? [];
      if (calls.length === 0) return [{ role: 'assistant', content: text }];
      // With tool calls, Cohere takes the text before them as the `tool_plan`.
      return [
        {
          role: 'assistant',
          ...(text.length > 0 ? { tool_plan: text } : {}),
          tool_calls: calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
        },
      ];
    }
    case 'tool':
      return [{ role: 'tool', tool_call_id: message.toolCallId, content: textOf(message.content) }];
  }
}

/** Text only → a string; with images → content blocks, images as `image_url` (a URL or a data URI). */
function encodeUserContent(content: readonly ContentPart[]): string | CohereContentBlock[] {
  if (!content.some((part) => part.type === 'image' || (part.type === 'file' && part.text !== undefined))) return textOf(content);
  const blocks: CohereContentBlock[] = [];
  for (const part of content) {
    if (part.type === 'text') blocks.push({ type: 'text', text: part.text });
    else if (part.type === 'image') {
      const url = part.url ?? `data:${part.mediaType ?? 'image/png'};base64,${part.data ?? ''}`;
      blocks.push({ type: 'image_url', image_url: part.detail === undefined ? { url } : { url, detail: part.detail } });
    } else if (part.type === 'file' && part.text !== undefined) blocks.push({ type: 'text', text: part.text });
  }
  return blocks;
}
