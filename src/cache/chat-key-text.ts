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
 *
 * The request, each message and each tool call have a member that is always written (`messages`,
 * `content`, `arguments`): optional members after it are written with the comma before them, those
 * ahead of it with the comma after them, each name with its quotes and colon a constant, so a
 * member costs two string additions and an absent one none (every miss pays for this text).
 */
export function chatKeyText(scope: KeyScope, request: ChatRequest): string {
  let text = '{';
  text = ahead(text, '"extra":', write(answerExtra(request.extra)));
  text = ahead(text, '"frequencyPenalty":', write(request.frequencyPenalty));
  text = ahead(text, '"maxOutputTokens":', write(request.maxOutputTokens));
  let messages = '';
  for (const message of request.messages) messages += (messages === '' ? '' : ',') + messageText(message);
  text += `"messages":[${messages}]`;
  text = after(text, ',"n":', request.n === 1 ? undefined : write(request.n));
  text += ',"ns":' + jsonString(scope.namespace) + ',"op":"chat"';
  text = after(text, ',"parallelToolCalls":', write(request.parallelToolCalls));
  text = after(text, ',"presencePenalty":', write(request.presencePenalty));
  text = after(text, ',"reasoningEffort":', write(request.reasoningEffort));
  text = after(text, ',"responseFormat":', write(request.responseFormat));
  text += ',"route":' + jsonString(scope.route);
  text = after(text, ',"seed":', write(request.seed));
  text = after(text, ',"stop":', write(request.stop));
  text = after(text, ',"temperature":', write(request.temperature));
  text = after(text, ',"thinkingBudget":', write(request.thinkingBudget));
  text = after(text, ',"toolChoice":', write(request.toolChoice));
  text = after(text, ',"tools":', request.tools === undefined ? undefined : list(request.tools, toolText));
  text = after(text, ',"topK":', write(request.topK));
  text = after(text, ',"topP":', write(request.topP));
  text = after(text, ',"user":', write(request.user));
  return `${text},"v":1}`;
}

/** `text` with a member ahead of the one always written: its name (`"name":`), value and the comma after it. */
function ahead(text: string, name: string, value: string | undefined): string {
  return value === undefined ? text : text + name + value + ',';
}

/** `text` with a member after the one always written: its comma and name (`,"name":`), and value. */
function after(text: string, name: string, value: string | undefined): string {
  return value === undefined ? text : text + (name + value);
}

function list<T>(items: readonly T[], text: (item: T) => string): string {
  let out = '';
  for (const item of items) out += (out === '' ? '' : ',') + text(item);
  return `[${out}]`;
}

/** The role member of each role, written once. */
const ROLES = new Map(['system', 'user', 'assistant', 'tool'].map((role) => [role, `,"role":${jsonString(role)}`]));

function messageText(message: Message): string {
  let text = '{"content":' + contentText(message.content);
  if (message.role === 'tool' && message.isError === true) text += ',"isError":true';
  if (message.role !== 'system') text = after(text, ',"name":', write(message.name));
  text = after(text, ',"options":', write(answerOptions(message.providerOptions)));
  text += ROLES.get(message.role) ?? ',"role":' + jsonString(message.role);
  if (message.role === 'assistant' && message.toolCalls !== undefined && message.toolCalls.length > 0) text += ',"toolCalls":' + list(message.toolCalls, toolCallText);
  if (message.role === 'tool') text = after(text, ',"toolCallId":', write(message.toolCallId));
  return `${text}}`;
}

/** Adjacent plain text parts as one text, as canonicalContent does. */
function contentText(content: readonly ContentPart[]): string {
  let out = '';
  let text: string | undefined;
  for (const part of content) {
    const options = answerOptions(part.providerOptions);
    if (part.type === 'text' && options === undefined) {
      text = text === undefined ? part.text : text + part.text;
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
  return '{"text":' + jsonString(text) + ',"type":"text"}';
}

function toolCallText(call: ToolCall): string {
  let text: string;
  try {
    text = `{"arguments":{"json":${write(JSON.parse(call.arguments)) ?? 'null'}}`;
  } catch {
    text = `{"arguments":{"text":${jsonString(call.arguments)}}`;
  }
  text = after(text, ',"id":', write(call.id));
  text = after(text, ',"name":', write(call.name));
  text = after(text, ',"options":', write(answerOptions(call.providerOptions)));
  return `${text}}`;
}

function toolText(tool: Tool): string {
  // No member is always written here: each with the comma after it, the last comma dropped (tools are few and rarely change).
  let text = ahead('', '"description":', write(tool.description));
  text = ahead(text, '"name":', write(tool.name));
  text = ahead(text, '"options":', write(answerOptions(tool.providerOptions)));
  text = ahead(text, '"parameters":', write(tool.parameters));
  text = ahead(text, '"strict":', write(tool.strict));
  return `{${text.slice(0, -1)}}`;
}
