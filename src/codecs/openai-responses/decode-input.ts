import { GatewayError, type AssistantMessage, type ContentPart, type FilePart, type ImagePart, type Message, type TextPart } from '../../spec/index.js';
import { describe, invalid, optionalString, requireArray, requireObject, requireString, type JsonObject } from '../openai-chat/read-fields.js';
import { parseDataUrl } from './wire.js';

const DETAILS = new Set(['auto', 'low', 'high']);

/**
 * `instructions` and `input` of a Responses body → spec messages. The input is a flat list of
 * items; consecutive assistant-side items (`reasoning`, assistant `message`, `function_call`)
 * form one assistant turn, and each `function_call_output` becomes a tool message.
 */
export function decodeInput(input: unknown, instructions: string | undefined): Message[] {
  const messages: Message[] = [];
  if (instructions !== undefined && instructions.length > 0) messages.push({ role: 'system', content: [{ type: 'text', text: instructions }] });
  if (input === undefined || input === null) throw invalid('input', '`input` is required: a string or a list of input items.');
  if (typeof input === 'string') {
    messages.push({ role: 'user', content: [{ type: 'text', text: input }] });
    return messages;
  }
  const items = requireArray(input, 'input');
  if (items.length === 0) throw invalid('input', '`input` must contain at least one item.');
  items.forEach((item, index) => decodeItem(item, `input[${index}]`, messages));
  return messages;
}

function decodeItem(value: unknown, path: string, messages: Message[]): void {
  const item = requireObject(value, path);
  // Easy input messages may leave out `type`; a `role` says what they are.
  const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
  switch (type) {
    case 'message':
      return decodeMessage(item, path, messages);
    case 'function_call': {
      const args = item.arguments;
      (assistantTurn(messages).toolCalls ??= []).push({
        id: requireString(item.call_id, `${path}.call_id`),
        name: requireString(item.name, `${path}.name`),
        arguments: typeof args === 'string' ? args : args === undefined || args === null ? '' : JSON.stringify(args),
      });
      return;
    }
    case 'function_call_output':
      messages.push({ role: 'tool', toolCallId: requireString(item.call_id, `${path}.call_id`), content: decodeToolOutput(item.output, `${path}.output`) });
      return;
    case 'reasoning': {
      const part = decodeReasoning(item, path);
      if (part !== undefined) assistantTurn(messages).content.push(part);
      return;
    }
    case 'mcp_call': {
      // A tool call the gateway ran in agent mode (or an MCP call of OpenAI's), sent back: the call and its result.
      const id = requireString(item.call_id ?? item.id, `${path}.call_id`);
      const args = item.arguments;
      (assistantTurn(messages).toolCalls ??= []).push({ id, name: requireString(item.name, `${path}.name`), arguments: typeof args === 'string' ? args : args === undefined || args === null ? '' : JSON.stringify(args) });
      const failed = typeof item.error === 'string' && item.error.length > 0;
      const text = failed ? (item.error as string) : typeof item.output === 'string' ? item.output : '';
      messages.push({ role: 'tool', toolCallId: id, content: [{ type: 'text', text }], ...(failed ? { isError: true } : {}) });
      return;
    }
    case 'item_reference':
      throw stateless(`${path}.type`, 'an `item_reference` points at a stored item by id');
    default:
      throw new GatewayError(
        'unsupported_parameter',
        `\`${path}.type\` ${typeof type === 'string' ? `\`${type}\`` : describe(type)} is not supported: Tollgate accepts \`message\`, \`function_call\`, \`function_call_output\`, \`mcp_call\` and \`reasoning\` items; it runs no built-in tools.`,
        { param: `${path}.type` },
      );
  }
}

function decodeMessage(item: JsonObject, path: string, messages: Message[]): void {
  const role = item.role;
  switch (role) {
    case 'user':
      messages.push({ role: 'user', content: decodeInputContent(item.content, `${path}.content`, true) });
      return;
    case 'system':
    case 'developer':
      messages.push({ role: 'system', content: decodeInputContent(item.content, `${path}.content`, false) });
      return;
    case 'assistant':
      assistantTurn(messages).content.push(...decodeAssistantContent(item.content, `${path}.content`));
      return;
    default:
      throw invalid(`${path}.role`, `\`${path}.role\` must be one of user, assistant, system, developer, got ${typeof role === 'string' ? `\`${role}\`` : describe(role)}.`);
  }
}

/** The assistant message the next assistant-side item belongs to: the last message if it is one, else a new one. */
function assistantTurn(messages: Message[]): AssistantMessage {
  const last = messages[messages.length - 1];
  if (last?.role === 'assistant') return last;
  const turn: AssistantMessage = { role: 'assistant', content: [] };
  messages.push(turn);
  return turn;
}

function decodeInputContent(value: unknown, path: string, allowMedia: boolean): ContentPart[] {
  if (typeof value === 'string') return [{ type: 'text', text: value }];
  if (value === undefined || value === null) throw invalid(path, `\`${path}\` is required.`);
  return requireArray(value, path).map((entry, index) => {
    const partPath = `${path}[${index}]`;
    const part = requireObject(entry, partPath);
    switch (part.type) {
      case 'input_text':
        return { type: 'text', text: requireString(part.text, `${partPath}.text`) } satisfies TextPart;
      case 'input_image':
        if (allowMedia) return decodeImage(part, partPath);
        break;
      case 'input_file':
        if (allowMedia) return decodeFile(part, partPath);
        break;
    }
    const allowed = allowMedia ? '`input_text`, `input_image` or `input_file`' : '`input_text`';
    throw invalid(`${partPath}.type`, `\`${partPath}.type\` must be ${allowed} here, got ${typeName(part.type)}.`);
  });
}

function decodeAssistantContent(value: unknown, path: string): ContentPart[] {
  if (typeof value === 'string') return value.length === 0 ? [] : [{ type: 'text', text: value }];
  if (value === undefined || value === null) throw invalid(path, `\`${path}\` is required.`);
  return requireArray(value, path).map((entry, index) => {
    const partPath = `${path}[${index}]`;
    const part = requireObject(entry, partPath);
    // Clients replaying history sometimes label assistant text `input_text`; it means the same.
    if (part.type === 'output_text' || part.type === 'input_text') return { type: 'text', text: requireString(part.text, `${partPath}.text`) } satisfies TextPart;
    if (part.type === 'refusal') return { type: 'text', text: requireString(part.refusal, `${partPath}.refusal`) } satisfies TextPart;
    throw invalid(`${partPath}.type`, `\`${partPath}.type\` must be \`output_text\` or \`refusal\` in an assistant message, got ${typeName(part.type)}.`);
  });
}

function decodeImage(part: JsonObject, path: string): ImagePart {
  if (part.file_id !== undefined && part.file_id !== null) throw uploadedFile(`${path}.file_id`);
  const url = optionalString(part.image_url, `${path}.image_url`);
  if (url === undefined || url.length === 0) throw invalid(`${path}.image_url`, `\`${path}.image_url\` is required (an http(s) URL or a base64 data URL).`);
  const detail = optionalString(part.detail, `${path}.detail`);
  // `original` (full resolution) has no equivalent elsewhere; it is treated as `auto`.
  if (detail !== undefined && detail !== 'original' && !DETAILS.has(detail)) throw invalid(`${path}.detail`, `\`${path}.detail\` must be auto, low, high or original.`);
  const detailField = detail === undefined || detail === 'original' ? {} : { detail: detail as ImagePart['detail'] };
  if (url.startsWith('data:')) {
    const parsed = parseDataUrl(url);
    if (parsed === undefined) throw invalid(`${path}.image_url`, `\`${path}.image_url\` is a data URL but not base64 (expected data:<media type>;base64,<data>).`);
    return { type: 'image', data: parsed.data, mediaType: parsed.mediaType ?? 'application/octet-stream', ...detailField };
  }
  return { type: 'image', url, ...detailField };
}

function decodeFile(part: JsonObject, path: string): FilePart {
  if (part.file_id !== undefined && part.file_id !== null) throw uploadedFile(`${path}.file_id`);
  const filename = optionalString(part.filename, `${path}.filename`);
  const named = filename === undefined ? {} : { filename };
  const fileData = optionalString(part.file_data, `${path}.file_data`);
  if (fileData !== undefined) {
    const parsed = parseDataUrl(fileData);
    // OpenAI documents file_data as a data URL; bare base64 is taken as a PDF, the common case.
    if (parsed !== undefined) return { type: 'file', data: parsed.data, mediaType: parsed.mediaType ?? 'application/pdf', ...named };
    return { type: 'file', data: fileData, mediaType: 'application/pdf', ...named };
  }
  const fileUrl = optionalString(part.file_url, `${path}.file_url`);
  if (fileUrl !== undefined) return { type: 'file', url: fileUrl, mediaType: mediaTypeOf(filename ?? fileUrl), ...named };
  throw invalid(path, `\`${path}\` needs \`file_data\` or \`file_url\`.`);
}

function mediaTypeOf(name: string): string {
  if (/\.txt$/i.test(name)) return 'text/plain';
  return 'application/pdf';
}

function decodeToolOutput(value: unknown, path: string): ContentPart[] {
  if (typeof value === 'string') return [{ type: 'text', text: value }];
  if (value === undefined || value === null) throw invalid(path, `\`${path}\` is required.`);
  return decodeInputContent(value, path, true);
}

/** A reasoning item → a reasoning part (summary text, `encrypted_content` as signature), or redacted reasoning when only the encrypted form exists. */
function decodeReasoning(item: JsonObject, path: string): ContentPart | undefined {
  const texts: string[] = [];
  if (item.summary !== undefined && item.summary !== null) {
    requireArray(item.summary, `${path}.summary`).forEach((entry, index) => texts.push(requireString(requireObject(entry, `${path}.summary[${index}]`).text, `${path}.summary[${index}].text`)));
  }
  if (texts.length === 0 && Array.isArray(item.content)) {
    item.content.forEach((entry, index) => texts.push(requireString(requireObject(entry, `${path}.content[${index}]`).text, `${path}.content[${index}].text`)));
  }
  const encrypted = optionalString(item.encrypted_content, `${path}.encrypted_content`);
  const text = texts.join('\n\n');
  if (text.length > 0) return { type: 'reasoning', text, ...(encrypted === undefined ? {} : { signature: encrypted }) };
  if (encrypted !== undefined && encrypted.length > 0) return { type: 'redacted-reasoning', data: encrypted };
  return undefined;
}

function uploadedFile(param: string): GatewayError {
  return new GatewayError('unsupported_parameter', `\`${param}\` refers to a file uploaded to OpenAI, which Tollgate cannot fetch for other providers; send the content inline (a data URL) or as a URL.`, { param });
}

export function stateless(param: string, what: string): GatewayError {
  return new GatewayError(
    'unsupported_parameter',
    `\`${param}\` is not supported: ${what}, which Tollgate does not keep (it keeps stored responses only). Continue with \`previous_response_id\`, or send the full conversation in \`input\`.`,
    { param },
  );
}

function typeName(type: unknown): string {
  return typeof type === 'string' ? `\`${type}\`` : describe(type);
}
