import type { FinishReason } from '../../spec/index.js';

export type ResponseStatus = 'completed' | 'incomplete';

/**
 * The Responses API has no finish reason: a response is `completed`, or `incomplete` with
 * `incomplete_details.reason` (`max_output_tokens` or `content_filter`). Tool calls show as
 * `function_call` output items, so they need no status of their own.
 */
export function encodeStatus(reason: FinishReason | undefined): { status: ResponseStatus; incompleteDetails: { reason: string } | null } {
  if (reason?.unified === 'length') return { status: 'incomplete', incompleteDetails: { reason: 'max_output_tokens' } };
  if (reason?.unified === 'content-filter') return { status: 'incomplete', incompleteDetails: { reason: 'content_filter' } };
  return { status: 'completed', incompleteDetails: null };
}

/** A response's status (and incomplete reason) → spec finish reason; `raw` keeps OpenAI's word. */
export function decodeStatus(status: unknown, incompleteReason: unknown, hasToolCalls: boolean): FinishReason {
  if (status === 'incomplete') {
    if (incompleteReason === 'max_output_tokens') return { unified: 'length', raw: incompleteReason };
    if (incompleteReason === 'content_filter') return { unified: 'content-filter', raw: incompleteReason };
    return { unified: 'other', raw: typeof incompleteReason === 'string' ? incompleteReason : 'incomplete' };
  }
  if (status === 'failed') return { unified: 'error', raw: status };
  if (hasToolCalls) return { unified: 'tool-calls', raw: typeof status === 'string' ? status : undefined };
  if (status === 'completed' || status === undefined) return { unified: 'stop', raw: typeof status === 'string' ? status : undefined };
  return { unified: 'other', raw: typeof status === 'string' ? status : undefined };
}
