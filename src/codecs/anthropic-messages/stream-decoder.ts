import { GatewayError, type StreamPart } from '../../spec/index.js';
import type { StreamDecoder, WireEvent } from '../codec.js';
import { decodeAnthropicStreamError } from './error.js';
import { decodeStopReason } from './finish-reason.js';
import { decodeUsage, mergeWireUsage } from './usage.js';
import { isRecord, type AnthropicUsage } from './wire-types.js';

const CHOICE = 0;

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Decodes Anthropic's stream: `message_start`, then per content block `content_block_start`,
 * `content_block_delta`s and `content_block_stop`, then `message_delta` (stop reason, cumulative
 * usage) and `message_stop`; `ping` anywhere and `error` when the upstream fails mid-stream.
 * https://docs.anthropic.com/en/docs/build-with-claude/streaming
 */
export class AnthropicStreamDecoder implements StreamDecoder {
  /** Content block index → tool call index among this message's tool calls. */
  private readonly toolIndexByBlock = new Map<number, number>();
  private toolCount = 0;
  private usage: AnthropicUsage = {};
  private ended = false;

  decode(event: WireEvent): StreamPart[] {
    if (this.ended) return [];
    let payload: unknown;
    try {
      payload = JSON.parse(event.data);
    } catch {
      this.ended = true;
      return [{ type: 'error', error: new GatewayError('upstream_invalid_response', `Anthropic sent a stream event that is not JSON (${event.event ?? 'no event name'}).`, { retryable: true }) }];
    }
    if (!isRecord(payload)) return [];
    // The payload's `type` repeats the SSE event name; it is what Anthropic documents as authoritative.
    const type = stringOf(payload.type) ?? event.event;
    switch (type) {
      case 'message_start':
        return this.messageStart(payload.message);
      case 'content_block_start':
        return this.blockStart(payload);
      case 'content_block_delta':
        return this.blockDelta(payload);
      case 'message_delta':
        return this.messageDelta(payload);
      case 'message_stop':
        this.ended = true;
        return [];
      case 'error':
        this.ended = true;
        return [{ type: 'error', error: decodeAnthropicStreamError(payload) }];
      default:
        // ping, content_block_stop and event types added later carry nothing the spec needs.
        return [];
    }
  }

  end(): StreamPart[] {
    if (this.ended) return [];
    this.ended = true;
    return [{ type: 'error', error: new GatewayError('upstream_stream_error', 'The Anthropic stream ended before message_stop.', { retryable: true }) }];
  }

  private messageStart(message: unknown): StreamPart[] {
    if (!isRecord(message)) return [];
    const parts: StreamPart[] = [{ type: 'start', id: stringOf(message.id) ?? '', model: stringOf(message.model) ?? '', created: Math.floor(Date.now() / 1000) }];
    if (isRecord(message.usage)) {
      this.usage = mergeWireUsage({}, message.usage);
      parts.push({ type: 'usage', usage: decodeUsage(this.usage) });
    }
    return parts;
  }

  private blockStart(payload: Record<string, unknown>): StreamPart[] {
    const index = typeof payload.index === 'number' ? payload.index : -1;
    const block = isRecord(payload.content_block) ? payload.content_block : {};
    switch (block.type) {
      case 'text': {
        const text = stringOf(block.text) ?? '';
        return text === '' ? [] : [{ type: 'text-delta', choice: CHOICE, text }];
      }
      case 'thinking': {
        // Usually empty at the start, but a block may arrive with its signature already set.
        const text = stringOf(block.thinking) ?? '';
        const signature = stringOf(block.signature) ?? '';
        if (text === '' && signature === '') return [];
        return [{ type: 'reasoning-delta', choice: CHOICE, text, ...(signature === '' ? {} : { signature }) }];
      }
      case 'redacted_thinking':
        return [{ type: 'redacted-reasoning', choice: CHOICE, data: stringOf(block.data) ?? '' }];
      case 'tool_use': {
        const toolIndex = this.toolCount++;
        this.toolIndexByBlock.set(index, toolIndex);
        const parts: StreamPart[] = [{ type: 'tool-call-start', choice: CHOICE, index: toolIndex, id: stringOf(block.id) ?? '', name: stringOf(block.name) ?? '' }];
        // The input streams as input_json_delta and starts as `{}`; anything else is sent whole here.
        if (isRecord(block.input) && Object.keys(block.input).length > 0) {
          parts.push({ type: 'tool-call-delta', choice: CHOICE, index: toolIndex, argumentsDelta: JSON.stringify(block.input) });
        }
        return parts;
      }
      default:
        return [];
    }
  }

  private blockDelta(payload: Record<string, unknown>): StreamPart[] {
    const delta = isRecord(payload.delta) ? payload.delta : {};
    switch (delta.type) {
      case 'text_delta': {
        const text = stringOf(delta.text) ?? '';
        return text === '' ? [] : [{ type: 'text-delta', choice: CHOICE, text }];
      }
      case 'thinking_delta': {
        const text = stringOf(delta.thinking) ?? '';
        return text === '' ? [] : [{ type: 'reasoning-delta', choice: CHOICE, text }];
      }
      case 'signature_delta':
        return [{ type: 'reasoning-delta', choice: CHOICE, text: '', signature: stringOf(delta.signature) ?? '' }];
      case 'input_json_delta': {
        const toolIndex = this.toolIndexByBlock.get(typeof payload.index === 'number' ? payload.index : -1);
        const json = stringOf(delta.partial_json) ?? '';
        if (toolIndex === undefined || json === '') return [];
        return [{ type: 'tool-call-delta', choice: CHOICE, index: toolIndex, argumentsDelta: json }];
      }
      default:
        return [];
    }
  }

  private messageDelta(payload: Record<string, unknown>): StreamPart[] {
    const parts: StreamPart[] = [];
    const delta = isRecord(payload.delta) ? payload.delta : {};
    const stopReason = stringOf(delta.stop_reason);
    if (stopReason !== undefined) parts.push({ type: 'finish', choice: CHOICE, finishReason: decodeStopReason(stopReason) });
    if (isRecord(payload.usage)) {
      this.usage = mergeWireUsage(this.usage, payload.usage);
      parts.push({ type: 'usage', usage: decodeUsage(this.usage) });
    }
    return parts;
  }
}
