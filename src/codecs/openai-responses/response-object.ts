import type { FinishReason, Usage } from '../../spec/index.js';
import { encodeStatus } from './status.js';
import { encodeResponsesUsage } from './usage.js';

export type ResponseLifecycle = 'queued' | 'in_progress' | 'completed' | 'incomplete' | 'failed' | 'cancelled';

export interface ResponseEnvelope {
  id: string;
  model: string;
  /** Unix seconds. */
  createdAt: number;
  output: Record<string, unknown>[];
  status: ResponseLifecycle;
  usage?: Usage;
  finishReason?: FinishReason;
  error?: { code: string; message: string };
  /** Fields that echo the request (`store`, `previous_response_id`, `instructions`, `metadata`, …), over the defaults. */
  echo?: Readonly<Record<string, unknown>>;
}

/**
 * A Responses `response` object. Fields that echo the request (`instructions`, `tools`,
 * `temperature`, `store`, …) carry their defaults unless the envelope's `echo` gives them.
 */
export function responseObject(envelope: ResponseEnvelope): Record<string, unknown> {
  const finished = envelope.status === 'completed' || envelope.status === 'incomplete';
  const incompleteDetails = envelope.status === 'incomplete' ? encodeStatus(envelope.finishReason).incompleteDetails : null;
  return {
    id: envelope.id,
    object: 'response',
    created_at: envelope.createdAt,
    status: envelope.status,
    ...(finished ? { completed_at: Math.floor(Date.now() / 1000) } : {}),
    background: false,
    error: envelope.error ?? null,
    incomplete_details: incompleteDetails,
    instructions: null,
    max_output_tokens: null,
    metadata: {},
    model: envelope.model,
    output: envelope.output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: null,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: null,
    truncation: 'disabled',
    usage: envelope.usage === undefined ? null : encodeResponsesUsage(envelope.usage),
    user: null,
    ...envelope.echo,
  };
}

export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export function messageItem(id: string, text: string | undefined, status: ItemStatus): Record<string, unknown> {
  return { id, type: 'message', status, role: 'assistant', content: text === undefined ? [] : [outputTextPart(text)] };
}

export function outputTextPart(text: string): Record<string, unknown> {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

export function refusalPart(refusal: string): Record<string, unknown> {
  return { type: 'refusal', refusal };
}

export function functionCallItem(id: string, callId: string, name: string, args: string, status: ItemStatus): Record<string, unknown> {
  return { id, type: 'function_call', status, arguments: args, call_id: callId, name };
}

/** A reasoning item; a provider's signature (or encrypted reasoning) travels as `encrypted_content` so that it comes back on the next turn. */
export function reasoningItem(id: string, summary: string | undefined, encrypted: string | undefined, status?: ItemStatus): Record<string, unknown> {
  return {
    id,
    type: 'reasoning',
    summary: summary === undefined ? [] : [{ type: 'summary_text', text: summary }],
    ...(encrypted === undefined ? {} : { encrypted_content: encrypted }),
    ...(status === undefined ? {} : { status }),
  };
}
