import type { FinishReason } from './finish-reason.js';
import type { Usage } from './usage.js';
import type { GatewayError } from './errors.js';

/**
 * One event of a streamed chat response. Decoders turn upstream events into parts; encoders turn
 * parts into the caller's dialect. `choice` is the choice index (0 unless `n` > 1).
 */
export type StreamPart =
  | { type: 'start'; id: string; model: string; created: number }
  | { type: 'text-delta'; choice: number; text: string }
  | { type: 'reasoning-delta'; choice: number; text: string; signature?: string }
  | { type: 'redacted-reasoning'; choice: number; data: string }
  /** A tool call begins. `index` is its position among this choice's tool calls. */
  | { type: 'tool-call-start'; choice: number; index: number; id: string; name: string }
  | { type: 'tool-call-delta'; choice: number; index: number; argumentsDelta: string }
  | { type: 'finish'; choice: number; finishReason: FinishReason }
  /** Usage so far; later usage parts replace earlier fields they set. */
  | { type: 'usage'; usage: Usage }
  | { type: 'error'; error: GatewayError }
  /** Agent mode: a tool call the gateway runs itself (not one for the caller to run); `arguments` is the whole JSON text. */
  | { type: 'gateway-tool-call'; choice: number; id: string; name: string; arguments: string }
  /** Agent mode: the result of a `gateway-tool-call`, as fed back to the model. */
  | { type: 'gateway-tool-result'; choice: number; toolCallId: string; name: string; content: string; isError: boolean };

/** True for parts that carry content the caller sees (used to decide when a stream has committed). */
export function isContentPart(part: StreamPart): boolean {
  return (
    part.type === 'text-delta' ||
    part.type === 'reasoning-delta' ||
    part.type === 'redacted-reasoning' ||
    part.type === 'tool-call-start' ||
    part.type === 'tool-call-delta' ||
    part.type === 'finish' ||
    part.type === 'gateway-tool-call' ||
    part.type === 'gateway-tool-result'
  );
}
