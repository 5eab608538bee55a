import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import type { HttpExchange, HttpRoute } from '../http/http-route.js';
import { sendError, sendJson } from '../http/respond.js';
import type { GatewayRequests } from '../pipeline/capabilities.js';
import type { RequestContext } from '../pipeline/context.js';
import type { OperationEndpoint } from '../pipeline/endpoint.js';
import { GatewayError } from '../spec/index.js';
import { TOOL_CALL_OPERATION } from './mcp-endpoint.js';
import { toolResultText } from './tool-call.js';
import type { ToolCaller } from './tool-source.js';

/** An OpenAI tool call, as a chat completion's `tool_calls[]` holds it. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown> | undefined;
}

/** The answer: a `tool` message to append to the conversation. */
export interface ToolMessage {
  role: 'tool';
  tool_call_id: string;
  content: string;
}

function invalid(message: string, param: string): GatewayError {
  return new GatewayError('invalid_request', message, { param });
}

/** Reads `{ id, type: 'function', function: { name, arguments } }`; `arguments` is a JSON string (or an object). */
export function decodeToolCall(body: unknown): ToolCall {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('The body must be an OpenAI tool call: {"id", "type": "function", "function": {"name", "arguments"}}.', '');
  const call = body as Record<string, unknown>;
  if (typeof call.id !== 'string' || call.id.length === 0 || call.id.length > 256) throw invalid('`id` must be a non-empty string (the tool call id).', 'id');
  if (call.type !== undefined && call.type !== 'function') throw invalid('`type` must be "function".', 'type');
  const fn = call.function;
  if (fn === null || typeof fn !== 'object' || Array.isArray(fn)) throw invalid('`function` must be an object with `name` and `arguments`.', 'function');
  const { name, arguments: raw } = fn as Record<string, unknown>;
  if (typeof name !== 'string' || name.length === 0 || name.length > 512) throw invalid('`function.name` must be the tool name, `<server>__<tool>`.', 'function.name');
  let args: unknown = raw;
  if (typeof raw === 'string') {
    if (raw.trim() === '') args = undefined;
    else {
      try {
        args = JSON.parse(raw);
      } catch {
        throw invalid('`function.arguments` is not valid JSON.', 'function.arguments');
      }
    }
  }
  if (args !== undefined && args !== null && (typeof args !== 'object' || Array.isArray(args))) throw invalid('`function.arguments` must be a JSON object.', 'function.arguments');
  return { id: call.id, name, arguments: (args ?? undefined) as Record<string, unknown> | undefined };
}

/** `POST /v1/mcp/tool/execute`: runs one OpenAI tool call with the caller's virtual key and permissions. */
export function toolExecuteRoute(requests: () => GatewayRequests, callTool: ToolCaller): HttpRoute {
  const endpoint: OperationEndpoint<ToolCall, ToolMessage> = {
    surface: 'openai',
    operation: TOOL_CALL_OPERATION,
    readsBody: true,
    decode: decodeToolCall,
    model: () => undefined,
    async answer(context: RequestContext, call: ToolCall) {
      context.requestedModel = call.name;
      const result = await callTool(context, call.name, call.arguments);
      return { role: 'tool', tool_call_id: call.id, content: context.outputText ?? toolResultText(result) };
    },
    send(exchange: HttpExchange, context: RequestContext, response: ToolMessage) {
      sendJson(exchange.response, 200, response, context.responseHeaders);
    },
    sendError(exchange: HttpExchange, context: RequestContext, error: GatewayError) {
      sendError(exchange.response, error, encodeOpenAIError, context.responseHeaders);
    },
  };
  let handler: ReturnType<GatewayRequests['operationHandler']> | undefined;
  return {
    method: 'POST',
    path: '/v1/mcp/tool/execute',
    renderError: encodeOpenAIError,
    ownsHeaders: true,
    handler: (exchange) => (handler ??= requests().operationHandler(endpoint))(exchange),
  };
}
