import type { ChatRequest, ContentPart, Message, Tool, ToolCall } from '../spec/index.js';
import { jsonString, write } from './canonical-json.js';
import { answerExtra, answerOptions } from './answer-fields.js';
import type { KeyScope } from './request-key.js';

/**
 * The canonical JSON of `chatKeyObject(scope, request)`, written straight from the request: the
 * same text (so the same key, across versions and restarts) without building the object and
 * sorting its keys on every request. The fixed objects' members are written here in the order
 * canonical JSON sorts them (UTF-16 code units: `toolChoice` before `tools`); free-form values
 * (schemas, tool choice, response format, unmodelled fields, provider options, non-text parts) go
 * through canonical JSON. A test holds the two equal on randomised requests.
 */
export function chatKeyText(scope: KeyScope, request: ChatRequest): string {
  let body = member('', 'extra', write(answerExtra(request.extra)));
  body = member(body, 'frequencyPenalty', write(request.frequencyPenalty));
  body = member(body, 'maxOutputTokens', write(request.maxOutputTokens));
  let messages = '';
  for (const message of request.messages) messages += (messages === '' ? '' : ',') + messageText(message);
  body = member(body, 'messages', `[${messages}]`);
  body = member(body, 'n', request.n === 1 ? undefined : write(request.n));
  body = member(body, 'ns', jsonString(scope.namespace));
  body = member(body, 'op', '"chat"');
  body = member(body, 'parallelToolCalls', write(request.parallelToolCalls));
  body = member(body, 'presencePenalty', write(request.presencePenalty));
  body = member(body, 'reasoningEffort', write(request.reasoningEffort));
  body = member(body, 'responseFormat', write(request.responseFormat));
  body = member(body, 'route', jsonString(scope.route));
  body = member(body, 'seed', write(request.seed));
  body = member(body, 'stop', write(request.stop));
  body = member(body, 'temperature', write(request.temperature));
  body = member(body, 'thinkingBudget', write(request.thinkingBudget));
  body = member(body, 'toolChoice', write(request.toolChoice));
  body = member(body, 'tools', request.tools === undefined ? undefined : list(request.tools, toolText));
  body = member(body, 'topK', write(request.topK));
  body = member(body, 'topP', write(request.topP));
  body = member(body, 'user', write(request.user));
  body = member(body, 'v', '1');
  return `{${body}}`;
}

/** `body` with `"name":value` after it; names here are plain identifiers (no escaping). */
function member(body: string, name: string, value: string | undefined): string {
  if (value === undefined) return body;
  return `${body === '' ? '' : `${body},`}"${name}":${value}`;
}

function list<T>(items: readonly T[], text: (item: T) => string): string {
  let out = '';
  for (const item of items) out += (out === '' ? '' : ',') + text(item);
  return `[${out}]`;
}

function messageText(message: Message): string {
  let body = member('', 'content', contentText(message.content));
  if (message.role === 'tool') body = member(body, 'isError', message.isError === true ? 'true' : undefined);
  if (message.role !== 'system') body = member(body, 'name', write(message.name));
  body = member(body, 'options', write(answerOptions(message.providerOptions)));
  body = member(body, 'role', jsonString(message.role));
  if (message.role === 'assistant' && message.toolCalls !== undefined && message.toolCalls.length > 0) body = member(body, 'toolCalls', list(message.toolCalls, toolCallText));
  if (message.role === 'tool') body = member(body, 'toolCallId', write(message.toolCallId));
  return `{${body}}`;
}

/** Adjacent plain text parts as one text, as canonicalContent does. */
function contentText(content: readonly ContentPart[]): string {
  let out = '';
  let text: string | undefined;
  for (const part of content) {
    const options = answerOptions(part.providerOptions);
    if (part.type === 'text' && options === undefined) {
      text = (text ?? '') + part.text;
      continue;
    }
    if (text !== undefined) out += (out === '' ? '' : ',') + textPart(text);
    text = undefined;
    const { providerOptions: _options, ...rest } = part;
    out += (out === '' ? '' : ',') + write({ ...rest, options });
  }
  if (text !== undefined) out += (out === '' ? '' : ',') + textPart(text);
  return `[${out}]`;
}

function textPart(text: string): string {
  return `{"text":${jsonString(text)},"type":"text"}`;
}

function toolCallText(call: ToolCall): string {
  let argumentsText: string;
  try {
    argumentsText = `{"json":${write(JSON.parse(call.arguments)) ?? 'null'}}`;
  } catch {
    argumentsText = `{"text":${jsonString(call.arguments)}}`;
  }
  let body = member('', 'arguments', argumentsText);
  body = member(body, 'id', write(call.id));
  body = member(body, 'name', write(call.name));
  body = member(body, 'options', write(answerOptions(call.providerOptions)));
  return `{${body}}`;
}

function toolText(tool: Tool): string {
  let body = member('', 'description', write(tool.description));
  body = member(body, 'name', write(tool.name));
  body = member(body, 'options', write(answerOptions(tool.providerOptions)));
  body = member(body, 'parameters', write(tool.parameters));
  body = member(body, 'strict', write(tool.strict));
  return `{${body}}`;
}
