import { GatewayError, type ChatRequest, type ContentPart, type Message, type ResponseFormat } from '../../spec/index.js';
import { OPENAI_RESPONSES_DIALECT } from './wire.js';

type Item = Record<string, unknown>;

/**
 * A spec request → a `/v1/responses` body for `upstreamModel`, for providers that speak this API
 * upstream. The gateway keeps no state, so every request carries the whole conversation and asks
 * for `store: false`. Reasoning from earlier turns is not sent back: OpenAI only accepts its own
 * reasoning items by their original ids, which the spec does not keep.
 */
export function encodeResponsesRequest(request: ChatRequest, upstreamModel: string): Record<string, unknown> {
  if (request.n !== undefined && request.n > 1) throw new GatewayError('unsupported_parameter', 'The Responses API returns one output per request; n must be 1.', { param: 'n' });
  if (request.stop !== undefined && request.stop.length > 0) throw new GatewayError('unsupported_parameter', 'The Responses API has no stop sequences.', { param: 'stop' });
  // Same-dialect fields the spec does not model come first, so modelled fields win.
  const body: Record<string, unknown> = request.extraDialect === OPENAI_RESPONSES_DIALECT && request.extra !== undefined ? { ...request.extra } : {};
  body.model = upstreamModel;
  body.input = request.messages.flatMap(encodeMessage);
  body.store = false;
  if (request.stream) body.stream = true;
  if (request.tools !== undefined && request.tools.length > 0) {
    // An omitted `strict` means true on this API, so spec tools without it are sent as non-strict.
    body.tools = request.tools.map((tool) => ({ type: 'function', name: tool.name, description: tool.description ?? null, parameters: tool.parameters, strict: tool.strict ?? false }));
  }
  if (request.toolChoice !== undefined) body.tool_choice = request.toolChoice.type === 'tool' ? { type: 'function', name: request.toolChoice.name } : request.toolChoice.type;
  setIfDefined(body, 'parallel_tool_calls', request.parallelToolCalls);
  setIfDefined(body, 'max_output_tokens', request.maxOutputTokens);
  setIfDefined(body, 'temperature', request.temperature);
  setIfDefined(body, 'top_p', request.topP);
  setIfDefined(body, 'user', request.user);
  if (request.responseFormat !== undefined) body.text = { format: encodeFormat(request.responseFormat) };
  if (request.reasoningEffort !== undefined) body.reasoning = { effort: request.reasoningEffort };
  if (request.gateway?.metadata !== undefined) body.metadata = request.gateway.metadata;
  return body;
}

function encodeMessage(message: Message): Item[] {
  switch (message.role) {
    case 'system':
    case 'user':
      return [{ type: 'message', role: message.role, content: message.content.flatMap(encodeInputPart) }];
    case 'assistant': {
      const items: Item[] = [];
      let text = '';
      for (const part of message.content) if (part.type === 'text') text += part.text;
      if (text.length > 0) items.push({ type: 'message', role: 'assistant', content: text });
      for (const call of message.toolCalls ?? []) items.push({ type: 'function_call', call_id: call.id, name: call.name, arguments: call.arguments });
      return items;
    }
    case 'tool': {
      const onlyText = message.content.every((part) => part.type === 'text');
      const output = onlyText ? message.content.map((part) => (part.type === 'text' ? part.text : '')).join('') : message.content.flatMap(encodeInputPart);
      return [{ type: 'function_call_output', call_id: message.toolCallId, output }];
    }
  }
}

function encodeInputPart(part: ContentPart): Item[] {
  switch (part.type) {
    case 'text':
      return [{ type: 'input_text', text: part.text }];
    case 'image':
      return [{ type: 'input_image', image_url: part.url ?? `data:${part.mediaType ?? 'image/png'};base64,${part.data ?? ''}`, detail: part.detail ?? 'auto' }];
    case 'file': {
      if (part.text !== undefined) return [{ type: 'input_text', text: part.text }];
      const named = part.filename === undefined ? {} : { filename: part.filename };
      if (part.data !== undefined) return [{ type: 'input_file', file_data: `data:${part.mediaType};base64,${part.data}`, ...named }];
      if (part.url !== undefined) return [{ type: 'input_file', file_url: part.url, ...named }];
      return [];
    }
    default:
      return [];
  }
}

function encodeFormat(format: ResponseFormat): Record<string, unknown> {
  if (format.type !== 'json_schema') return { type: format.type };
  return {
    type: 'json_schema',
    name: format.name,
    schema: format.schema,
    ...(format.strict === undefined ? {} : { strict: format.strict }),
    ...(format.description === undefined ? {} : { description: format.description }),
  };
}

function setIfDefined(body: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) body[key] = value;
}
