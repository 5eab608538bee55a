import { createHash } from 'node:crypto';
import type { ChatResponse, ToolCall } from '../../spec/index.js';
import type { MockOptions } from './mock-options.js';

interface WireMessage {
  role?: string;
  content?: unknown;
}

interface WireTool {
  function?: { name?: string };
}

/** Approximate tokens of a text the way the mock reports them: one per four characters, at least one. */
export function mockTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) if (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string') text += (part as { text: string }).text;
  return text;
}

/**
 * The mock's deterministic answer to an OpenAI-dialect chat body: a fixed reply if configured;
 * otherwise, when tools are offered and the last message is the user's, a call to the first tool;
 * otherwise an echo of the last user or tool message.
 */
export function mockChatResponse(body: Record<string, unknown>, options: MockOptions | undefined, model: string): ChatResponse {
  const messages = Array.isArray(body.messages) ? (body.messages as WireMessage[]) : [];
  const last = messages[messages.length - 1];
  const prompt = messages.map((message) => contentText(message.content)).join('\n');
  const inputTokens = mockTokens(prompt);
  const tools = Array.isArray(body.tools) ? (body.tools as WireTool[]) : [];
  const digest = createHash('sha256').update(prompt).digest('hex');
  const id = `chatcmpl-mock-${digest.slice(0, 24)}`;
  const created = Math.floor(Date.now() / 1000);

  const toolChoice = body.tool_choice;
  if (tools.length > 0 && last?.role === 'user' && toolChoice !== 'none' && options?.reply === undefined) {
    const name = tools[0]?.function?.name ?? 'tool';
    const call: ToolCall = { id: `call_${digest.slice(0, 16)}`, name, arguments: JSON.stringify({ input: contentText(last.content).slice(0, 200) }) };
    const outputTokens = mockTokens(call.arguments);
    return {
      id,
      model,
      created,
      choices: [{ index: 0, content: [], toolCalls: [call], finishReason: { unified: 'tool-calls', raw: 'tool_calls' } }],
      usage: { inputTokens, outputTokens, cachedInputTokens: 0, reasoningTokens: 0 },
    };
  }

  let text = options?.reply;
  if (text === undefined) {
    const source = last === undefined ? '' : contentText(last.content);
    text = last?.role === 'tool' ? `The tool answered: ${source}` : `This is the mock provider answering: ${source}`;
  }
  if (options?.output_tokens !== undefined) text = fitToTokens(text, options.output_tokens);
  const choices = Math.max(1, Math.min(Number(body.n ?? 1) || 1, 8));
  return {
    id,
    model,
    created,
    choices: Array.from({ length: choices }, (_, index) => ({
      index,
      content: [{ type: 'text' as const, text }],
      toolCalls: [],
      finishReason: { unified: 'stop' as const, raw: 'stop' },
    })),
    usage: { inputTokens, outputTokens: mockTokens(text!) * choices, cachedInputTokens: 0, reasoningTokens: 0 },
  };
}

function fitToTokens(text: string, tokens: number): string {
  const target = tokens * 4;
  if (text.length >= target) return text.slice(0, target);
  let result = text;
  while (result.length < target) result += ` ${text}`;
  return result.slice(0, target);
}

/** Deterministic unit-length vectors derived from the input text. */
export function mockEmbedding(text: string, dimensions: number): number[] {
  const vector: number[] = [];
  let seed = createHash('sha256').update(text).digest();
  while (vector.length < dimensions) {
    for (let index = 0; index + 1 < seed.length && vector.length < dimensions; index += 2) vector.push(seed.readUInt16BE(index) / 32768 - 1);
    seed = createHash('sha256').update(seed).digest();
  }
  const norm = Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0)) || 1;
  return vector.map((value) => value / norm);
}
