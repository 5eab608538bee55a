/**
 * The parts of Amazon Bedrock's Converse API wire format this codec reads and writes, named as on
 * the wire. Reference: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 * and .../API_runtime_ConverseStream.html. Binary values (image, document bytes) travel as base64
 * strings in the JSON body.
 */

export const BEDROCK_CONVERSE_DIALECT = 'bedrock-converse';

/**
 * How the AWS event-stream transport names an exception frame (`:message-type: exception`): the
 * `:exception-type` header (e.g. `throttlingException`) behind this prefix, so it cannot be
 * mistaken for an event of the same name. Frames of `:message-type: error` come as
 * `error:<:error-code>`. See src/providers/transport/aws-event-stream.ts.
 */
export const EXCEPTION_EVENT_PREFIX = 'exception:';
export const ERROR_EVENT_PREFIX = 'error:';

export type ConverseRole = 'user' | 'assistant';

/** One `ContentBlock` union member; exactly one key is set. */
export type ConverseContentBlock = Record<string, unknown>;

export interface ConverseMessage {
  role: ConverseRole;
  content: ConverseContentBlock[];
}

export const CONVERSE_STOP_REASONS = [
  'end_turn',
  'tool_use',
  'max_tokens',
  'stop_sequence',
  'guardrail_intervened',
  'content_filtered',
  'model_context_window_exceeded',
  'malformed_model_output',
  'malformed_tool_use',
] as const;
export type ConverseStopReason = (typeof CONVERSE_STOP_REASONS)[number];

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
