import { randomUUID } from 'node:crypto';
import { GatewayError, type StreamPart } from '../../spec/index.js';
import type { StreamDecoder, WireEvent } from '../codec.js';
import { decodeBedrockStreamException } from './error.js';
import { decodeStopReason } from './finish-reason.js';
import { decodeUsage } from './usage.js';
import { ERROR_EVENT_PREFIX, EXCEPTION_EVENT_PREFIX, isRecord, stringOf } from './wire-types.js';

const CHOICE = 0;

/**
 * ConverseStream events → spec stream parts (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html).
 * Each event is one AWS event-stream frame whose `:event-type` is the event name and whose payload
 * is the member's JSON: messageStart, contentBlockStart (tool use only), contentBlockDelta (text,
 * toolUse.input, reasoningContent), contentBlockStop, messageStop (stopReason) and metadata (usage),
 * which comes after messageStop. Exception frames become error parts.
 */
export class BedrockStreamDecoder implements StreamDecoder {
  private stopped = false;
  private failed = false;
  private toolCount = 0;
  private readonly toolIndexByBlock = new Map<number, number>();

  decode(event: WireEvent): StreamPart[] {
    const name = event.event ?? '';
    if (name.startsWith(EXCEPTION_EVENT_PREFIX) || name.startsWith(ERROR_EVENT_PREFIX)) {
      this.failed = true;
      const type = name.startsWith(EXCEPTION_EVENT_PREFIX) ? name.slice(EXCEPTION_EVENT_PREFIX.length) : name.slice(ERROR_EVENT_PREFIX.length);
      return [{ type: 'error', error: decodeBedrockStreamException(type, event.data) }];
    }
    let payload: unknown;
    try {
      payload = JSON.parse(event.data);
    } catch {
      throw new GatewayError('upstream_invalid_response', `Bedrock sent a ${name || 'stream'} event that is not JSON.`, { retryable: true });
    }
    if (!isRecord(payload)) return [];
    switch (name) {
      case 'messageStart':
        return [{ type: 'start', id: `bedrock-${randomUUID()}`, model: '', created: Math.floor(Date.now() / 1000) }];
      case 'contentBlockStart':
        return this.blockStart(payload);
      case 'contentBlockDelta':
        return this.blockDelta(payload);
      case 'messageStop':
        this.stopped = true;
        return [{ type: 'finish', choice: CHOICE, finishReason: decodeStopReason(payload.stopReason) }];
      case 'metadata':
        return isRecord(payload.usage) ? [{ type: 'usage', usage: decodeUsage(payload.usage) }] : [];
      default:
        // contentBlockStop and events added later carry nothing the spec needs.
        return [];
    }
  }

  end(): StreamPart[] {
    if (this.stopped || this.failed) return [];
    this.failed = true;
    return [{ type: 'error', error: new GatewayError('upstream_stream_error', 'The Bedrock stream ended before messageStop.', { retryable: true }) }];
  }

  private blockIndex(payload: Record<string, unknown>): number {
    return typeof payload.contentBlockIndex === 'number' ? payload.contentBlockIndex : -1;
  }

  private blockStart(payload: Record<string, unknown>): StreamPart[] {
    const start = isRecord(payload.start) ? payload.start : {};
    if (!isRecord(start.toolUse)) return [];
    const toolIndex = this.toolCount++;
    this.toolIndexByBlock.set(this.blockIndex(payload), toolIndex);
    return [{ type: 'tool-call-start', choice: CHOICE, index: toolIndex, id: stringOf(start.toolUse.toolUseId) ?? '', name: stringOf(start.toolUse.name) ?? '' }];
  }

  private blockDelta(payload: Record<string, unknown>): StreamPart[] {
    const delta = isRecord(payload.delta) ? payload.delta : {};
    if (typeof delta.text === 'string') return delta.text === '' ? [] : [{ type: 'text-delta', choice: CHOICE, text: delta.text }];
    if (isRecord(delta.toolUse)) {
      const toolIndex = this.toolIndexByBlock.get(this.blockIndex(payload));
      const input = stringOf(delta.toolUse.input) ?? '';
      if (toolIndex === undefined || input === '') return [];
      return [{ type: 'tool-call-delta', choice: CHOICE, index: toolIndex, argumentsDelta: input }];
    }
    if (isRecord(delta.reasoningContent)) {
      const reasoning = delta.reasoningContent;
      if (typeof reasoning.text === 'string') return reasoning.text === '' ? [] : [{ type: 'reasoning-delta', choice: CHOICE, text: reasoning.text }];
      if (typeof reasoning.signature === 'string') return [{ type: 'reasoning-delta', choice: CHOICE, text: '', signature: reasoning.signature }];
      if (typeof reasoning.redactedContent === 'string') return [{ type: 'redacted-reasoning', choice: CHOICE, data: reasoning.redactedContent }];
    }
    return [];
  }
}
