import { ERROR_CODES, type GatewayError } from '../../spec/index.js';
import type { UpstreamErrorDetails } from '../codec.js';
import { isObject, stringOrUndefined } from './read-fields.js';

/**
 * Reads an upstream error body: OpenAI's `{"error":{message,type,code,param}}` and the shapes
 * OpenAI-compatible servers use instead (`{"message"}`, `{"error":"…"}`, FastAPI's `{"detail"}`).
 * What the status means is the upstream-error mapper's business (src/providers/upstream-error.ts).
 */
export function readOpenAIError(body: string): UpstreamErrorDetails {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return {};
  }
  const { message, type, param } = readErrorPayload(parsed);
  const details: UpstreamErrorDetails = {};
  if (message !== undefined && message.length > 0) details.message = message;
  if (type !== undefined) details.type = type;
  if (param !== undefined) details.param = param;
  return details;
}

/** A GatewayError → OpenAI's error envelope, `code` being the gateway's stable code. */
export function encodeOpenAIError(error: GatewayError): { error: { message: string; type: string; code: string; param: string | null } } {
  return { error: { message: error.message, type: ERROR_CODES[error.code].type, code: error.code, param: error.param ?? null } };
}

/** The provider's message inside an error payload (also used for `{"error":…}` events mid-stream). */
export function readErrorPayload(payload: unknown): { message: string | undefined; type: string | undefined; param: string | undefined } {
  if (!isObject(payload)) return { message: undefined, type: undefined, param: undefined };
  const error = payload.error;
  if (isObject(error)) {
    return { message: stringOrUndefined(error.message), type: stringOrUndefined(error.type), param: stringOrUndefined(error.param) };
  }
  if (typeof error === 'string') return { message: error, type: undefined, param: undefined };
  // Mistral answers `{"object":"error","message":{"detail":[…]}}`; FastAPI servers `{"detail":…}`.
  return { message: asText(payload.message) ?? asText(payload.detail), type: stringOrUndefined(payload.type), param: undefined };
}

function asText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
