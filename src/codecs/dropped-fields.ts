import type { ChatRequest } from '../spec/index.js';

/**
 * A request field a dialect cannot carry upstream, by its common (OpenAI Chat Completions) name,
 * and when a request uses it. Codecs list theirs as `ChatCodec.droppedFields`; the gateway names
 * the ones a request used in `x-tollgate-warning` instead of dropping them in silence.
 */
export interface DroppableField {
  readonly name: string;
  readonly isSet: (request: ChatRequest) => boolean;
}

export const SEED: DroppableField = { name: 'seed', isSet: (request) => request.seed !== undefined };
export const PRESENCE_PENALTY: DroppableField = { name: 'presence_penalty', isSet: (request) => request.presencePenalty !== undefined };
export const FREQUENCY_PENALTY: DroppableField = { name: 'frequency_penalty', isSet: (request) => request.frequencyPenalty !== undefined };
export const USER: DroppableField = { name: 'user', isSet: (request) => request.user !== undefined };
export const TOP_K: DroppableField = { name: 'top_k', isSet: (request) => request.topK !== undefined };
export const PARALLEL_TOOL_CALLS: DroppableField = { name: 'parallel_tool_calls', isSet: (request) => request.parallelToolCalls !== undefined };
/** `response_format: json_object`, for dialects without a plain JSON mode (a schema may still map). */
export const JSON_OBJECT_FORMAT: DroppableField = { name: 'response_format (json_object)', isSet: (request) => request.responseFormat?.type === 'json_object' };

/** The names of `fields` that `request` uses. */
export function droppedFieldNames(request: ChatRequest, fields: readonly DroppableField[] | undefined): string[] {
  const names: string[] = [];
  if (fields !== undefined) for (const field of fields) if (field.isSet(request)) names.push(field.name);
  return names;
}
