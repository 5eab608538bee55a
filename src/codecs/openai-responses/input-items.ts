import { randomBytes } from 'node:crypto';
import { isObject } from '../openai-chat/read-fields.js';

type Item = Record<string, unknown>;

/**
 * A request's `input` (already validated by decodeInput) as the list of input items OpenAI stores and
 * lists back (`GET /v1/responses/{id}/input_items`): a string becomes one user message; messages
 * get `type: "message"` and their string content becomes an `input_text` (`output_text` for the
 * assistant) part; items without an `id` get one.
 */
export function inputItems(input: unknown): Item[] {
  if (typeof input === 'string') return [withId({ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] })];
  if (!Array.isArray(input)) return [];
  return input.filter(isObject).map((item) => withId(normalize(item)));
}

function normalize(item: Item): Item {
  const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
  if (type !== 'message') return { ...item };
  const content = typeof item.content === 'string' ? [{ type: item.role === 'assistant' ? 'output_text' : 'input_text', text: item.content }] : item.content;
  return { ...item, type: 'message', content };
}

const PREFIXES: Record<string, string> = { message: 'msg', function_call: 'fc', function_call_output: 'fco', reasoning: 'rs' };

function withId(item: Item): Item {
  if (typeof item.id === 'string' && item.id.length > 0) return item;
  const prefix = PREFIXES[String(item.type)] ?? 'item';
  return { id: `${prefix}_${randomBytes(12).toString('hex')}`, ...item };
}
