import { STREAM_COST_FIELD, type StreamEncoder, type StreamEncoderOptions, type WireEvent } from '../codec.js';
import { sseFrame } from '../sse-frame.js';
import { withCost } from '../stream-cost.js';
import type { StreamPart, Usage } from '../../spec/index.js';
import { AGENT_FIELD, encodeAgentStep } from './agent-trail.js';
import { encodeOpenAIError } from './error.js';
import { encodeFinishReason } from './finish-reason.js';
import { encodeUsage } from './usage.js';

/**
 * Renders stream parts as OpenAI `chat.completion.chunk` SSE frames: a role chunk first, deltas,
 * a finish chunk per choice, then (with `include_usage`) a usage chunk with empty `choices`, then
 * `data: [DONE]`. Every chunk shares the id, created time and model given at construction.
 */
export class OpenAIChatStreamEncoder implements StreamEncoder {
  private readonly rolesSent = new Set<number>();
  private usage: Usage | undefined;
  private failed = false;
  private ended = false;

  constructor(private readonly options: StreamEncoderOptions) {}

  encode(part: StreamPart): string {
    if (this.ended) return '';
    switch (part.type) {
      case 'start':
        return this.roleChunk(0);
      case 'text-delta':
        return this.delta(part.choice, { content: part.text });
      case 'reasoning-delta':
        // Not OpenAI's own field; DeepSeek's name, which most OpenAI-compatible clients read.
        return this.delta(part.choice, { reasoning_content: part.text });
      case 'redacted-reasoning':
        return '';
      case 'tool-call-start':
        return this.delta(part.choice, { tool_calls: [{ index: part.index, id: part.id, type: 'function', function: { name: part.name, arguments: '' } }] });
      case 'tool-call-delta':
        return this.delta(part.choice, { tool_calls: [{ index: part.index, function: { arguments: part.argumentsDelta } }] });
      case 'finish':
        return this.roleChunk(part.choice) + this.frame([{ index: part.choice, delta: {}, logprobs: null, finish_reason: encodeFinishReason(part.finishReason) }]);
      case 'usage':
        this.usage = { ...this.usage, ...definedFields(part.usage) } as Usage;
        return '';
      case 'error':
        this.failed = true;
        return `data: ${JSON.stringify(encodeOpenAIError(part.error))}\n\n`;
      case 'gateway-tool-call':
      case 'gateway-tool-result':
        // OpenAI's chat format has no tool the server runs itself: a chunk with no choices (SDKs skip it) carries the step.
        return this.roleChunk(part.choice) + this.frame([], undefined, { [AGENT_FIELD]: encodeAgentStep(part) });
    }
  }

  end(cost?: string): string {
    if (this.ended) return '';
    this.ended = true;
    let text = '';
    // The cost rides on the usage chunk (so only with `include_usage`), as `x_tollgate_cost`.
    if (this.options.includeUsage && this.usage !== undefined && !this.failed) text += this.frame([], { ...encodeUsage(this.usage), ...(cost === undefined ? {} : { [STREAM_COST_FIELD]: cost }) });
    return `${text}data: [DONE]\n\n`;
  }

  /**
   * The usage chunk (it gets the cost) and `[DONE]` (which must stay last). A chunk that decodes to
   * nothing but usage (or to nothing: the decoder may report usage at the end) and has a usage
   * object is the usage chunk; content chunks are never searched.
   */
  holdsForCost(event: WireEvent, parts: readonly StreamPart[]): boolean {
    return holdsUsageOrDone(event, parts);
  }

  endForwarded(held: readonly WireEvent[], cost: string): string {
    this.ended = true;
    return usageWithCost(held, cost);
  }

  /** The `role: assistant` chunk OpenAI opens each choice with, once per choice. */
  private roleChunk(choice: number): string {
    if (this.rolesSent.has(choice)) return '';
    this.rolesSent.add(choice);
    return this.frame([{ index: choice, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
  }

  private delta(choice: number, delta: Record<string, unknown>): string {
    return this.roleChunk(choice) + this.frame([{ index: choice, delta, logprobs: null, finish_reason: null }]);
  }

  private frame(choices: unknown[], usage?: Record<string, unknown>, extension?: Record<string, unknown>): string {
    const { id, created, model, includeUsage } = this.options;
    const chunk: Record<string, unknown> = { id, object: 'chat.completion.chunk', created, model, choices, ...extension };
    // With include_usage OpenAI sends `usage: null` on every chunk but the last.
    if (includeUsage) chunk.usage = usage ?? null;
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }
}

function definedFields(usage: Usage): Partial<Usage> {
  const fields: Partial<Usage> = {};
  for (const [key, value] of Object.entries(usage) as [keyof Usage, number | undefined][]) if (value !== undefined) fields[key] = value;
  return fields;
}

/** An OpenAI-dialect stream's usage chunk or its `[DONE]`: the events held back so the cost can ride on the usage chunk. */
export function holdsUsageOrDone(event: WireEvent, parts: readonly StreamPart[]): boolean {
  if (event.data === '[DONE]') return true;
  for (const part of parts) if (part.type !== 'usage') return false;
  return event.data.includes('"usage":{');
}

/** The held usage chunk with the cost added, then `[DONE]`, as SSE frames. */
export function usageWithCost(held: readonly WireEvent[], cost: string): string {
  let text = '';
  for (const event of held) text += sseFrame(event.data === '[DONE]' ? event : withCost(event, cost));
  return text;
}
