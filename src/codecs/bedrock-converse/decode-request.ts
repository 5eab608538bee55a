import { GatewayError, type ChatRequest, type ContentPart, type Message, type Tool, type ToolCall, type ToolChoice } from '../../spec/index.js';
import { decodeDocument, decodeImage } from './media.js';
import { BEDROCK_CONVERSE_DIALECT, isRecord } from './wire-types.js';

/**
 * A Converse request body from a caller (an AWS SDK pointed at the gateway's Bedrock surface) →
 * spec request. The model comes from the URL (`/model/{modelId}/converse`), the stream flag from
 * the operation. Reference: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 *
 * - `system` text blocks → a system message; `cachePoint` blocks → `providerOptions.bedrock.cachePoint`
 *   on what they follow (as the upstream codec writes them back).
 * - `toolResult` blocks of a user turn → tool messages, in order; `toolUse` blocks → tool calls.
 * - `inferenceConfig` → max tokens, temperature, top-p, stop sequences; `additionalModelRequestFields.top_k`
 *   and `.thinking.budget_tokens` → top-k and thinking budget.
 * - Fields the spec does not model (`guardrailConfig`, `performanceConfig`, `requestMetadata`, …) are
 *   kept in `extra`, named in the dropped-fields warning when the upstream is not Bedrock.
 */

const MODELED_FIELDS = new Set(['modelId', 'messages', 'system', 'inferenceConfig', 'toolConfig', 'additionalModelRequestFields']);

function invalid(message: string, param: string): GatewayError {
  return new GatewayError('invalid_request', message, { param });
}

function record(value: unknown, param: string): Record<string, unknown> {
  if (!isRecord(value)) throw invalid(`${param} must be an object.`, param);
  return value;
}

function array(value: unknown, param: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(`${param} must be an array.`, param);
  return value;
}

function string(value: unknown, param: string): string {
  if (typeof value !== 'string') throw invalid(`${param} must be a string.`, param);
  return value;
}

function optionalNumber(value: unknown, param: string, minimum: number, integer = false): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < minimum || (integer && !Number.isInteger(value))) {
    throw invalid(`${param} must be ${integer ? 'an integer' : 'a number'} of at least ${minimum}.`, param);
  }
  return value;
}

/** Marks the part (or message) a `cachePoint` block follows. */
function attachCachePoint(target: { providerOptions?: Record<string, Record<string, unknown>> } | undefined, cachePoint: Record<string, unknown>): void {
  if (target === undefined) return;
  target.providerOptions = { ...target.providerOptions, bedrock: { ...target.providerOptions?.bedrock, cachePoint } };
}

function decodeMedia(block: Record<string, unknown>, param: string): ContentPart | undefined {
  if (isRecord(block.image)) {
    const image = decodeImage(block.image);
    if (image === undefined) throw invalid(`${param}.image.source must hold bytes or an s3Location.`, `${param}.image.source`);
    return image;
  }
  if (isRecord(block.document)) {
    const document = decodeDocument(block.document);
    if (document === undefined) throw invalid(`${param}.document.source must hold bytes, text or an s3Location.`, `${param}.document.source`);
    return document;
  }
  return undefined;
}

/** A `toolResult.content` item: text, json (sent as its JSON text), image or document. */
function decodeToolResultContent(value: unknown, param: string): ContentPart[] {
  return array(value ?? [], param).map((item, index) => {
    const block = record(item, `${param}[${index}]`);
    if (typeof block.text === 'string') return { type: 'text', text: block.text };
    if (block.json !== undefined) return { type: 'text', text: JSON.stringify(block.json) };
    const media = decodeMedia(block, `${param}[${index}]`);
    if (media !== undefined) return media;
    throw invalid(`${param}[${index}] must hold text, json, image or document.`, `${param}[${index}]`);
  });
}

function decodeUserTurn(blocks: unknown[], param: string): Message[] {
  const messages: Message[] = [];
  let user: Extract<Message, { role: 'user' }> | undefined;
  let last: { providerOptions?: Record<string, Record<string, unknown>> } | undefined;
  blocks.forEach((item, index) => {
    const blockParam = `${param}[${index}]`;
    const block = record(item, blockParam);
    if (isRecord(block.cachePoint)) return attachCachePoint(last, block.cachePoint);
    if (isRecord(block.toolResult)) {
      const result = block.toolResult;
      const tool: Extract<Message, { role: 'tool' }> = {
        role: 'tool',
        toolCallId: string(result.toolUseId, `${blockParam}.toolResult.toolUseId`),
        content: decodeToolResultContent(result.content, `${blockParam}.toolResult.content`),
      };
      if (result.status === 'error') tool.isError = true;
      messages.push(tool);
      user = undefined;
      last = tool;
      return;
    }
    let part: ContentPart | undefined;
    if (typeof block.text === 'string') part = { type: 'text', text: block.text };
    else part = decodeMedia(block, blockParam);
    // Guard content, videos and citations have no place in the spec.
    if (part === undefined) throw invalid(`${blockParam} holds a content block Tollgate does not support; use text, image, document, toolResult or cachePoint.`, blockParam);
    if (user === undefined) messages.push((user = { role: 'user', content: [] }));
    user.content.push(part);
    last = part;
  });
  return messages;
}

function decodeAssistantTurn(blocks: unknown[], param: string): Message {
  const content: ContentPart[] = [];
  const toolCalls: ToolCall[] = [];
  let last: { providerOptions?: Record<string, Record<string, unknown>> } | undefined;
  blocks.forEach((item, index) => {
    const blockParam = `${param}[${index}]`;
    const block = record(item, blockParam);
    if (isRecord(block.cachePoint)) return attachCachePoint(last, block.cachePoint);
    if (typeof block.text === 'string') {
      const part: ContentPart = { type: 'text', text: block.text };
      content.push((last = part));
    } else if (isRecord(block.toolUse)) {
      const toolUse = block.toolUse;
      const call: ToolCall = {
        id: string(toolUse.toolUseId, `${blockParam}.toolUse.toolUseId`),
        name: string(toolUse.name, `${blockParam}.toolUse.name`),
        arguments: JSON.stringify(toolUse.input ?? {}),
      };
      toolCalls.push((last = call));
    } else if (isRecord(block.reasoningContent)) {
      const reasoning = block.reasoningContent;
      if (isRecord(reasoning.reasoningText)) {
        const text = string(reasoning.reasoningText.text, `${blockParam}.reasoningContent.reasoningText.text`);
        const signature = reasoning.reasoningText.signature;
        const part: ContentPart = { type: 'reasoning', text, ...(typeof signature === 'string' && signature !== '' ? { signature } : {}) };
        content.push((last = part));
      } else if (typeof reasoning.redactedContent === 'string') {
        const part: ContentPart = { type: 'redacted-reasoning', data: reasoning.redactedContent };
        content.push((last = part));
      } else throw invalid(`${blockParam}.reasoningContent must hold reasoningText or redactedContent.`, `${blockParam}.reasoningContent`);
    } else {
      const media = decodeMedia(block, blockParam);
      if (media === undefined) throw invalid(`${blockParam} holds a content block Tollgate does not support in an assistant turn.`, blockParam);
      content.push((last = media));
    }
  });
  return toolCalls.length > 0 ? { role: 'assistant', content, toolCalls } : { role: 'assistant', content };
}

function decodeSystem(value: unknown): Message[] {
  if (value === undefined || value === null) return [];
  const system: Extract<Message, { role: 'system' }> = { role: 'system', content: [] };
  let last: { providerOptions?: Record<string, Record<string, unknown>> } | undefined;
  array(value, 'system').forEach((item, index) => {
    const block = record(item, `system[${index}]`);
    if (typeof block.text === 'string') {
      const part: ContentPart = { type: 'text', text: block.text };
      system.content.push((last = part));
    } else if (isRecord(block.cachePoint)) attachCachePoint(last, block.cachePoint);
    else throw invalid(`system[${index}] must be a text or cachePoint block.`, `system[${index}]`);
  });
  return system.content.length > 0 ? [system] : [];
}

function decodeTools(value: unknown): { tools?: Tool[]; toolChoice?: ToolChoice } {
  if (value === undefined || value === null) return {};
  const config = record(value, 'toolConfig');
  const tools: Tool[] = [];
  array(config.tools, 'toolConfig.tools').forEach((item, index) => {
    const param = `toolConfig.tools[${index}]`;
    const entry = record(item, param);
    if (isRecord(entry.cachePoint)) return attachCachePoint(tools[tools.length - 1], entry.cachePoint);
    const spec = record(entry.toolSpec, `${param}.toolSpec`);
    const schema = record(record(spec.inputSchema, `${param}.toolSpec.inputSchema`).json, `${param}.toolSpec.inputSchema.json`);
    const tool: Tool = { name: string(spec.name, `${param}.toolSpec.name`), parameters: schema };
    if (typeof spec.description === 'string') tool.description = spec.description;
    tools.push(tool);
  });
  const result: { tools?: Tool[]; toolChoice?: ToolChoice } = { tools };
  if (config.toolChoice !== undefined && config.toolChoice !== null) {
    const choice = record(config.toolChoice, 'toolConfig.toolChoice');
    if (isRecord(choice.auto)) result.toolChoice = { type: 'auto' };
    else if (isRecord(choice.any)) result.toolChoice = { type: 'required' };
    else if (isRecord(choice.tool)) result.toolChoice = { type: 'tool', name: string(choice.tool.name, 'toolConfig.toolChoice.tool.name') };
    else throw invalid('toolConfig.toolChoice must be one of auto, any or tool.', 'toolConfig.toolChoice');
  }
  return result;
}

/** Converse body → spec request for `model`; `stream` is the operation's (converse-stream or not). */
export function decodeConverseRequest(body: unknown, model: string, stream: boolean): ChatRequest {
  const wire = record(body, 'body');
  const messages: Message[] = decodeSystem(wire.system);
  array(wire.messages, 'messages').forEach((item, index) => {
    const param = `messages[${index}]`;
    const turn = record(item, param);
    const blocks = array(turn.content, `${param}.content`);
    if (turn.role === 'user') messages.push(...decodeUserTurn(blocks, `${param}.content`));
    else if (turn.role === 'assistant') messages.push(decodeAssistantTurn(blocks, `${param}.content`));
    else throw invalid(`${param}.role must be 'user' or 'assistant'.`, `${param}.role`);
  });
  const request: ChatRequest = { model, messages, stream, ...decodeTools(wire.toolConfig) };
  if (stream) request.includeUsage = true;
  if (wire.inferenceConfig !== undefined && wire.inferenceConfig !== null) {
    const inference = record(wire.inferenceConfig, 'inferenceConfig');
    const maxTokens = optionalNumber(inference.maxTokens, 'inferenceConfig.maxTokens', 1, true);
    const temperature = optionalNumber(inference.temperature, 'inferenceConfig.temperature', 0);
    const topP = optionalNumber(inference.topP, 'inferenceConfig.topP', 0);
    if (maxTokens !== undefined) request.maxOutputTokens = maxTokens;
    if (temperature !== undefined) request.temperature = temperature;
    if (topP !== undefined) request.topP = topP;
    if (inference.stopSequences !== undefined && inference.stopSequences !== null) {
      request.stop = array(inference.stopSequences, 'inferenceConfig.stopSequences').map((item, index) => string(item, `inferenceConfig.stopSequences[${index}]`));
    }
  }
  if (wire.additionalModelRequestFields !== undefined && wire.additionalModelRequestFields !== null) {
    const additional = record(wire.additionalModelRequestFields, 'additionalModelRequestFields');
    const topK = optionalNumber(additional.top_k, 'additionalModelRequestFields.top_k', 0, true);
    if (topK !== undefined) request.topK = topK;
    if (isRecord(additional.thinking) && additional.thinking.type === 'enabled') {
      const budget = optionalNumber(additional.thinking.budget_tokens, 'additionalModelRequestFields.thinking.budget_tokens', 1, true);
      if (budget !== undefined) request.thinkingBudget = budget;
    }
  }
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(wire)) if (!MODELED_FIELDS.has(key) && value !== undefined && value !== null) extra[key] = value;
  if (Object.keys(extra).length > 0) {
    request.extra = extra;
    request.extraDialect = BEDROCK_CONVERSE_DIALECT;
  }
  return request;
}
