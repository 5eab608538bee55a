import type { ChatRequest, ResponseFormat, ToolChoice } from '../../spec/index.js';
import { OPENAI_CHAT_DIALECT } from './decode-request.js';
import { encodeMessages } from './encode-messages.js';

/**
 * A spec chat request → the OpenAI wire body for `upstreamModel`. The output-token cap is sent as
 * `max_completion_tokens` (OpenAI's current name; o-series models reject `max_tokens`); adapters
 * of providers that only know `max_tokens` rename it.
 */
export function encodeChatRequest(request: ChatRequest, upstreamModel: string): Record<string, unknown> {
  // Unmodeled fields go first so a modeled field can never be overridden by them.
  const body: Record<string, unknown> = request.extraDialect === OPENAI_CHAT_DIALECT && request.extra !== undefined ? { ...request.extra } : {};
  body.model = upstreamModel;
  body.messages = encodeMessages(request.messages);
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description === undefined ? {} : { description: tool.description }),
        parameters: tool.parameters,
        ...(tool.strict === undefined ? {} : { strict: tool.strict }),
      },
    }));
    // OpenAI answers 400 to either of these without `tools`.
    if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
    if (request.toolChoice !== undefined) body.tool_choice = encodeToolChoice(request.toolChoice);
  }
  if (request.responseFormat !== undefined) body.response_format = encodeResponseFormat(request.responseFormat);
  setIfDefined(body, 'max_completion_tokens', request.maxOutputTokens);
  setIfDefined(body, 'temperature', request.temperature);
  setIfDefined(body, 'top_p', request.topP);
  if (request.stop !== undefined && request.stop.length > 0) body.stop = request.stop;
  setIfDefined(body, 'seed', request.seed);
  setIfDefined(body, 'n', request.n);
  setIfDefined(body, 'presence_penalty', request.presencePenalty);
  setIfDefined(body, 'frequency_penalty', request.frequencyPenalty);
  setIfDefined(body, 'user', request.user);
  setIfDefined(body, 'reasoning_effort', request.reasoningEffort);
  if (request.stream) {
    body.stream = true;
    // The gateway needs usage for cost accounting whether or not the caller asked for it.
    body.stream_options = { include_usage: true };
  }
  return body;
}

function setIfDefined(body: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) body[key] = value;
}

function encodeToolChoice(choice: ToolChoice): unknown {
  return choice.type === 'tool' ? { type: 'function', function: { name: choice.name } } : choice.type;
}

function encodeResponseFormat(format: ResponseFormat): Record<string, unknown> {
  if (format.type !== 'json_schema') return { type: format.type };
  return {
    type: 'json_schema',
    json_schema: {
      name: format.name,
      schema: format.schema,
      ...(format.strict === undefined ? {} : { strict: format.strict }),
      ...(format.description === undefined ? {} : { description: format.description }),
    },
  };
}
