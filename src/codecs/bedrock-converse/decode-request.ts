import { GatewayError, type ChatRequest, type ContentPart, type Message, type Tool, type ToolChoice } from '../../spec/index.js';
import { bedrockCachePointOptions } from './cache-point.js';
import { decodeBlocks } from './decode-content.js';
import { BEDROCK_CONVERSE_DIALECT, isRecord } from './wire-types.js';

function invalid(message: string, param: string | undefined): GatewayError {
  return new GatewayError('invalid_request', message, param === undefined ? {} : { param });
}

function record(value: unknown, param: string): Record<string, unknown> {
  if (!isRecord(value)) throw invalid(`${param} must be an object.`, param);
  return value;
}

function array(value: unknown, param: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(`${param} must be an array.`, param);
  return value;
}

function optionalNumber(value: unknown, param: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`${param} must be a number.`, param);
  return value;
}

/** Fields read into the spec; everything else of the body travels in `extra` for a Converse upstream. */
const MODELED_FIELDS = new Set(['modelId', 'messages', 'system', 'inferenceConfig', 'toolConfig']);
const MODELED_INFERENCE = new Set(['maxTokens', 'temperature', 'topP', 'stopSequences']);

function decodeSystem(value: unknown): Message[] {
  if (value === undefined || value === null) return [];
  const content: ContentPart[] = [];
  array(value, 'system').forEach((item, index) => {
    const block = record(item, `system[${index}]`);
    if (typeof block.text === 'string') content.push({ type: 'text', text: block.text });
    else if (isRecord(block.cachePoint)) {
      const previous = content[content.length - 1];
      if (previous !== undefined) previous.providerOptions = bedrockCachePointOptions(block.cachePoint);
    }
  });
  return content.length === 0 ? [] : [{ role: 'system', content }];
}

function decodeTools(toolConfig: Record<string, unknown>): { tools: Tool[]; toolChoice?: ToolChoice } {
  const tools: Tool[] = [];
  array(toolConfig.tools, 'toolConfig.tools').forEach((item, index) => {
    const param = `toolConfig.tools[${index}]`;
    const wire = record(item, param);
    if (isRecord(wire.cachePoint)) {
      const previous = tools[tools.length - 1];
      if (previous !== undefined) previous.providerOptions = bedrockCachePointOptions(wire.cachePoint);
      return;
    }
    const spec = record(wire.toolSpec, `${param}.toolSpec`);
    if (typeof spec.name !== 'string' || spec.name === '') throw invalid(`${param}.toolSpec.name must be a non-empty string.`, `${param}.toolSpec.name`);
    const schema = record(record(spec.inputSchema, `${param}.toolSpec.inputSchema`).json, `${param}.toolSpec.inputSchema.json`);
    tools.push({ name: spec.name, parameters: schema, ...(typeof spec.description === 'string' ? { description: spec.description } : {}) });
  });
  const choice = toolConfig.toolChoice;
  if (choice === undefined || choice === null) return { tools };
  const wire = record(choice, 'toolConfig.toolChoice');
  if (isRecord(wire.auto)) return { tools, toolChoice: { type: 'auto' } };
  if (isRecord(wire.any)) return { tools, toolChoice: { type: 'required' } };
  if (isRecord(wire.tool) && typeof wire.tool.name === 'string') return { tools, toolChoice: { type: 'tool', name: wire.tool.name } };
  throw invalid('toolConfig.toolChoice must be {auto: {}}, {any: {}} or {tool: {name}}.', 'toolConfig.toolChoice');
}

/**
 * Converse body → spec request, for callers that speak Converse. The model and whether to stream
 * are not in a Converse body (they are in the URL: `/model/{modelId}/converse[-stream]`), so the
 * request comes back with `model: ''` (or a non-standard `modelId` field when present) and
 * `stream: false` for the caller's route to set. Unmodelled fields (`additionalModelRequestFields`,
 * `guardrailConfig`, `requestMetadata`, …) ride in `extra` for a Converse upstream.
 */
export function decodeRequest(input: unknown): ChatRequest {
  if (!isRecord(input)) throw invalid('The request body must be a JSON object.', undefined);
  const wireMessages = array(input.messages, 'messages');
  const messages: Message[] = decodeSystem(input.system);
  wireMessages.forEach((item, index) => {
    const param = `messages[${index}]`;
    const wire = record(item, param);
    const decoded = decodeBlocks(array(wire.content, `${param}.content`));
    if (wire.role === 'user') {
      for (const result of decoded.toolResults) messages.push({ role: 'tool', toolCallId: result.toolUseId, content: result.content, ...(result.isError ? { isError: true } : {}) });
      if (decoded.content.length > 0) messages.push({ role: 'user', content: decoded.content });
    } else if (wire.role === 'assistant') {
      messages.push({ role: 'assistant', content: decoded.content, ...(decoded.toolCalls.length > 0 ? { toolCalls: decoded.toolCalls } : {}) });
    } else {
      throw invalid(`${param}.role must be 'user' or 'assistant'.`, `${param}.role`);
    }
  });

  const request: ChatRequest = { model: typeof input.modelId === 'string' ? input.modelId : '', messages, stream: false };
  const extra: Record<string, unknown> = {};
  if (input.inferenceConfig !== undefined && input.inferenceConfig !== null) {
    const inference = record(input.inferenceConfig, 'inferenceConfig');
    const maxTokens = optionalNumber(inference.maxTokens, 'inferenceConfig.maxTokens');
    if (maxTokens !== undefined) request.maxOutputTokens = maxTokens;
    const temperature = optionalNumber(inference.temperature, 'inferenceConfig.temperature');
    if (temperature !== undefined) request.temperature = temperature;
    const topP = optionalNumber(inference.topP, 'inferenceConfig.topP');
    if (topP !== undefined) request.topP = topP;
    if (inference.stopSequences !== undefined && inference.stopSequences !== null) {
      request.stop = array(inference.stopSequences, 'inferenceConfig.stopSequences').map((item, index) => {
        if (typeof item !== 'string') throw invalid('stop sequences must be strings.', `inferenceConfig.stopSequences[${index}]`);
        return item;
      });
    }
    const others = Object.fromEntries(Object.entries(inference).filter(([key]) => !MODELED_INFERENCE.has(key)));
    if (Object.keys(others).length > 0) extra.inferenceConfig = others;
  }
  if (input.toolConfig !== undefined && input.toolConfig !== null) {
    const { tools, toolChoice } = decodeTools(record(input.toolConfig, 'toolConfig'));
    if (tools.length > 0) request.tools = tools;
    if (toolChoice !== undefined) request.toolChoice = toolChoice;
  }
  for (const [key, value] of Object.entries(input)) if (!MODELED_FIELDS.has(key)) extra[key] = value;
  if (Object.keys(extra).length > 0) {
    request.extra = extra;
    request.extraDialect = BEDROCK_CONVERSE_DIALECT;
  }
  return request;
}
