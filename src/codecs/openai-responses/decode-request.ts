import type { ChatRequest, ConversationState, GatewayOptions, ResponseFormat } from '../../spec/index.js';
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
} from '../openai-chat/read-fields.js';
import { decodeInput, stateless } from './decode-input.js';
import { decodeResponsesToolChoice, decodeResponsesTools } from './decode-tools.js';
import { OPENAI_RESPONSES_DIALECT } from './wire.js';

/**
 * Top-level fields the codec reads. `store`, `previous_response_id` and `background` become the
 * request's conversation state (kept by the stored-responses feature); `include` and
 * `stream_options` are accepted and ignored: there is no encrypted reasoning or obfuscation to
 * include. Anything else travels in `extra`.
 */
const MODELED_FIELDS = new Set([
  'model', 'input', 'instructions', 'stream', 'stream_options', 'tools', 'tool_choice', 'parallel_tool_calls',
  'max_output_tokens', 'temperature', 'top_p', 'text', 'reasoning', 'user', 'metadata', 'store', 'include',
  'previous_response_id', 'conversation', 'background', 'prompt', 'fallbacks',
]);

/** An OpenAI `/v1/responses` body → a spec chat request. Throws `invalid_request` / `unsupported_parameter` naming the field. */
export function decodeResponsesRequest(body: unknown): ChatRequest {
  const wire = requireObject(body, 'body');
  refuseStatefulFields(wire);
  const model = wire.model;
  if (model === undefined || model === null) throw invalid('model', '`model` is required.');
  if (requireString(model, 'model').length === 0) throw invalid('model', '`model` is empty.');

  const instructions = optionalString(wire.instructions, 'instructions');
  const request: ChatRequest = { model: model as string, messages: decodeInput(wire.input, instructions), stream: optionalBoolean(wire.stream, 'stream') ?? false };
  request.conversation = decodeConversation(wire, instructions);
  const tools = decodeResponsesTools(wire.tools);
  if (tools !== undefined) request.tools = tools;
  assign(request, 'toolChoice', decodeResponsesToolChoice(wire.tool_choice));
  assign(request, 'parallelToolCalls', optionalBoolean(wire.parallel_tool_calls, 'parallel_tool_calls'));
  assign(request, 'maxOutputTokens', optionalInteger(wire.max_output_tokens, 'max_output_tokens', 1));
  assign(request, 'temperature', optionalNumber(wire.temperature, 'temperature', { min: 0, max: 2 }));
  assign(request, 'topP', optionalNumber(wire.top_p, 'top_p', { min: 0, max: 1 }));
  assign(request, 'user', optionalString(wire.user, 'user'));
  assign(request, 'responseFormat', decodeTextFormat(wire.text));
  if (wire.reasoning !== undefined && wire.reasoning !== null) {
    assign(request, 'reasoningEffort', optionalString(requireObject(wire.reasoning, 'reasoning').effort, 'reasoning.effort'));
  }

  const gateway = decodeGatewayOptions(wire);
  if (gateway !== undefined) request.gateway = gateway;
  const extra = extraFields(wire);
  if (extra !== undefined) {
    request.extra = extra;
    request.extraDialect = OPENAI_RESPONSES_DIALECT;
  }
  return request;
}

/** Fields that only make sense against state the gateway does not keep (conversations, prompt templates). */
function refuseStatefulFields(wire: JsonObject): void {
  if (wire.conversation !== undefined && wire.conversation !== null) throw stateless('conversation', 'it continues a conversation object');
  if (wire.prompt !== undefined && wire.prompt !== null) throw stateless('prompt', 'it refers to a prompt template stored at OpenAI');
}

/** Request fields a stored response object shows back. */
const ECHOED_FIELDS = ['instructions', 'max_output_tokens', 'metadata', 'parallel_tool_calls', 'reasoning', 'temperature', 'text', 'tool_choice', 'tools', 'top_p', 'user'];

/** `store`, `previous_response_id`, `background` and this turn's items, for the stored-responses feature. */
function decodeConversation(wire: JsonObject, instructions: string | undefined): ConversationState {
  const store = optionalBoolean(wire.store, 'store');
  const previous = optionalString(wire.previous_response_id, 'previous_response_id');
  if (previous !== undefined && previous.length === 0) throw invalid('previous_response_id', '`previous_response_id` is empty.');
  const background = optionalBoolean(wire.background, 'background');
  const echo: Record<string, unknown> = {};
  for (const field of ECHOED_FIELDS) if (wire[field] !== undefined && wire[field] !== null) echo[field] = wire[field];
  return {
    dialect: OPENAI_RESPONSES_DIALECT,
    input: wire.input,
    echo,
    ...(store === undefined ? {} : { store }),
    ...(previous === undefined ? {} : { previousResponseId: previous }),
    ...(background === undefined ? {} : { background }),
    ...(instructions === undefined ? {} : { instructions }),
  };
}

function assign<K extends keyof ChatRequest>(request: ChatRequest, key: K, value: ChatRequest[K] | undefined): void {
  if (value !== undefined) request[key] = value;
}

/** `text.format` → response format. In this API the JSON schema fields sit directly on `format`. */
function decodeTextFormat(value: unknown): ResponseFormat | undefined {
  if (value === undefined || value === null) return undefined;
  const text = requireObject(value, 'text');
  if (text.format === undefined || text.format === null) return undefined;
  const format = requireObject(text.format, 'text.format');
  switch (format.type) {
    case 'text':
    case 'json_object':
      return { type: format.type };
    case 'json_schema': {
      const strict = optionalBoolean(format.strict, 'text.format.strict');
      const description = optionalString(format.description, 'text.format.description');
      return {
        type: 'json_schema',
        name: requireString(format.name, 'text.format.name'),
        schema: requireObject(format.schema, 'text.format.schema'),
        ...(strict === undefined ? {} : { strict }),
        ...(description === undefined ? {} : { description }),
      };
    }
    default:
      throw invalid('text.format.type', '`text.format.type` must be text, json_object or json_schema.');
  }
}

/** `metadata` (string values, as OpenAI requires) is kept for the request log; `fallbacks` is the gateway's own. */
function decodeGatewayOptions(wire: JsonObject): GatewayOptions | undefined {
  const options: GatewayOptions = {};
  if (wire.fallbacks !== undefined && wire.fallbacks !== null) {
    options.fallbacks = requireArray(wire.fallbacks, 'fallbacks').map((item, index) => requireString(item, `fallbacks[${index}]`));
  }
  if (wire.metadata !== undefined && wire.metadata !== null) {
    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(requireObject(wire.metadata, 'metadata'))) metadata[key] = requireString(value, `metadata.${key}`);
    options.metadata = metadata;
  }
  return Object.keys(options).length === 0 ? undefined : options;
}

function extraFields(wire: JsonObject): Record<string, unknown> | undefined {
  let extra: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(wire)) {
    if (MODELED_FIELDS.has(key) || value === undefined) continue;
    (extra ??= {})[key] = value;
  }
  return extra;
}
