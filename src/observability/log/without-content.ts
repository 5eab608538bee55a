import type { RequestRecord } from './request-record.js';

/**
 * A record as a `finance` console session sees it: costs, tokens, timing and ids, but none of what
 * was said — the request and response bodies (prompts, answers, tool arguments) and the error
 * message (an upstream's message may quote the prompt) are null.
 */
export function withoutContent<Record extends RequestRecord>(record: Record): Record {
  if (record.request_content === null && record.response_content === null && record.error_message === null) return record;
  return { ...record, request_content: null, response_content: null, error_message: null };
}
