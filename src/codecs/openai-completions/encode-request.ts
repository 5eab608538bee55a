import type { ChatRequest } from '../../spec/index.js';
import { OPENAI_COMPLETIONS_DIALECT } from './decode-request.js';

/** Spec → an OpenAI `/completions` body: the text completion's prompt, or the messages' text when it has none. */
export function encodeCompletionRequest(request: ChatRequest, upstreamModel: string): Record<string, unknown> {
  const text = request.textCompletion;
  const prompt = text?.prompt ?? request.messages.map((message) => message.content.map((part) => (part.type === 'text' ? part.text : '')).join('')).join('\n\n');
  const body: Record<string, unknown> = { model: upstreamModel, prompt };
  if (text?.suffix !== undefined) body.suffix = text.suffix;
  if (text?.echo !== undefined) body.echo = text.echo;
  if (request.maxOutputTokens !== undefined) body.max_tokens = request.maxOutputTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop !== undefined) body.stop = request.stop;
  if (request.n !== undefined) body.n = request.n;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.user !== undefined) body.user = request.user;
  if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
  if (request.stream) {
    body.stream = true;
    // Always ask for usage: the gateway prices the stream from it.
    body.stream_options = { include_usage: true };
  }
  if (request.extraDialect === OPENAI_COMPLETIONS_DIALECT) for (const [key, value] of Object.entries(request.extra ?? {})) body[key] ??= value;
  return body;
}
