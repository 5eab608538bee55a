import type { FinishReason } from '../../spec/index.js';

/** Cohere's `finish_reason` (https://docs.cohere.com/reference/chat#response.body.finish_reason) → the spec's. */
export function decodeCohereFinishReason(raw: string | undefined, hasToolCalls: boolean): FinishReason {
  switch (raw) {
    case 'COMPLETE':
    case 'STOP_SEQUENCE':
      return { unified: hasToolCalls ? 'tool-calls' : 'stop', raw };
    case 'MAX_TOKENS':
      return { unified: 'length', raw };
    case 'TOOL_CALL':
      return { unified: 'tool-calls', raw };
    case 'ERROR_TOXIC':
      return { unified: 'content-filter', raw };
    case 'ERROR':
    case 'ERROR_LIMIT':
    case 'TIMEOUT':
      return { unified: 'error', raw };
    default:
      return { unified: hasToolCalls ? 'tool-calls' : 'other', raw };
  }
}
