import { hash } from 'node:crypto';
import type { ChatRequest, ContentPart, EmbeddingRequest, Message, Tool } from '../spec/index.js';
import { answerExtra, answerOptions } from './answer-fields.js';
import { canonicalJson } from './canonical-json.js';
import { chatKeyText } from './chat-key-text.js';

/**
 * The exact layer's key of a request: a SHA-256 of its canonical form. Built from the decoded spec
 * request, so the caller's dialect and JSON formatting never show; it holds the namespace, the
 * model as routed (route or targets) and everything that changes the answer, and leaves out what
 * does not (streaming, usage reporting, fallbacks, log switches, tags, prompt-caching marks).
 */
export interface KeyScope {
  /** The cache namespace (`key:<id>`, `team:<id>`, …). */
  readonly namespace: string;
  /** What the model name routes to (see route-identity.ts). */
  readonly route: string;
}

export function chatKey(scope: KeyScope, request: ChatRequest): string {
  return digest(chatKeyText(scope, request));
}

/** The canonical object of a chat request: its canonical JSON is what chatKeyText writes (exported for tests). */
export function chatKeyObject(scope: KeyScope, request: ChatRequest): Record<string, unknown> {
  return {
    v: 1,
    op: 'chat',
    ns: scope.namespace,
    route: scope.route,
    ...answerParameters(request),
    messages: request.messages.map(canonicalMessage),
  };
}

/**
 * Every parameter of a chat request that changes the answer, except the prompt: two requests
 * whose prompts are close may share an answer only when these are equal (the semantic layer's filter).
 */
export function answerParameters(request: ChatRequest): Record<string, unknown> {
  return {
    tools: request.tools?.map(canonicalTool),
    toolChoice: request.toolChoice,
    parallelToolCalls: request.parallelToolCalls,
    responseFormat: request.responseFormat,
    maxOutputTokens: request.maxOutputTokens,
    temperature: request.temperature,
    topP: request.topP,
    topK: request.topK,
    stop: request.stop,
    seed: request.seed,
    n: request.n === 1 ? undefined : request.n,
    presencePenalty: request.presencePenalty,
    frequencyPenalty: request.frequencyPenalty,
    user: request.user,
    reasoningEffort: request.reasoningEffort,
    thinkingBudget: request.thinkingBudget,
    extra: answerExtra(request.extra),
  };
}

export function embeddingKey(scope: KeyScope, request: EmbeddingRequest): string {
  return digest(
    canonicalJson({
      v: 1,
      op: 'embeddings',
      ns: scope.namespace,
      route: scope.route,
      input: request.input,
      dimensions: request.dimensions,
      user: request.user,
      extra: answerExtra(request.extra),
    }),
  );
}

/**
 * The key of a text-to-speech request (`POST /v1/audio/speech`): everything in its body but the
 * model, which the route stands for: the input, voice, instructions, format, speed, stream format
 * and any other field.
 */
export function speechKey(scope: KeyScope, body: Readonly<Record<string, unknown>>): string {
  const { model: _model, ...fields } = body;
  return digest(canonicalJson({ v: 1, op: 'audio.speech', ns: scope.namespace, route: scope.route, body: fields }));
}

/** SHA-256 in hex, one-shot (crypto.hash: no Hash object per request, about a third of createHash's cost on a key). */
export function digest(text: string): string {
  return hash('sha256', text, 'hex');
}

function canonicalMessage(message: Message): Record<string, unknown> {
  const base: Record<string, unknown> = { role: message.role, content: canonicalContent(message.content), options: answerOptions(message.providerOptions) };
  if (message.role === 'user' || message.role === 'assistant') base.name = message.name;
  if (message.role === 'assistant' && message.toolCalls !== undefined && message.toolCalls.length > 0) {
    base.toolCalls = message.toolCalls.map((call) => ({ id: call.id, name: call.name, arguments: canonicalArguments(call.arguments), options: answerOptions(call.providerOptions) }));
  }
  if (message.role === 'tool') {
    base.toolCallId = message.toolCallId;
    base.name = message.name;
    base.isError = message.isError === true ? true : undefined;
  }
  return base;
}

/** Adjacent plain text parts read as one text (a string and one text part, or a text split in two, say the same). */
function canonicalContent(content: readonly ContentPart[]): unknown[] {
  const parts: unknown[] = [];
  let text: string | undefined;
  for (const part of content) {
    const options = answerOptions(part.providerOptions);
    if (part.type === 'text' && options === undefined) {
      text = (text ?? '') + part.text;
      continue;
    }
    if (text !== undefined) parts.push({ type: 'text', text });
    text = undefined;
    const { providerOptions: _options, ...rest } = part;
    parts.push({ ...rest, options });
  }
  if (text !== undefined) parts.push({ type: 'text', text });
  return parts;
}

function canonicalTool(tool: Tool): Record<string, unknown> {
  return { name: tool.name, description: tool.description, parameters: tool.parameters, strict: tool.strict, options: answerOptions(tool.providerOptions) };
}

/** Tool call arguments as the JSON they say (their formatting does not change the answer), or as written when not JSON. */
function canonicalArguments(text: string): unknown {
  try {
    return { json: JSON.parse(text) as unknown };
  } catch {
    return { text };
  }
}
