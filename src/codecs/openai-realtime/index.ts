import type { FinishReason, GatewayError, Usage } from '../../spec/index.js';

/**
 * OpenAI's realtime API events (https://platform.openai.com/docs/api-reference/realtime-server-events),
 * only the parts the gateway reads: the type of an event, a response's id, and the usage of
 * `response.done`. Every event is otherwise relayed as it came.
 */

/** A server event's JSON text, its type read cheaply: only events that may matter are parsed. */
export type RealtimeEventType = 'response.created' | 'response.done' | 'response.create' | 'other';

/**
 * The type of an event the gateway acts on, or `other`. A substring test first (`"response.done"`
 * quoted cannot occur escaped inside a JSON string), so the audio deltas and appends that make most
 * of the traffic are never parsed.
 */
export function realtimeEventType(text: string): { type: RealtimeEventType; event: Record<string, unknown> | undefined } {
  if (!text.includes('"response.')) return OTHER;
  const candidate = text.includes('"response.done"') ? 'response.done' : text.includes('"response.created"') ? 'response.created' : text.includes('"response.create"') ? 'response.create' : undefined;
  if (candidate === undefined) return OTHER;
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    return OTHER;
  }
  if (event === null || typeof event !== 'object' || (event as { type?: unknown }).type !== candidate) return OTHER;
  return { type: candidate, event: event as Record<string, unknown> };
}

const OTHER = Object.freeze({ type: 'other' as const, event: undefined });

/** The `response` object of a `response.created` or `response.done` event. */
function responseOf(event: Record<string, unknown>): Record<string, unknown> | undefined {
  const response = event.response;
  return response !== null && typeof response === 'object' && !Array.isArray(response) ? (response as Record<string, unknown>) : undefined;
}

export function realtimeResponseId(event: Record<string, unknown>): string | undefined {
  const id = responseOf(event)?.id;
  return typeof id === 'string' ? id : undefined;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function object(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * The usage of a `response.done` event: `input_tokens` and `output_tokens`, of which audio
 * (`input_token_details.audio_tokens`, cached ones included; `output_token_details.audio_tokens`),
 * images and cached tokens (`cached_tokens`, of which `cached_tokens_details.audio_tokens`).
 * Undefined when the event carries none (a response failed before it used anything).
 */
export function realtimeUsage(event: Record<string, unknown>): Usage | undefined {
  const wire = responseOf(event)?.usage;
  if (wire === null || typeof wire !== 'object') return undefined;
  const usage = wire as Record<string, unknown>;
  const inputTokens = count(usage.input_tokens);
  const outputTokens = count(usage.output_tokens);
  if (inputTokens === undefined && outputTokens === undefined) return undefined;
  const input = object(usage.input_token_details);
  const cached = object(input.cached_tokens_details);
  const output = object(usage.output_token_details);
  const result: Usage = { inputTokens, outputTokens };
  const cachedTokens = count(input.cached_tokens);
  if (cachedTokens !== undefined) result.cachedInputTokens = cachedTokens;
  const audioIn = count(input.audio_tokens);
  if (audioIn !== undefined) result.inputAudioTokens = audioIn;
  const cachedAudio = count(cached.audio_tokens);
  if (cachedAudio !== undefined) result.cachedAudioTokens = cachedAudio;
  const imageIn = count(input.image_tokens);
  if (imageIn !== undefined) result.inputImageTokens = imageIn;
  const audioOut = count(output.audio_tokens);
  if (audioOut !== undefined) result.outputAudioTokens = audioOut;
  return result;
}

/** Why a response ended (`response.status`: completed, cancelled, incomplete, failed), as a finish reason. */
export function realtimeFinishReason(event: Record<string, unknown>): FinishReason | undefined {
  const response = responseOf(event);
  const status = response?.status;
  if (typeof status !== 'string') return undefined;
  const reason = object(response?.status_details).reason;
  const raw = typeof reason === 'string' ? `${status}:${reason}` : status;
  if (status === 'completed') return { unified: 'stop', raw };
  if (status === 'incomplete') return { unified: reason === 'content_filter' ? 'content-filter' : 'length', raw };
  if (status === 'failed') return { unified: 'error', raw };
  return { unified: 'other', raw };
}

/**
 * A gateway error as a realtime `error` server event, in the shape the API's own errors take, so
 * that SDKs surface it as they do the provider's.
 */
export function realtimeErrorEvent(error: GatewayError, eventId: string): string {
  return JSON.stringify({
    type: 'error',
    event_id: eventId,
    error: { type: error.type, code: error.code, message: error.message, param: error.param ?? null, event_id: null },
  });
}
