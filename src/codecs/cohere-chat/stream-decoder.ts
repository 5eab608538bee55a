import { randomUUID } from 'node:crypto';
import { GatewayError, type StreamPart } from '../../spec/index.js';
import type { StreamDecoder, WireEvent } from '../codec.js';
import { decodeCohereFinishReason } from './finish-reason.js';
import { decodeCohereUsage } from './usage.js';
import { isRecord } from './wire.js';

/** `delta.message` of an event, or an empty object. */
function messageOf(event: Record<string, unknown>): Record<string, unknown> {
  const delta = isRecord(event.delta) ? event.delta : {};
  return isRecord(delta.message) ? delta.message : {};
}

/**
 * Decodes Cohere's v2 chat stream (https://docs.cohere.com/reference/chat-stream): SSE events
 * whose JSON names its `type`: `message-start`, `content-start`/`-delta`/`-end` (text or
 * thinking), `tool-plan-delta`, `tool-call-start`/`-delta`/`-end`, `citation-start`/`-end`, and
 * `message-end` with the finish reason and usage. Tool calls are numbered by their own `index`.
 * A stream that closes before `message-end` is an error.
 */
export class CohereStreamDecoder implements StreamDecoder {
  private started = false;
  private finished = false;
  private toolCalls = 0;
  /** Content block index → its kind, from `content-start`. */
  private readonly blocks = new Map<number, 'text' | 'thinking'>();

  decode(event: WireEvent): StreamPart[] {
    const data = event.data.trim();
    if (data.length === 0 || data === '[DONE]') return [];
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      return [fail('Cohere sent a stream event that is not JSON.')];
    }
    if (!isRecord(payload)) return [fail('Cohere sent a stream event that is not an object.')];
    const type = typeof payload.type === 'string' ? payload.type : event.event;
    const parts: StreamPart[] = [];
    if (!this.started && type !== undefined) {
      this.started = true;
      parts.push({ type: 'start', id: typeof payload.id === 'string' ? payload.id : `cohere-${randomUUID()}`, model: '', created: Math.floor(Date.now() / 1000) });
    }
    const index = typeof payload.index === 'number' ? payload.index : 0;
    const message = messageOf(payload);
    switch (type) {
      case 'content-start': {
        const content = isRecord(message.content) ? message.content : {};
        const kind = content.type === 'thinking' ? 'thinking' : 'text';
        this.blocks.set(index, kind);
        this.pushContent(parts, kind, content);
        break;
      }
      case 'content-delta': {
        const content = isRecord(message.content) ? message.content : {};
        this.pushContent(parts, this.blocks.get(index) ?? (typeof content.thinking === 'string' ? 'thinking' : 'text'), content);
        break;
      }
      case 'tool-plan-delta':
        if (typeof message.tool_plan === 'string' && message.tool_plan.length > 0) parts.push({ type: 'text-delta', choice: 0, text: message.tool_plan });
        break;
      case 'tool-call-start': {
        const call = isRecord(message.tool_calls) ? message.tool_calls : {};
        const fn = isRecord(call.function) ? call.function : {};
        const position = this.toolCalls++;
        parts.push({ type: 'tool-call-start', choice: 0, index: position, id: typeof call.id === 'string' ? call.id : `call_${position}`, name: typeof fn.name === 'string' ? fn.name : '' });
        if (typeof fn.arguments === 'string' && fn.arguments.length > 0) parts.push({ type: 'tool-call-delta', choice: 0, index: position, argumentsDelta: fn.arguments });
        break;
      }
      case 'tool-call-delta': {
        const call = isRecord(message.tool_calls) ? message.tool_calls : {};
        const fn = isRecord(call.function) ? call.function : {};
        if (typeof fn.arguments === 'string' && fn.arguments.length > 0 && this.toolCalls > 0) parts.push({ type: 'tool-call-delta', choice: 0, index: this.toolCalls - 1, argumentsDelta: fn.arguments });
        break;
      }
      case 'message-end': {
        const delta = isRecord(payload.delta) ? payload.delta : {};
        if (isRecord(delta.error) || typeof delta.error === 'string') {
          this.finished = true;
          const text = typeof delta.error === 'string' ? delta.error : String(delta.error.message ?? 'no message');
          parts.push(fail(`Cohere stream error: ${text}`));
          break;
        }
        this.finished = true;
        parts.push({ type: 'finish', choice: 0, finishReason: decodeCohereFinishReason(typeof delta.finish_reason === 'string' ? delta.finish_reason : undefined, this.toolCalls > 0) });
        if (isRecord(delta.usage)) parts.push({ type: 'usage', usage: decodeCohereUsage(delta.usage) });
        break;
      }
      default:
        // message-start, content-end, tool-call-end, citation-start/-end and debug events carry nothing to decode.
        break;
    }
    return parts;
  }

  end(): StreamPart[] {
    return this.finished ? [] : [fail('The Cohere stream ended before message-end.')];
  }

  private pushContent(parts: StreamPart[], kind: 'text' | 'thinking', content: Record<string, unknown>): void {
    if (kind === 'thinking') {
      if (typeof content.thinking === 'string' && content.thinking.length > 0) parts.push({ type: 'reasoning-delta', choice: 0, text: content.thinking });
    } else if (typeof content.text === 'string' && content.text.length > 0) parts.push({ type: 'text-delta', choice: 0, text: content.text });
  }
}

function fail(message: string): StreamPart {
  return { type: 'error', error: new GatewayError('upstream_stream_error', message, { retryable: true }) };
}
