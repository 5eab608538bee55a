import { GatewayError, type ChatRequest, type ContentPart, type FilePart, type ImagePart, type Message, type ProviderOptions, type Tool, type ToolChoice } from '../../spec/index.js';
import { cacheControlOf, withCacheControl } from './cache-control.js';
import { encodeDocument, parseDataUrl } from './documents.js';
import {
  ANTHROPIC_DIALECT,
  isRecord,
  type AnthropicContentBlock,
  type AnthropicImageBlock,
  type AnthropicMessage,
  type AnthropicTextBlock,
  type AnthropicToolResultBlock,
  type AnthropicUserContentBlock,
} from './wire-types.js';

/** Anthropic requires `max_tokens`; this is used when the caller set no limit. */
export const DEFAULT_MAX_TOKENS = 4096;

/**
 * `reasoningEffort` → thinking budget. Anthropic's manual extended thinking takes a token budget of
 * at least 1024 (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking).
 */
export const THINKING_BUDGET_BY_EFFORT: Readonly<Record<string, number>> = { minimal: 1024, low: 2048, medium: 8192, high: 16384 };

function invalid(message: string, param: string): GatewayError {
  return new GatewayError('invalid_request', message, { param });
}

function encodeImage(part: ImagePart, param: string): AnthropicImageBlock {
  let block: AnthropicImageBlock;
  if (part.data !== undefined) {
    if (part.mediaType === undefined) throw invalid('An inline image needs a media type for Anthropic.', param);
    block = { type: 'image', source: { type: 'base64', media_type: part.mediaType, data: part.data } };
  } else if (part.url !== undefined) {
    const inline = parseDataUrl(part.url);
    block = inline !== undefined ? { type: 'image', source: { type: 'base64', media_type: inline.mediaType, data: inline.data } } : { type: 'image', source: { type: 'url', url: part.url } };
  } else {
    throw invalid('An image needs either a URL or inline data.', param);
  }
  return withCacheControl(block, part.providerOptions);
}

/** An image file goes as an image block, a document as a document block; anything else Anthropic cannot take is skipped. */
function encodeFile(part: FilePart, param: string): AnthropicUserContentBlock | undefined {
  if (part.mediaType.startsWith('image/')) return part.data === undefined && part.url === undefined ? undefined : encodeImage({ ...part, type: 'image' }, param);
  return encodeDocument(part);
}

/**
 * Text, images and documents: what user messages and tool results may hold. Empty text is dropped
 * (Anthropic rejects empty text blocks).
 */
function encodeUserParts(content: readonly ContentPart[], param: string): AnthropicUserContentBlock[] {
  const blocks: AnthropicUserContentBlock[] = [];
  content.forEach((part, index) => {
    if (part.type === 'text') {
      if (part.text !== '') blocks.push(withCacheControl({ type: 'text', text: part.text }, part.providerOptions));
    } else if (part.type === 'image') {
      blocks.push(encodeImage(part, `${param}[${index}]`));
    } else if (part.type === 'file') {
      const block = encodeFile(part, `${param}[${index}]`);
      if (block !== undefined) blocks.push(block);
    } else {
      throw invalid(`Anthropic accepts only text, images and documents here, not ${part.type}.`, `${param}[${index}]`);
    }
  });
  return blocks;
}

/**
 * A message-level cache mark goes on the message's last block that can carry one (not thinking),
 * unless that block has its own, as the AI SDK does for message-level `cacheControl`.
 */
function markLastBlock(blocks: AnthropicContentBlock[], providerOptions: ProviderOptions | undefined): void {
  const cacheControl = cacheControlOf(providerOptions);
  if (cacheControl === undefined) return;
  for (let index = blocks.length - 1; index >= 0; index--) {
    const block = blocks[index]!;
    if (block.type === 'thinking' || block.type === 'redacted_thinking') continue;
    if (block.cache_control === undefined) block.cache_control = cacheControl;
    return;
  }
}

function parseArguments(text: string, param: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('Tool call arguments are not valid JSON; Anthropic needs them as an object.', param);
  }
  if (!isRecord(parsed)) throw invalid('Tool call arguments must be a JSON object for Anthropic.', param);
  return parsed;
}

function encodeAssistant(message: Extract<Message, { role: 'assistant' }>, param: string): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  message.content.forEach((part, index) => {
    switch (part.type) {
      case 'text':
        if (part.text !== '') blocks.push(withCacheControl({ type: 'text', text: part.text }, part.providerOptions));
        break;
      case 'file':
        // Anthropic takes documents from the user only; an assistant's file has nowhere to go.
        break;
      case 'reasoning':
        // Anthropic rejects thinking blocks it did not sign, so reasoning from other providers is dropped.
        // Thinking blocks cannot carry cache_control, so a part's mark is not sent.
        if (part.signature !== undefined && part.signature !== '') blocks.push({ type: 'thinking', thinking: part.text, signature: part.signature });
        break;
      case 'redacted-reasoning':
        blocks.push({ type: 'redacted_thinking', data: part.data });
        break;
      case 'image':
        throw invalid('Anthropic does not accept images in assistant messages.', `${param}.content[${index}]`);
    }
  });
  (message.toolCalls ?? []).forEach((call, index) => {
    const input = parseArguments(call.arguments, `${param}.tool_calls[${index}].arguments`);
    blocks.push(withCacheControl({ type: 'tool_use', id: call.id, name: call.name, input }, call.providerOptions));
  });
  return blocks;
}

function encodeToolResult(message: Extract<Message, { role: 'tool' }>, param: string): AnthropicToolResultBlock {
  const block: AnthropicToolResultBlock = { type: 'tool_result', tool_use_id: message.toolCallId };
  const content = encodeUserParts(message.content, `${param}.content`);
  if (content.length > 0) block.content = content;
  if (message.isError === true) block.is_error = true;
  return withCacheControl(block, message.providerOptions);
}

/**
 * Spec messages → Anthropic `system` and `messages`. System messages, wherever they are, are
 * hoisted to the top-level `system`; tool results become `tool_result` blocks of a user message;
 * consecutive messages of the same role are merged, because Anthropic requires user and assistant
 * turns to alternate. Messages left empty are skipped (Anthropic rejects empty content).
 */
export function encodeMessages(messages: readonly Message[]): { system: AnthropicTextBlock[]; messages: AnthropicMessage[] } {
  const system: AnthropicTextBlock[] = [];
  const turns: AnthropicMessage[] = [];
  messages.forEach((message, index) => {
    const param = `messages[${index}]`;
    let role: AnthropicMessage['role'];
    let blocks: AnthropicContentBlock[];
    switch (message.role) {
      case 'system': {
        const systemBlocks: AnthropicTextBlock[] = [];
        message.content.forEach((part, partIndex) => {
          if (part.type !== 'text') throw invalid('Anthropic system prompts take text only.', `${param}.content[${partIndex}]`);
          if (part.text !== '') systemBlocks.push(withCacheControl({ type: 'text', text: part.text }, part.providerOptions));
        });
        markLastBlock(systemBlocks, message.providerOptions);
        system.push(...systemBlocks);
        return;
      }
      case 'user':
        role = 'user';
        blocks = encodeUserParts(message.content, `${param}.content`);
        break;
      case 'tool':
        // The tool message's own mark belongs on its tool_result block (encodeToolResult puts it there).
        role = 'user';
        blocks = [encodeToolResult(message, param)];
        break;
      case 'assistant':
        role = 'assistant';
        blocks = encodeAssistant(message, param);
        break;
    }
    if (message.role !== 'tool') markLastBlock(blocks, message.providerOptions);
    if (blocks.length === 0) return;
    const previous = turns[turns.length - 1];
    if (previous !== undefined && previous.role === role) previous.content.push(...blocks);
    else turns.push({ role, content: blocks });
  });
  return { system, messages: turns };
}

function encodeTool(tool: Tool): Record<string, unknown> {
  // Anthropic requires `input_schema` to be an object schema; OpenAI callers may send `{}`.
  const inputSchema = tool.parameters.type === undefined ? { type: 'object', properties: {}, ...tool.parameters } : tool.parameters;
  const wire: Record<string, unknown> = { name: tool.name, input_schema: inputSchema };
  if (tool.description !== undefined) wire.description = tool.description;
  if (tool.strict !== undefined) wire.strict = tool.strict;
  const cacheControl = cacheControlOf(tool.providerOptions);
  if (cacheControl !== undefined) wire.cache_control = cacheControl;
  return wire;
}

function encodeToolChoice(choice: ToolChoice | undefined, parallelToolCalls: boolean | undefined): Record<string, unknown> | undefined {
  const disableParallel = parallelToolCalls === false;
  if (choice === undefined) return disableParallel ? { type: 'auto', disable_parallel_tool_use: true } : undefined;
  let wire: Record<string, unknown>;
  switch (choice.type) {
    case 'none':
      return { type: 'none' };
    case 'auto':
      wire = { type: 'auto' };
      break;
    case 'required':
      wire = { type: 'any' };
      break;
    case 'tool':
      wire = { type: 'tool', name: choice.name };
      break;
  }
  if (disableParallel) wire.disable_parallel_tool_use = true;
  return wire;
}

function thinkingBudgetOf(request: ChatRequest): number | undefined {
  if (request.thinkingBudget !== undefined) return request.thinkingBudget;
  const effort = request.reasoningEffort;
  if (effort === undefined || effort === 'none') return undefined;
  const budget = THINKING_BUDGET_BY_EFFORT[effort];
  if (budget === undefined) {
    throw new GatewayError('unsupported_parameter', `Anthropic has no thinking budget for reasoning effort '${effort}'; use minimal, low, medium or high.`, { param: 'reasoning_effort' });
  }
  return budget;
}

/**
 * Spec request → Anthropic Messages body.
 *
 * - `max_tokens` is required by Anthropic: `maxOutputTokens`, else DEFAULT_MAX_TOKENS. Thinking
 *   tokens count toward it and the budget must be below it, so when thinking is on and the limit
 *   does not exceed the budget, the budget is added on top of the caller's limit.
 * - `responseFormat` json_schema → `output_config.format` (Anthropic structured outputs,
 *   https://docs.anthropic.com/en/docs/build-with-claude/structured-outputs); Anthropic has no
 *   plain JSON mode, so `json_object` is dropped and the prompt must ask for JSON.
 * - `seed`, `presencePenalty`, `frequencyPenalty` have no Anthropic equivalent and are dropped;
 *   `n` > 1 is refused.
 */
export function encodeRequest(request: ChatRequest, upstreamModel: string): Record<string, unknown> {
  if (request.n !== undefined && request.n > 1) throw new GatewayError('unsupported_parameter', 'Anthropic returns one choice per request; n must be 1.', { param: 'n' });
  const { system, messages } = encodeMessages(request.messages);
  const thinkingBudget = thinkingBudgetOf(request);
  let maxTokens = request.maxOutputTokens ?? DEFAULT_MAX_TOKENS;
  if (thinkingBudget !== undefined && maxTokens <= thinkingBudget) maxTokens += thinkingBudget;

  const body: Record<string, unknown> = { model: upstreamModel, max_tokens: maxTokens, messages };
  // A lone system block goes as a plain string, unless it carries a cache mark a string cannot hold.
  if (system.length === 1 && system[0]!.cache_control === undefined) body.system = system[0]!.text;
  else if (system.length > 0) body.system = system;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.topK !== undefined) body.top_k = request.topK;
  if (request.stop !== undefined && request.stop.length > 0) body.stop_sequences = request.stop;
  if (request.tools !== undefined && request.tools.length > 0) body.tools = request.tools.map(encodeTool);
  const toolChoice = encodeToolChoice(request.toolChoice, request.parallelToolCalls);
  if (toolChoice !== undefined) body.tool_choice = toolChoice;
  if (thinkingBudget !== undefined) body.thinking = { type: 'enabled', budget_tokens: thinkingBudget };
  if (request.responseFormat?.type === 'json_schema') body.output_config = { format: { type: 'json_schema', schema: request.responseFormat.schema } };
  if (request.user !== undefined) body.metadata = { user_id: request.user };
  body.stream = request.stream;

  if (request.extraDialect === ANTHROPIC_DIALECT && request.extra !== undefined) {
    for (const [key, value] of Object.entries(request.extra)) {
      if (key === 'output_config' && isRecord(value)) body.output_config = { ...value, ...(isRecord(body.output_config) ? body.output_config : {}) };
      else if (key === 'metadata' && isRecord(value)) body.metadata = { ...value, ...(isRecord(body.metadata) ? body.metadata : {}) };
      else if (!(key in body)) body[key] = value;
    }
  }
  return body;
}
