import { GatewayError, textOf, type AssistantMessage, type ChatRequest, type ToolChoice, type ToolMessage } from '../../spec/index.js';
import { encodeFile, encodeImage } from './media.js';
import { isEmptyObjectSchema, toGeminiSchema } from './schema.js';
import type { GeminiContent, GeminiFunctionCallingConfig, GeminiFunctionDeclaration, GeminiGenerationConfig, GeminiPart, GeminiThinkingConfig } from './wire.js';

export interface GeminiEncodeOptions {
  /**
   * Send tool call ids as `functionCall.id`/`functionResponse.id`. Gemini pairs calls and responses
   * by name and order; some API versions reject the `id` field ("Unknown name \"id\" at
   * 'contents[1].parts[0].function_call'"), so providers can turn it off. Default true.
   */
  includeFunctionCallIds?: boolean;
}

/**
 * Token budgets for `reasoningEffort`, as Google maps OpenAI's `reasoning_effort` in its
 * OpenAI-compatible endpoint (https://ai.google.dev/gemini-api/docs/openai): low 1K, medium 8K,
 * high 24K, none 0. `minimal` has no published figure; half of low.
 */
const BUDGET_BY_EFFORT: Record<string, number> = { none: 0, minimal: 512, low: 1024, medium: 8192, high: 24576 };

/** Top-level fields of `extra` that are merged into ours rather than replacing them. */
const MERGED_EXTRA_FIELDS = new Set(['generationConfig', 'tools', 'toolConfig']);

function parseArguments(text: string, param: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GatewayError('invalid_request', 'Tool call arguments must be a JSON object to be sent to Gemini.', { param });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new GatewayError('invalid_request', 'Tool call arguments must be a JSON object to be sent to Gemini.', { param });
  }
  return parsed as Record<string, unknown>;
}

/** A tool result → `functionResponse.response`: `{output}` or `{error}`, JSON values kept as JSON. */
function toolResponse(message: ToolMessage): Record<string, unknown> {
  const text = textOf(message.content);
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // Plain text stays a string.
  }
  return message.isError ? { error: value } : { output: value };
}

/**
 * An assistant turn → `model` parts. A reasoning part with text becomes a thought part; one with
 * only a signature (how decoding keeps a signature Gemini put on a text or functionCall part)
 * is carried onto the next part, or onto the first function call when content ends.
 */
function modelParts(message: AssistantMessage, messageIndex: number, includeIds: boolean): GeminiPart[] {
  const parts: GeminiPart[] = [];
  let pendingSignature: string | undefined;
  const sign = (part: GeminiPart): GeminiPart => {
    if (pendingSignature !== undefined && part.thoughtSignature === undefined) part.thoughtSignature = pendingSignature;
    pendingSignature = undefined;
    return part;
  };
  for (const part of message.content) {
    if (part.type === 'reasoning') {
      if (part.text.length === 0) {
        if (part.signature !== undefined) pendingSignature = part.signature;
        continue;
      }
      parts.push(sign({ text: part.text, thought: true, ...(part.signature !== undefined ? { thoughtSignature: part.signature } : {}) }));
    } else if (part.type === 'text') {
      if (part.text.length > 0) parts.push(sign({ text: part.text }));
    } else if (part.type === 'image') {
      parts.push(sign(encodeImage(part)));
    }
    // Redacted reasoning is Anthropic's encrypted thinking; Gemini has no place for it.
  }
  (message.toolCalls ?? []).forEach((call, callIndex) => {
    const args = parseArguments(call.arguments, `messages[${messageIndex}].toolCalls[${callIndex}].arguments`);
    parts.push(sign({ functionCall: { ...(includeIds ? { id: call.id } : {}), name: call.name, args } }));
  });
  if (pendingSignature !== undefined) {
    const last = parts[parts.length - 1];
    if (last !== undefined && last.thoughtSignature === undefined) last.thoughtSignature = pendingSignature;
  }
  return parts;
}

function encodeContents(request: ChatRequest, includeIds: boolean): { contents: GeminiContent[]; system: GeminiPart[] } {
  const contents: GeminiContent[] = [];
  const system: GeminiPart[] = [];
  const toolNames = new Map<string, string>();
  // Gemini wants the function responses of one model turn together in the next user turn, so
  // consecutive turns of the same role are merged.
  const push = (role: 'user' | 'model', parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    if (last !== undefined && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  request.messages.forEach((message, index) => {
    switch (message.role) {
      case 'system': {
        const text = textOf(message.content);
        if (text.length > 0) system.push({ text });
        break;
      }
      case 'user':
        push(
          'user',
          message.content.flatMap((part): GeminiPart[] => (part.type === 'text' ? [{ text: part.text }] : part.type === 'image' ? [encodeImage(part)] : part.type === 'file' ? [encodeFile(part)] : [])),
        );
        break;
      case 'assistant':
        for (const call of message.toolCalls ?? []) toolNames.set(call.id, call.name);
        push('model', modelParts(message, index, includeIds));
        break;
      case 'tool': {
        const name = message.name ?? toolNames.get(message.toolCallId);
        if (name === undefined) {
          throw new GatewayError('invalid_request', `Gemini needs the tool's name for the result of call \`${message.toolCallId}\`, and no earlier assistant message made that call.`, {
            param: `messages[${index}].toolCallId`,
          });
        }
        push('user', [{ functionResponse: { ...(includeIds ? { id: message.toolCallId } : {}), name, response: toolResponse(message) } }]);
        break;
      }
    }
  });
  return { contents, system };
}

function encodeToolChoice(choice: ToolChoice): GeminiFunctionCallingConfig {
  switch (choice.type) {
    case 'auto':
      return { mode: 'AUTO' };
    case 'none':
      return { mode: 'NONE' };
    case 'required':
      return { mode: 'ANY' };
    case 'tool':
      return { mode: 'ANY', allowedFunctionNames: [choice.name] };
  }
}

function encodeThinking(request: ChatRequest): GeminiThinkingConfig | undefined {
  const budget = request.thinkingBudget ?? (request.reasoningEffort !== undefined ? BUDGET_BY_EFFORT[request.reasoningEffort] : undefined);
  if (budget === undefined) return undefined;
  // Thought summaries are asked for whenever thinking is on, so callers see the reasoning.
  return budget === 0 ? { thinkingBudget: 0 } : { thinkingBudget: budget, includeThoughts: true };
}

function encodeGenerationConfig(request: ChatRequest): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {};
  if (request.maxOutputTokens !== undefined) config.maxOutputTokens = request.maxOutputTokens;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.topP !== undefined) config.topP = request.topP;
  if (request.topK !== undefined) config.topK = request.topK;
  if (request.stop !== undefined && request.stop.length > 0) config.stopSequences = request.stop;
  if (request.seed !== undefined) config.seed = request.seed;
  if (request.n !== undefined) config.candidateCount = request.n;
  if (request.presencePenalty !== undefined) config.presencePenalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) config.frequencyPenalty = request.frequencyPenalty;
  const format = request.responseFormat;
  if (format !== undefined && format.type !== 'text') {
    config.responseMimeType = 'application/json';
    if (format.type === 'json_schema') config.responseSchema = toGeminiSchema(format.schema);
  }
  const thinking = encodeThinking(request);
  if (thinking !== undefined) config.thinkingConfig = thinking;
  return config;
}

function mergeExtra(body: Record<string, unknown>, extra: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(extra)) {
    const current = body[key];
    if (MERGED_EXTRA_FIELDS.has(key) && Array.isArray(current) && Array.isArray(value)) body[key] = [...current, ...value];
    else if (MERGED_EXTRA_FIELDS.has(key) && typeof current === 'object' && current !== null && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      body[key] = { ...value, ...current };
    } else if (current === undefined) body[key] = value;
  }
}

/**
 * ChatRequest → a `generateContent` body. Gemini takes the model in the URL
 * (`models/{model}:generateContent`), so the body carries none.
 */
export function encodeGeminiRequest(request: ChatRequest, options: GeminiEncodeOptions = {}): Record<string, unknown> {
  const { contents, system } = encodeContents(request, options.includeFunctionCallIds ?? true);
  const body: Record<string, unknown> = { contents };
  if (system.length > 0) body.systemInstruction = { parts: system };
  if (request.tools !== undefined && request.tools.length > 0) {
    const declarations = request.tools.map((tool): GeminiFunctionDeclaration => {
      const parameters = toGeminiSchema(tool.parameters);
      return {
        name: tool.name,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
        ...(isEmptyObjectSchema(parameters) ? {} : { parameters }),
      };
    });
    body.tools = [{ functionDeclarations: declarations }];
  }
  if (request.toolChoice !== undefined) body.toolConfig = { functionCallingConfig: encodeToolChoice(request.toolChoice) };
  const generationConfig = encodeGenerationConfig(request);
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  if (request.extra !== undefined && request.extraDialect === 'gemini') mergeExtra(body, request.extra);
  return body;
}
