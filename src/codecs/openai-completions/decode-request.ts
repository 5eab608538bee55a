import type { ChatRequest } from '../../spec/index.js';
import { describe, invalid, optionalBoolean, optionalInteger, optionalNumber, optionalString, requireArray, requireObject, requireString, readExtras } from '../openai-chat/read-fields.js';

export const OPENAI_COMPLETIONS_DIALECT = 'openai-completions';

const MODELED_FIELDS = new Set(['model', 'prompt', 'suffix', 'echo', 'stream', 'stream_options', 'max_tokens', 'temperature', 'top_p', 'stop', 'n', 'seed', 'user', 'presence_penalty', 'frequency_penalty', 'fallbacks']);

/**
 * An OpenAI `/v1/completions` body → a chat request with the prompt as one user message, the prompt
 * itself kept in `textCompletion` for providers that serve text completions natively. One text
 * prompt per request (a list of one string is taken; token-id prompts and several prompts are refused).
 */
export function decodeCompletionRequest(body: unknown): ChatRequest {
  const wire = requireObject(body, 'body');
  if (wire.model === undefined || wire.model === null) throw invalid('model', '`model` is required.');
  const model = requireString(wire.model, 'model');
  if (model.length === 0) throw invalid('model', '`model` is empty.');
  const prompt = decodePrompt(wire.prompt);
  const stream = optionalBoolean(wire.stream, 'stream') ?? false;
  const request: ChatRequest = { model, messages: [{ role: 'user', content: [{ type: 'text', text: prompt }] }], stream, textCompletion: { prompt } };
  const suffix = optionalString(wire.suffix, 'suffix');
  if (suffix !== undefined) request.textCompletion!.suffix = suffix;
  const echo = optionalBoolean(wire.echo, 'echo');
  if (echo !== undefined) request.textCompletion!.echo = echo;
  if (stream && wire.stream_options !== undefined && wire.stream_options !== null) {
    const options = requireObject(wire.stream_options, 'stream_options');
    if (optionalBoolean(options.include_usage, 'stream_options.include_usage') === true) request.includeUsage = true;
  }
  // OpenAI's default for this endpoint is 16 tokens; the gateway passes only what the caller set.
  const maxTokens = optionalInteger(wire.max_tokens, 'max_tokens', 0);
  if (maxTokens !== undefined) request.maxOutputTokens = maxTokens;
  const temperature = optionalNumber(wire.temperature, 'temperature', { min: 0, max: 2 });
  if (temperature !== undefined) request.temperature = temperature;
  const topP = optionalNumber(wire.top_p, 'top_p', { min: 0, max: 1 });
  if (topP !== undefined) request.topP = topP;
  const stop = decodeStop(wire.stop);
  if (stop !== undefined) request.stop = stop;
  const n = optionalInteger(wire.n, 'n', 1);
  if (n !== undefined) request.n = n;
  const seed = optionalInteger(wire.seed, 'seed');
  if (seed !== undefined) request.seed = seed;
  const user = optionalString(wire.user, 'user');
  if (user !== undefined) request.user = user;
  const presence = optionalNumber(wire.presence_penalty, 'presence_penalty', { min: -2, max: 2 });
  if (presence !== undefined) request.presencePenalty = presence;
  const frequency = optionalNumber(wire.frequency_penalty, 'frequency_penalty', { min: -2, max: 2 });
  if (frequency !== undefined) request.frequencyPenalty = frequency;
  readExtras(wire, MODELED_FIELDS, OPENAI_COMPLETIONS_DIALECT, request);
  return request;
}

function decodePrompt(prompt: unknown): string {
  if (prompt === undefined || prompt === null) throw invalid('prompt', '`prompt` is required.');
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') return prompt[0];
  if (Array.isArray(prompt)) throw invalid('prompt', 'Tollgate takes one text prompt per request: `prompt` must be a string (or a list of one string); send several prompts as several requests.');
  throw invalid('prompt', `\`prompt\` must be a string, got ${describe(prompt)}.`);
}

function decodeStop(stop: unknown): string[] | undefined {
  if (stop === undefined || stop === null) return undefined;
  if (typeof stop === 'string') return [stop];
  const list = requireArray(stop, 'stop').map((item, index) => requireString(item, `stop[${index}]`));
  if (list.length > 4) throw invalid('stop', '`stop` takes up to 4 sequences.');
  return list;
}
