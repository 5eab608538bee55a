import type { AssistantMessage, ChatRequest, ContentPart, ImagePart, Message, ResponseFormat, TextPart, Tool, ToolCall, ToolChoice } from '../../spec/index.js';
import { cacheControlOptions } from './cache-control.js';
import { decodeDocument } from './documents.js';
import { ANTHROPIC_DIALECT, isRecord } from './wire-types.js';
import {
  invalidRequest,
  optionalBoolean,
  optionalInteger,
  optionalNumber,
  optionalString,
  requireArray,
  requireRecord,
  requireString,
  unsupportedType,
} from './validate.js';

/** Top-level fields this codec models; anything else is kept in `extra` for same-dialect upstreams. */
const MODELED_FIELDS = new Set([
  'model', 'messages', 'system', 'max_tokens', 'temperature', 'top_p', 'top_k', 'stop_sequences', 'stream',
  'tools', 'tool_choice', 'metadata', 'thinking', 'output_config',
]);

function decodeImage(block: Record<string, unknown>, param: string): ImagePart {
  const source = requireRecord(block.source, `${param}.source`);
  if (source.type === 'base64') {
    const mediaType = requireString(source.media_type, `${param}.source.media_type`);
    return { type: 'image', mediaType, data: requireString(source.data, `${param}.source.data`), ...cacheControlOptions(block, param) };
  }
  if (source.type === 'url') return { type: 'image', url: requireString(source.url, `${param}.source.url`), ...cacheControlOptions(block, param) };
  throw invalidRequest(`${param}.source.type must be 'base64' or 'url'.`, `${param}.source.type`);
}

function decodeText(block: Record<string, unknown>, param: string): TextPart {
  return { type: 'text', text: requireString(block.text, `${param}.text`), ...cacheControlOptions(block, param) };
}

/** A `tool_result`'s `content`: a string, or text, image and document blocks. */
function decodeToolResultContent(value: unknown, param: string): ContentPart[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [{ type: 'text', text: value }];
  return requireArray(value, param).map((item, index) => {
    const block = requireRecord(item, `${param}[${index}]`);
    if (block.type === 'text') return decodeText(block, `${param}[${index}]`);
    if (block.type === 'image') return decodeImage(block, `${param}[${index}]`);
    if (block.type === 'document') return decodeDocument(block, `${param}[${index}]`);
    throw unsupportedType(block.type, `${param}[${index}].type`, (type) => `Tollgate does not support ${type} blocks in tool results.`);
  });
}

function contentBlocks(value: unknown, param: string): Record<string, unknown>[] {
  if (typeof value === 'string') return [{ type: 'text', text: value }];
  return requireArray(value, param).map((item, index) => requireRecord(item, `${param}[${index}]`));
}

/**
 * A user turn → spec messages. Its `tool_result` blocks become tool messages and the rest a user
 * message, in the order they appear. A `tool_result`'s own `cache_control` goes on the tool message.
 */
function decodeUserTurn(content: unknown, param: string, toolNames: ReadonlyMap<string, string>): Message[] {
  const messages: Message[] = [];
  let pending: ContentPart[] = [];
  const flush = () => {
    if (pending.length > 0) messages.push({ role: 'user', content: pending });
    pending = [];
  };
  contentBlocks(content, `${param}.content`).forEach((block, index) => {
    const blockParam = `${param}.content[${index}]`;
    switch (block.type) {
      case 'text':
        pending.push(decodeText(block, blockParam));
        break;
      case 'image':
        pending.push(decodeImage(block, blockParam));
        break;
      case 'document':
        pending.push(decodeDocument(block, blockParam));
        break;
      case 'tool_result': {
        flush();
        const toolCallId = requireString(block.tool_use_id, `${blockParam}.tool_use_id`);
        const isError = optionalBoolean(block.is_error, `${blockParam}.is_error`);
        const name = toolNames.get(toolCallId);
        messages.push({
          role: 'tool',
          toolCallId,
          content: decodeToolResultContent(block.content, `${blockParam}.content`),
          ...(name === undefined ? {} : { name }),
          ...(isError === undefined ? {} : { isError }),
          ...cacheControlOptions(block, blockParam),
        });
        break;
      }
      default:
        throw unsupportedType(block.type, `${blockParam}.type`, (type) => `Tollgate does not support ${type} blocks in user messages.`);
    }
  });
  flush();
  return messages;
}

function decodeAssistantTurn(content: unknown, param: string, toolNames: Map<string, string>): AssistantMessage {
  const parts: ContentPart[] = [];
  const toolCalls: ToolCall[] = [];
  contentBlocks(content, `${param}.content`).forEach((block, index) => {
    const blockParam = `${param}.content[${index}]`;
    switch (block.type) {
      case 'text':
        parts.push(decodeText(block, blockParam));
        break;
      case 'thinking':
        parts.push({ type: 'reasoning', text: requireString(block.thinking, `${blockParam}.thinking`), signature: requireString(block.signature, `${blockParam}.signature`) });
        break;
      case 'redacted_thinking':
        parts.push({ type: 'redacted-reasoning', data: requireString(block.data, `${blockParam}.data`) });
        break;
      case 'tool_use': {
        const id = requireString(block.id, `${blockParam}.id`);
        const name = requireString(block.name, `${blockParam}.name`);
        const input = requireRecord(block.input, `${blockParam}.input`);
        toolNames.set(id, name);
        toolCalls.push({ id, name, arguments: JSON.stringify(input), ...cacheControlOptions(block, blockParam) });
        break;
      }
      default:
        throw unsupportedType(block.type, `${blockParam}.type`, (type) => `Tollgate does not support ${type} blocks in assistant messages.`);
    }
  });
  return toolCalls.length > 0 ? { role: 'assistant', content: parts, toolCalls } : { role: 'assistant', content: parts };
}

function decodeSystem(value: unknown): Message[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value === '' ? [] : [{ role: 'system', content: [{ type: 'text', text: value }] }];
  const parts = requireArray(value, 'system').map((item, index) => {
    const block = requireRecord(item, `system[${index}]`);
    if (block.type !== 'text') throw invalidRequest('system blocks must be text.', `system[${index}].type`);
    return decodeText(block, `system[${index}]`);
  });
  return parts.length === 0 ? [] : [{ role: 'system', content: parts }];
}

function decodeTools(value: unknown): Tool[] | undefined {
  if (value === undefined || value === null) return undefined;
  return requireArray(value, 'tools').map((item, index) => {
    const param = `tools[${index}]`;
    const wire = requireRecord(item, param);
    if (wire.type !== undefined && wire.type !== null && wire.type !== 'custom') {
      throw unsupportedType(wire.type, `${param}.type`, (type) => `Tollgate does not support Anthropic server tools (${type}).`);
    }
    const tool: Tool = { name: requireString(wire.name, `${param}.name`), parameters: requireRecord(wire.input_schema, `${param}.input_schema`) };
    const description = optionalString(wire.description, `${param}.description`);
    if (description !== undefined) tool.description = description;
    const strict = optionalBoolean(wire.strict, `${param}.strict`);
    if (strict !== undefined) tool.strict = strict;
    return Object.assign(tool, cacheControlOptions(wire, param));
  });
}

function decodeToolChoice(value: unknown): { toolChoice?: ToolChoice; parallelToolCalls?: boolean } {
  if (value === undefined || value === null) return {};
  const wire = requireRecord(value, 'tool_choice');
  const disableParallel = optionalBoolean(wire.disable_parallel_tool_use, 'tool_choice.disable_parallel_tool_use');
  const parallel = disableParallel === true ? { parallelToolCalls: false } : {};
  switch (wire.type) {
    case 'auto':
      return { toolChoice: { type: 'auto' }, ...parallel };
    case 'any':
      return { toolChoice: { type: 'required' }, ...parallel };
    case 'none':
      return { toolChoice: { type: 'none' } };
    case 'tool':
      return { toolChoice: { type: 'tool', name: requireString(wire.name, 'tool_choice.name') }, ...parallel };
    default:
      throw invalidRequest("tool_choice.type must be 'auto', 'any', 'tool' or 'none'.", 'tool_choice.type');
  }
}

/**
 * Anthropic Messages body → spec request, strictly validated. Fields the spec does not model
 * (`service_tier`, adaptive `thinking`, `output_config.effort`, …) go to `extra` so an Anthropic
 * upstream receives them unchanged.
 */
export function decodeRequest(input: unknown): ChatRequest {
  if (!isRecord(input)) throw invalidRequest('The request body must be a JSON object.', undefined);
  const model = requireString(input.model, 'model');
  if (model === '') throw invalidRequest('model must not be empty.', 'model');
  const maxTokens = optionalInteger(input.max_tokens, 'max_tokens', 1);
  if (maxTokens === undefined) throw invalidRequest('max_tokens is required.', 'max_tokens');

  const wireMessages = requireArray(input.messages, 'messages');
  if (wireMessages.length === 0) throw invalidRequest('messages must not be empty.', 'messages');
  const messages: Message[] = decodeSystem(input.system);
  const toolNames = new Map<string, string>();
  wireMessages.forEach((item, index) => {
    const param = `messages[${index}]`;
    const wire = requireRecord(item, param);
    if (wire.role === 'user') messages.push(...decodeUserTurn(wire.content, param, toolNames));
    else if (wire.role === 'assistant') messages.push(decodeAssistantTurn(wire.content, param, toolNames));
    else throw invalidRequest(`${param}.role must be 'user' or 'assistant'.`, `${param}.role`);
  });

  const request: ChatRequest = { model, messages, stream: optionalBoolean(input.stream, 'stream') ?? false, maxOutputTokens: maxTokens };
  const temperature = optionalNumber(input.temperature, 'temperature', 0, 1);
  if (temperature !== undefined) request.temperature = temperature;
  const topP = optionalNumber(input.top_p, 'top_p', 0, 1);
  if (topP !== undefined) request.topP = topP;
  const topK = optionalInteger(input.top_k, 'top_k', 0);
  if (topK !== undefined) request.topK = topK;
  if (input.stop_sequences !== undefined && input.stop_sequences !== null) {
    request.stop = requireArray(input.stop_sequences, 'stop_sequences').map((item, index) => requireString(item, `stop_sequences[${index}]`));
  }
  const tools = decodeTools(input.tools);
  if (tools !== undefined) request.tools = tools;
  Object.assign(request, decodeToolChoice(input.tool_choice));

  const extra: Record<string, unknown> = {};
  if (input.metadata !== undefined && input.metadata !== null) {
    const { user_id: userId, ...otherMetadata } = requireRecord(input.metadata, 'metadata');
    const user = optionalString(userId, 'metadata.user_id');
    if (user !== undefined) request.user = user;
    if (Object.keys(otherMetadata).length > 0) extra.metadata = otherMetadata;
  }
  if (input.thinking !== undefined && input.thinking !== null) {
    const thinking = requireRecord(input.thinking, 'thinking');
    if (thinking.type === 'enabled') {
      const budget = optionalInteger(thinking.budget_tokens, 'thinking.budget_tokens', 1024);
      if (budget === undefined) throw invalidRequest('thinking.budget_tokens is required when thinking is enabled.', 'thinking.budget_tokens');
      // Not checked against max_tokens: with interleaved thinking (a beta header) the budget may exceed it.
      request.thinkingBudget = budget;
    } else if (thinking.type !== 'disabled') {
      requireString(thinking.type, 'thinking.type');
      extra.thinking = thinking;
    }
  }
  if (input.output_config !== undefined && input.output_config !== null) {
    const { format, ...otherConfig } = requireRecord(input.output_config, 'output_config');
    const responseFormat = decodeOutputFormat(format);
    if (responseFormat !== undefined) request.responseFormat = responseFormat;
    if (Object.keys(otherConfig).length > 0) extra.output_config = otherConfig;
  }
  for (const [key, value] of Object.entries(input)) if (!MODELED_FIELDS.has(key)) extra[key] = value;
  if (Object.keys(extra).length > 0) {
    request.extra = extra;
    request.extraDialect = ANTHROPIC_DIALECT;
  }
  return request;
}

function decodeOutputFormat(value: unknown): ResponseFormat | undefined {
  if (value === undefined || value === null) return undefined;
  const format = requireRecord(value, 'output_config.format');
  if (format.type !== 'json_schema') throw invalidRequest("output_config.format.type must be 'json_schema'.", 'output_config.format.type');
  return { type: 'json_schema', name: 'output', schema: requireRecord(format.schema, 'output_config.format.schema') };
}
