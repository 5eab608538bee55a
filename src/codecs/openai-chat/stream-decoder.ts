import type { StreamDecoder, WireEvent } from '../codec.js';
import { GatewayError, type StreamPart } from '../../spec/index.js';
import { decodeFinishReason } from './finish-reason.js';
import { readErrorPayload } from './error.js';
import { isObject, numberOrUndefined, stringOrUndefined, type JsonObject } from './read-fields.js';
import { decodeUsage } from './usage.js';

/**
 * Decodes OpenAI `chat.completion.chunk` events. Usage may arrive in a final chunk with empty
 * `choices` (OpenAI with `include_usage`), beside the finish (Mistral, Together) or under
 * `x_groq.usage` (Groq); it is reported wherever it appears.
 */
export class OpenAIChatStreamDecoder implements StreamDecoder {
  private started = false;
  private finished = false;
  private failed = false;
  private done = false;
  /** Per choice: upstream tool-call index → our position and the call's id. */
  private readonly toolCalls = new Map<number, { byUpstreamIndex: Map<number, { index: number; id: string }>; count: number }>();

  decode(event: WireEvent): StreamPart[] {
    if (this.done || this.failed) return [];
    const data = event.data.trim();
    if (data === '[DONE]') {
      this.done = true;
      return [];
    }
    if (data.length === 0) return [];
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      return this.fail(`The upstream sent a stream event that is not JSON: ${data.slice(0, 200)}`);
    }
    if (!isObject(chunk)) return this.fail('The upstream sent a stream event that is not a JSON object.');
    if (chunk.error !== undefined && chunk.error !== null) {
      const { message, type } = readErrorPayload(chunk);
      return this.fail(message ?? 'The upstream reported an error inside the stream.', type !== 'invalid_request_error');
    }
    const parts: StreamPart[] = [];
    if (!this.started) {
      this.started = true;
      parts.push({
        type: 'start',
        id: stringOrUndefined(chunk.id) ?? '',
        model: stringOrUndefined(chunk.model) ?? '',
        created: numberOrUndefined(chunk.created) ?? Math.floor(Date.now() / 1000),
      });
    }
    if (Array.isArray(chunk.choices)) for (const choice of chunk.choices) if (isObject(choice)) this.decodeChoice(choice, parts);
    const usage = isObject(chunk.usage) ? chunk.usage : isObject(chunk.x_groq) && isObject(chunk.x_groq.usage) ? chunk.x_groq.usage : undefined;
    if (usage !== undefined) parts.push({ type: 'usage', usage: decodeUsage(usage) });
    return parts;
  }

  end(): StreamPart[] {
    if (this.finished || this.failed) return [];
    this.failed = true;
    const message = this.done ? 'The upstream stream ended without a finish reason.' : 'The upstream stream ended before it was complete.';
    return [{ type: 'error', error: new GatewayError('upstream_stream_error', message, { retryable: true }) }];
  }

  private decodeChoice(choice: JsonObject, parts: StreamPart[]): void {
    const index = numberOrUndefined(choice.index) ?? 0;
    const delta: JsonObject = isObject(choice.delta) ? choice.delta : {};
    const reasoning = stringOrUndefined(delta.reasoning_content) ?? stringOrUndefined(delta.reasoning);
    if (reasoning !== undefined && reasoning.length > 0) parts.push({ type: 'reasoning-delta', choice: index, text: reasoning });
    const content = stringOrUndefined(delta.content);
    if (content !== undefined && content.length > 0) parts.push({ type: 'text-delta', choice: index, text: content });
    // No refusal stream part exists; a streamed refusal is shown to the caller as text.
    const refusal = stringOrUndefined(delta.refusal);
    if (refusal !== undefined && refusal.length > 0) parts.push({ type: 'text-delta', choice: index, text: refusal });
    if (Array.isArray(delta.tool_calls)) {
      for (const call of delta.tool_calls) if (isObject(call)) this.decodeToolCall(index, call, parts);
    }
    if (isObject(delta.function_call)) this.decodeToolCall(index, { index: 0, id: delta.function_call.name, function: delta.function_call }, parts);
    if (choice.finish_reason !== undefined && choice.finish_reason !== null) {
      this.finished = true;
      parts.push({ type: 'finish', choice: index, finishReason: decodeFinishReason(choice.finish_reason) });
    }
  }

  private decodeToolCall(choice: number, call: JsonObject, parts: StreamPart[]): void {
    let calls = this.toolCalls.get(choice);
    if (calls === undefined) this.toolCalls.set(choice, (calls = { byUpstreamIndex: new Map(), count: 0 }));
    const fn: JsonObject = isObject(call.function) ? call.function : {};
    const upstreamIndex = numberOrUndefined(call.index) ?? calls.byUpstreamIndex.size;
    const id = stringOrUndefined(call.id);
    let known = calls.byUpstreamIndex.get(upstreamIndex);
    // A call starts with its id and name. Some servers send each whole call under index 0, so a
    // different id on a known index starts a new call too.
    if (known === undefined || (id !== undefined && id.length > 0 && known.id !== id)) {
      known = { index: calls.count++, id: id ?? '' };
      calls.byUpstreamIndex.set(upstreamIndex, known);
      parts.push({ type: 'tool-call-start', choice, index: known.index, id: id ?? `call_${choice}_${known.index}`, name: stringOrUndefined(fn.name) ?? '' });
    }
    const args = fn.arguments;
    const argumentsDelta = typeof args === 'string' ? args : isObject(args) ? JSON.stringify(args) : '';
    if (argumentsDelta.length > 0) parts.push({ type: 'tool-call-delta', choice, index: known.index, argumentsDelta });
  }

  private fail(message: string, retryable = true): StreamPart[] {
    this.failed = true;
    return [{ type: 'error', error: new GatewayError('upstream_stream_error', message, { retryable }) }];
  }
}
