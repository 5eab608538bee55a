import type { ChatRequest, GatewayOptions, ResponseFormat } from '../../spec/index.js';
import { decodeMessages } from './decode-messages.js';
import { decodeToolChoice, decodeTools } from './decode-tools.js';
import {
  invalid,
  optionalBoolean,
  optionalInteger,
  optionalNumber,
  optionalString,
  requireArray,
  requireObject,
  requireString,
  type JsonObject,
} from './read-fields.js';

export const OPENAI_CHAT_DIALECT = 'openai-chat';

/** Every top-level field the codec models; anything else travels in `extra`. */
const MODELED_FIELDS = new Set([
  'model', 'messages', 'stream', 'stream_options', 'tools', 'functions', 'tool_choice', 'function_call',
  'parallel_tool_calls', 'response_format', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p',
  'stop', 'seed', 'n', 'presence_penalty', 'frequency_penalty', 'user', 'reasoning_effort', 'fallbacks',
]);

/** An OpenAI `/v1/chat/completions` body → a spec chat request. Throws `invalid_request` naming the field. */
export function decodeChatRequest(body: unknown): ChatRequest {
  const wire = requireObject(body, 'body');
  const model = wire.model;
  if (model === undefined || model === null) throw invalid('model', '`model` is required.');
  if (requireString(model, 'model').length === 0) throw invalid('model', '`model` is empty.');
  const request: ChatRequest = { model: model as string, messages: decodeMessages(wire.messages), stream: optionalBoolean(wire.stream, 'stream') ?? false };

  if (wire.stream_options !== undefined && wire.stream_options !== null) {
    const includeUsage = optionalBoolean(requireObject(wire.stream_options, 'stream_options').include_usage, 'stream_options.include_usage');
    if (includeUsage !== undefined) request.includeUsage = includeUsage;
  }
  const tools = decodeTools(wire.tools, wire.functions);
  if (tools !== undefined) request.tools = tools;
  const toolChoice = decodeToolChoice(wire.tool_choice, wire.function_call);
  if (toolChoice !== undefined) request.toolChoice = toolChoice;
  assign(request, 'parallelToolCalls', optionalBoolean(wire.parallel_tool_calls, 'parallel_tool_calls'));
  const responseFormat = decodeResponseFormat(wire.response_format);
  if (responseFormat !== undefined) request.responseFormat = responseFormat;
  // `max_completion_tokens` replaced `max_tokens`; when both are sent the newer one wins.
  assign(request, 'maxOutputTokens', optionalInteger(wire.max_completion_tokens, 'max_completion_tokens', 1) ?? optionalInteger(wire.max_tokens, 'max_tokens', 1));
  assign(request, 'temperature', optionalNumber(wire.temperature, 'temperature', { min: 0, max: 2 }));
  assign(request, 'topP', optionalNumber(wire.top_p, 'top_p', { min: 0, max: 1 }));
  assign(request, 'stop', decodeStop(wire.stop));
  assign(request, 'seed', optionalInteger(wire.seed, 'seed'));
  assign(request, 'n', optionalInteger(wire.n, 'n', 1));
  assign(request, 'presencePenalty', optionalNumber(wire.presence_penalty, 'presence_penalty', { min: -2, max: 2 }));
  assign(request, 'frequencyPenalty', optionalNumber(wire.frequency_penalty, 'frequency_penalty', { min: -2, max: 2 }));
  assign(request, 'user', optionalString(wire.user, 'user'));
  assign(request, 'reasoningEffort', optionalString(wire.reasoning_effort, 'reasoning_effort'));

  const gateway = decodeGatewayOptions(wire);
  if (gateway !== undefined) request.gateway = gateway;
  const extra = extraFields(wire);
  if (extra !== undefined) {
    request.extra = extra;
    request.extraDialect = OPENAI_CHAT_DIALECT;
  }
  return request;
}

function assign<K extends keyof ChatRequest>(request: ChatRequest, key: K, value: ChatRequest[K] | undefined): void {
  if (value !== undefined) request[key] = value;
}

function decodeStop(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return [value];
  return requireArray(value, 'stop').map((item, index) => requireString(item, `stop[${index}]`));
}

function decodeResponseFormat(value: unknown): ResponseFormat | undefined {
  if (value === undefined || value === null) return undefined;
  const format = requireObject(value, 'response_format');
  switch (format.type) {
    case 'text':
    case 'json_object':
      return { type: format.type };
    case 'json_schema': {
      const definition = requireObject(format.json_schema, 'response_format.json_schema');
      const strict = optionalBoolean(definition.strict, 'response_format.json_schema.strict');
      const description = optionalString(definition.description, 'response_format.json_schema.description');
      return {
        type: 'json_schema',
        name: requireString(definition.name, 'response_format.json_schema.name'),
        schema: definition.schema === undefined || definition.schema === null ? {} : requireObject(definition.schema, 'response_format.json_schema.schema'),
        ...(strict === undefined ? {} : { strict }),
        ...(description === undefined ? {} : { description }),
      };
    }
    default:
      throw invalid('response_format.type', '`response_format.type` must be text, json_object or json_schema.');
  }
}

function decodeGatewayOptions(wire: JsonObject): GatewayOptions | undefined {
  if (wire.fallbacks === undefined || wire.fallbacks === null) return undefined;
  const fallbacks = requireArray(wire.fallbacks, 'fallbacks').map((item, index) => requireString(item, `fallbacks[${index}]`));
  return { fallbacks };
}

function extraFields(wire: JsonObject): Record<string, unknown> | undefined {
  let extra: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(wire)) {
    if (MODELED_FIELDS.has(key) || value === undefined) continue;
    (extra ??= {})[key] = value;
  }
  return extra;
}
