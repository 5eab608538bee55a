import type { StreamPart, Usage } from '../../spec/index.js';
import { STREAM_COST_FIELD, type StreamEncoder, type StreamEncoderOptions, type WireEvent } from '../codec.js';
import { sseFrame } from '../sse-frame.js';
import { withCost } from '../stream-cost.js';
import { messageIdOf } from './encode-response.js';
import { mcpToolResultBlock, mcpToolUseBlock } from './agent-blocks.js';
import { encodeAnthropicError } from './error.js';
import { encodeStopReason } from './finish-reason.js';
import { encodeUsage, mergeUsageReports } from './usage.js';
import type { AnthropicStopReason } from './wire-types.js';

type OpenBlock = { kind: 'text' | 'tool'; index: number } | { kind: 'thinking'; index: number; signed: boolean };

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * Spec stream parts → Anthropic's SSE, for callers of the native Anthropic surface. Anthropic
 * streams one content block at a time, so a part of another kind closes the open block and starts
 * the next (indexes count up from 0). `message_start` waits for the first content so that it can
 * carry the input usage the upstream reports right after its start; `message_delta` (stop reason,
 * usage) and `message_stop` are written by end(), since usage may follow the finish part.
 */
export class AnthropicStreamEncoder implements StreamEncoder {
  private started = false;
  private finished = false;
  private nextIndex = 0;
  private open: OpenBlock | undefined;
  private readonly toolBlocks = new Map<number, number>();
  private usage: Usage = { inputTokens: undefined, outputTokens: undefined };
  private stopReason: AnthropicStopReason | undefined;

  constructor(private readonly options: StreamEncoderOptions) {}

  encode(part: StreamPart): string {
    if (this.finished) return '';
    switch (part.type) {
      case 'start':
        return '';
      case 'usage':
        this.usage = mergeUsageReports(this.usage, part.usage);
        return '';
      case 'error':
        this.finished = true;
        return frame('error', encodeAnthropicError(part.error));
    }
    // Anthropic has a single choice; other choices (n > 1 upstream) cannot be shown.
    if (part.choice !== 0) return '';
    let output = this.ensureStarted();
    switch (part.type) {
      case 'text-delta':
        if (part.text === '') return output;
        if (this.open?.kind !== 'text') output += this.startBlock({ type: 'text', text: '' }, 'text');
        return output + this.delta({ type: 'text_delta', text: part.text });
      case 'reasoning-delta': {
        // A signature ends a thinking block, so reasoning after it opens a new one.
        if (this.open?.kind !== 'thinking' || this.open.signed) output += this.startBlock({ type: 'thinking', thinking: '', signature: '' }, 'thinking');
        if (part.text !== '') output += this.delta({ type: 'thinking_delta', thinking: part.text });
        if (part.signature !== undefined && part.signature !== '') {
          output += this.delta({ type: 'signature_delta', signature: part.signature });
          if (this.open?.kind === 'thinking') this.open.signed = true;
        }
        return output;
      }
      case 'redacted-reasoning':
        output += this.startBlock({ type: 'redacted_thinking', data: part.data }, 'text');
        return output + this.closeBlock();
      case 'tool-call-start':
        output += this.startBlock({ type: 'tool_use', id: part.id, name: part.name, input: {} }, 'tool');
        this.toolBlocks.set(part.index, this.open!.index);
        return output;
      case 'tool-call-delta': {
        const blockIndex = this.toolBlocks.get(part.index);
        if (blockIndex === undefined || part.argumentsDelta === '') return output;
        // Arguments of an earlier, already closed tool block (upstreams that interleave calls) still
        // go to that block's index: Anthropic's SDKs accumulate deltas by index.
        return output + frame('content_block_delta', { type: 'content_block_delta', index: blockIndex, delta: { type: 'input_json_delta', partial_json: part.argumentsDelta } });
      }
      case 'finish':
        this.stopReason = encodeStopReason(part.finishReason);
        return output + this.closeBlock();
      case 'gateway-tool-call':
        // Whole blocks, as Anthropic's MCP connector streams its own tool calls and results.
        return output + this.startBlock(mcpToolUseBlock(part.id, part.name, part.arguments), 'text') + this.closeBlock();
      case 'gateway-tool-result':
        return output + this.startBlock(mcpToolResultBlock(part.toolCallId, part.content, part.isError), 'text') + this.closeBlock();
    }
  }

  end(cost?: string): string {
    if (this.finished) return '';
    this.finished = true;
    let output = this.ensureStarted() + this.closeBlock();
    output += frame('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: this.stopReason ?? 'end_turn', stop_sequence: null },
      usage: encodeUsage(this.usage),
    });
    return output + frame('message_stop', { type: 'message_stop', ...(cost === undefined ? {} : { [STREAM_COST_FIELD]: cost }) });
  }

  /** `message_stop`: the cost rides on it. */
  holdsForCost(event: WireEvent): boolean {
    return event.event === 'message_stop';
  }

  endForwarded(held: readonly WireEvent[], cost: string): string {
    this.finished = true;
    let text = '';
    for (const event of held) text += sseFrame(withCost(event, cost));
    return text;
  }

  private ensureStarted(): string {
    if (this.started) return '';
    this.started = true;
    const usage = encodeUsage(this.usage);
    return frame('message_start', {
      type: 'message_start',
      message: { id: messageIdOf(this.options.id), type: 'message', role: 'assistant', model: this.options.model, content: [], stop_reason: null, stop_sequence: null, usage },
    });
  }

  private startBlock(contentBlock: Record<string, unknown>, kind: OpenBlock['kind']): string {
    const output = this.closeBlock();
    const index = this.nextIndex++;
    this.open = kind === 'thinking' ? { kind, index, signed: false } : { kind, index };
    return output + frame('content_block_start', { type: 'content_block_start', index, content_block: contentBlock });
  }

  private delta(delta: Record<string, unknown>): string {
    return frame('content_block_delta', { type: 'content_block_delta', index: this.open!.index, delta });
  }

  private closeBlock(): string {
    if (this.open === undefined) return '';
    const index = this.open.index;
    this.open = undefined;
    return frame('content_block_stop', { type: 'content_block_stop', index });
  }
}
