import { GatewayError, type StreamPart } from '../../spec/index.js';
import type { StreamDecoder, WireEvent } from '../codec.js';
import { isObject, numberOrUndefined, stringOrUndefined, type JsonObject } from '../openai-chat/read-fields.js';
import { decodeStatus } from './status.js';
import { decodeResponsesUsage } from './usage.js';

/**
 * Decodes the Responses API's semantic SSE events. The event type is read from the payload's
 * `type` (the SSE `event:` line repeats it). Text, reasoning summaries and function-call
 * arguments become deltas; `response.completed` / `response.incomplete` give the finish and usage;
 * `error` and `response.failed` end the stream with an error part.
 */
export class ResponsesStreamDecoder implements StreamDecoder {
  private started = false;
  private finished = false;
  private failed = false;
  /** Function-call output items by `output_index`: our tool-call index and how much of the arguments was streamed. */
  private readonly calls = new Map<number, { index: number; streamed: number }>();

  decode(event: WireEvent): StreamPart[] {
    if (this.finished || this.failed) return [];
    const data = event.data.trim();
    if (data.length === 0 || data === '[DONE]') return [];
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      return this.fail(`The upstream sent a stream event that is not JSON: ${data.slice(0, 200)}`);
    }
    if (!isObject(payload)) return this.fail('The upstream sent a stream event that is not a JSON object.');
    const type = stringOrUndefined(payload.type) ?? event.event;
    const outputIndex = numberOrUndefined(payload.output_index) ?? 0;
    switch (type) {
      case 'response.created':
      case 'response.in_progress':
        return this.start(payload.response);
      case 'response.output_item.added':
        return [...this.start(undefined), ...this.itemAdded(payload.item, outputIndex)];
      case 'response.output_text.delta':
      case 'response.refusal.delta':
        return this.delta(payload.delta, (text) => ({ type: 'text-delta', choice: 0, text }));
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        return this.delta(payload.delta, (text) => ({ type: 'reasoning-delta', choice: 0, text }));
      case 'response.reasoning_summary_part.added': {
        // Summary parts are separate paragraphs; keep them apart in the joined text.
        const summaryIndex = numberOrUndefined(payload.summary_index) ?? 0;
        return summaryIndex > 0 ? [{ type: 'reasoning-delta', choice: 0, text: '\n\n' }] : [];
      }
      case 'response.function_call_arguments.delta':
        return this.argumentsDelta(outputIndex, stringOrUndefined(payload.delta) ?? '');
      case 'response.function_call_arguments.done':
        return this.argumentsDone(outputIndex, stringOrUndefined(payload.arguments) ?? '');
      case 'response.output_item.done':
        return this.itemDone(payload.item, outputIndex);
      case 'response.completed':
      case 'response.incomplete':
        return this.finish(payload.response);
      case 'response.failed': {
        const response = isObject(payload.response) ? payload.response : {};
        const message = isObject(response.error) ? stringOrUndefined(response.error.message) : undefined;
        return this.fail(message ?? 'The upstream reported the response as failed.');
      }
      case 'error':
        return this.fail(stringOrUndefined(payload.message) ?? 'The upstream reported an error inside the stream.', payload.code !== 'invalid_request_error');
      default:
        return [];
    }
  }

  end(): StreamPart[] {
    if (this.finished || this.failed) return [];
    this.failed = true;
    return [{ type: 'error', error: new GatewayError('upstream_stream_error', 'The upstream stream ended before `response.completed`.', { retryable: true }) }];
  }

  private start(response: unknown): StreamPart[] {
    if (this.started) return [];
    this.started = true;
    const body: JsonObject = isObject(response) ? response : {};
    return [{ type: 'start', id: stringOrUndefined(body.id) ?? '', model: stringOrUndefined(body.model) ?? '', created: numberOrUndefined(body.created_at) ?? Math.floor(Date.now() / 1000) }];
  }

  private itemAdded(item: unknown, outputIndex: number): StreamPart[] {
    if (!isObject(item) || item.type !== 'function_call') return [];
    const index = this.calls.size;
    this.calls.set(outputIndex, { index, streamed: 0 });
    const parts: StreamPart[] = [{ type: 'tool-call-start', choice: 0, index, id: stringOrUndefined(item.call_id) ?? stringOrUndefined(item.id) ?? `call_${index}`, name: stringOrUndefined(item.name) ?? '' }];
    const args = stringOrUndefined(item.arguments) ?? '';
    return parts.concat(this.argumentsDelta(outputIndex, args));
  }

  private argumentsDelta(outputIndex: number, delta: string): StreamPart[] {
    const call = this.calls.get(outputIndex);
    if (call === undefined || delta.length === 0) return [];
    call.streamed += delta.length;
    return [{ type: 'tool-call-delta', choice: 0, index: call.index, argumentsDelta: delta }];
  }

  /** Servers that send the arguments only whole, in the `.done` event, still get them through. */
  private argumentsDone(outputIndex: number, args: string): StreamPart[] {
    const call = this.calls.get(outputIndex);
    if (call === undefined || call.streamed > 0) return [];
    return this.argumentsDelta(outputIndex, args);
  }

  private itemDone(item: unknown, outputIndex: number): StreamPart[] {
    if (!isObject(item)) return [];
    if (item.type === 'function_call') return this.argumentsDone(outputIndex, stringOrUndefined(item.arguments) ?? '');
    // Encrypted reasoning arrives whole on the finished item; it rides as the reasoning's signature.
    if (item.type === 'reasoning') {
      const encrypted = stringOrUndefined(item.encrypted_content);
      if (encrypted !== undefined && encrypted.length > 0) return [{ type: 'reasoning-delta', choice: 0, text: '', signature: encrypted }];
    }
    return [];
  }

  private delta(value: unknown, make: (text: string) => StreamPart): StreamPart[] {
    const text = stringOrUndefined(value);
    return text === undefined || text.length === 0 ? [] : [...this.start(undefined), make(text)];
  }

  private finish(response: unknown): StreamPart[] {
    this.finished = true;
    const body: JsonObject = isObject(response) ? response : {};
    const incompleteReason = isObject(body.incomplete_details) ? body.incomplete_details.reason : undefined;
    const parts: StreamPart[] = [...this.start(body)];
    parts.push({ type: 'finish', choice: 0, finishReason: decodeStatus(body.status, incompleteReason, this.calls.size > 0) });
    if (isObject(body.usage)) parts.push({ type: 'usage', usage: decodeResponsesUsage(body.usage) });
    return parts;
  }

  private fail(message: string, retryable = true): StreamPart[] {
    this.failed = true;
    return [{ type: 'error', error: new GatewayError('upstream_stream_error', message, { retryable }) }];
  }
}
