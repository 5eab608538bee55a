import type { AssistantMessage, ContentPart, ImagePart, Message, TextPart, ToolCall } from '../../spec/index.js';
import { describe, invalid, isObject, optionalString, requireArray, requireObject, requireString, type JsonObject } from './read-fields.js';

const DETAILS = new Set(['auto', 'low', 'high']);
const DATA_URI = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s;

/** `messages` of an OpenAI chat body → spec messages. `developer` is the o-series name for `system`. */
export function decodeMessages(value: unknown): Message[] {
  if (value === undefined || value === null) throw invalid('messages', '`messages` is required.');
  const list = requireArray(value, 'messages');
  if (list.length === 0) throw invalid('messages', '`messages` must contain at least one message.');
  return list.map((item, index) => decodeMessage(item, `messages[${index}]`));
}

function decodeMessage(value: unknown, path: string): Message {
  const message = requireObject(value, path);
  const role = message.role;
  switch (role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: decodeTextContent(message.content, `${path}.content`) };
    case 'user': {
      const name = optionalString(message.name, `${path}.name`);
      return { role: 'user', content: decodeUserContent(message.content, `${path}.content`), ...(name === undefined ? {} : { name }) };
    }
    case 'assistant':
      return decodeAssistant(message, path);
    case 'tool':
      return {
        role: 'tool',
        toolCallId: requireString(message.tool_call_id, `${path}.tool_call_id`),
        content: decodeTextContent(message.content, `${path}.content`),
      };
    case 'function': {
      // Legacy function results carry no call id; the function name stands in for it, matching
      // the id given to the legacy `function_call` of the assistant message before.
      const name = requireString(message.name, `${path}.name`);
      return { role: 'tool', toolCallId: name, name, content: decodeTextContent(message.content, `${path}.content`) };
    }
    default:
      throw invalid(`${path}.role`, `\`${path}.role\` must be one of system, developer, user, assistant, tool, got ${typeof role === 'string' ? `\`${role}\`` : describe(role)}.`);
  }
}

function decodeAssistant(message: JsonObject, path: string): AssistantMessage {
  const content: ContentPart[] = message.content === undefined || message.content === null ? [] : decodeAssistantContent(message.content, `${path}.content`);
  const toolCalls: ToolCall[] = [];
  if (message.tool_calls !== undefined && message.tool_calls !== null) {
    requireArray(message.tool_calls, `${path}.tool_calls`).forEach((item, index) => toolCalls.push(decodeToolCall(item, `${path}.tool_calls[${index}]`)));
  }
  if (isObject(message.function_call)) {
    const name = requireString(message.function_call.name, `${path}.function_call.name`);
    toolCalls.push({ id: name, name, arguments: optionalString(message.function_call.arguments, `${path}.function_call.arguments`) ?? '' });
  }
  if (content.length === 0 && toolCalls.length === 0 && message.content === undefined && message.refusal === undefined) {
    throw invalid(`${path}.content`, `\`${path}.content\` is required unless \`tool_calls\` is given.`);
  }
  const name = optionalString(message.name, `${path}.name`);
  return { role: 'assistant', content, ...(toolCalls.length > 0 ? { toolCalls } : {}), ...(name === undefined ? {} : { name }) };
}

function decodeToolCall(value: unknown, path: string): ToolCall {
  const call = requireObject(value, path);
  if (call.type !== undefined && call.type !== 'function') throw invalid(`${path}.type`, `\`${path}.type\` must be \`function\`.`);
  const fn = requireObject(call.function, `${path}.function`);
  const args = fn.arguments;
  return {
    id: requireString(call.id, `${path}.id`),
    name: requireString(fn.name, `${path}.function.name`),
    // Some clients send arguments as an object rather than JSON text; keep them as JSON text.
    arguments: typeof args === 'string' ? args : args === undefined || args === null ? '' : JSON.stringify(args),
  };
}

/** Content that may only hold text (system, tool, developer): a string or a list of text parts. */
function decodeTextContent(value: unknown, path: string): TextPart[] {
  if (typeof value === 'string') return [{ type: 'text', text: value }];
  if (value === undefined || value === null) throw invalid(path, `\`${path}\` is required.`);
  return requireArray(value, path).map((item, index) => {
    const partPath = `${path}[${index}]`;
    const part = requireObject(item, partPath);
    if (part.type !== 'text') throw invalid(`${partPath}.type`, `\`${partPath}.type\` must be \`text\` here, got ${describeType(part.type)}.`);
    return { type: 'text', text: requireString(part.text, `${partPath}.text`) };
  });
}

function decodeAssistantContent(value: unknown, path: string): ContentPart[] {
  if (typeof value === 'string') return value.length === 0 ? [] : [{ type: 'text', text: value }];
  return requireArray(value, path).map((item, index) => {
    const partPath = `${path}[${index}]`;
    const part = requireObject(item, partPath);
    if (part.type === 'text') return { type: 'text', text: requireString(part.text, `${partPath}.text`) };
    if (part.type === 'refusal') return { type: 'text', text: requireString(part.refusal, `${partPath}.refusal`) };
    throw invalid(`${partPath}.type`, `\`${partPath}.type\` must be \`text\` or \`refusal\`, got ${describeType(part.type)}.`);
  });
}

function decodeUserContent(value: unknown, path: string): ContentPart[] {
  if (typeof value === 'string') return [{ type: 'text', text: value }];
  if (value === undefined || value === null) throw invalid(path, `\`${path}\` is required.`);
  return requireArray(value, path).map((item, index) => {
    const partPath = `${path}[${index}]`;
    const part = requireObject(item, partPath);
    if (part.type === 'text') return { type: 'text', text: requireString(part.text, `${partPath}.text`) };
    if (part.type === 'image_url') return decodeImage(part.image_url, `${partPath}.image_url`);
    throw invalid(`${partPath}.type`, `\`${partPath}.type\` must be \`text\` or \`image_url\`, got ${describeType(part.type)}.`);
  });
}

function decodeImage(value: unknown, path: string): ImagePart {
  // Older clients send `image_url` as a bare string.
  const image = typeof value === 'string' ? { url: value } : requireObject(value, path);
  const url = requireString(image.url, `${path}.url`);
  const detail = optionalString(image.detail, `${path}.detail`);
  if (detail !== undefined && !DETAILS.has(detail)) throw invalid(`${path}.detail`, `\`${path}.detail\` must be auto, low or high.`);
  const detailField = detail === undefined ? {} : { detail: detail as ImagePart['detail'] };
  if (url.startsWith('data:')) {
    const match = DATA_URI.exec(url);
    if (match === null) throw invalid(`${path}.url`, `\`${path}.url\` is a data URI but not base64 (expected data:<media type>;base64,<data>).`);
    return { type: 'image', data: match[2]!, mediaType: match[1] ?? 'application/octet-stream', ...detailField };
  }
  if (url.length === 0) throw invalid(`${path}.url`, `\`${path}.url\` is empty.`);
  return { type: 'image', url, ...detailField };
}

function describeType(type: unknown): string {
  return typeof type === 'string' ? `\`${type}\`` : describe(type);
}
