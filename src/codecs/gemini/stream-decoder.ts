import { randomUUID } from 'node:crypto';
import { GatewayError, type StreamPart, type Usage } from '../../spec/index.js';
import type { StreamDecoder, WireEvent } from '../codec.js';
import { readGeminiError } from './error.js';
import { blockedFinishReason, decodeFinishReason } from './finish-reason.js';
import { createCallIdSource } from './parts.js';
import { decodeUsage } from './usage.js';
import type { GeminiCandidate, GeminiGenerateContentResponse } from './wire.js';

/**
 * Decodes `streamGenerateContent?alt=sse`: every event is a whole GenerateContentResponse with the
 * new parts only; no event names and no `[DONE]`. Function calls arrive whole. `usageMetadata` is
 * cumulative, so the last one wins; it is reported once the candidates finish (and again at the
 * end if it changed). A stream that closes before any finishReason is an error.
 */
export class GeminiStreamDecoder implements StreamDecoder {
  private started = false;
  private finished = false;
  private usage: Usage | undefined;
  private usageReported = false;
  private readonly nextCallId = createCallIdSource();
  /** Tool calls seen so far, per choice: the next tool call index. */
  private readonly toolCallCounts = new Map<number, number>();

  decode(event: WireEvent): StreamPart[] {
    const data = event.data.trim();
    if (data.length === 0) return [];
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      return [this.fail('Gemini sent a stream event that is not JSON.')];
    }
    if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk)) return [this.fail('Gemini sent a stream event that is not an object.')];
    if ('error' in chunk) {
      // A google.rpc.Status mid-stream: its `code` is an HTTP status; overload, rate limits and timeouts are worth another try.
      const code = Number((chunk as { error: { code?: unknown } }).error?.code) || 500;
      const { message, type } = readGeminiError(data);
      const text = `Gemini stream ${type ?? 'error'}: ${message ?? 'no message'}`;
      return [{ type: 'error', error: new GatewayError('upstream_stream_error', text, { retryable: code === 408 || code === 429 || code >= 500, upstreamStatus: code }) }];
    }
    const response = chunk as GeminiGenerateContentResponse;
    const parts: StreamPart[] = [];
    if (!this.started) {
      this.started = true;
      parts.push({ type: 'start', id: response.responseId ?? `gemini-${randomUUID()}`, model: response.modelVersion ?? '', created: Math.floor(Date.now() / 1000) });
    }
    if (response.usageMetadata !== undefined) {
      this.usage = decodeUsage(response.usageMetadata);
      this.usageReported = false;
    }
    let finishedNow = false;
    (response.candidates ?? []).forEach((candidate, position) => {
      if (this.decodeCandidate(candidate, candidate.index ?? position, parts)) finishedNow = true;
    });
    const blockReason = response.promptFeedback?.blockReason;
    if ((response.candidates ?? []).length === 0 && blockReason !== undefined) {
      parts.push({ type: 'finish', choice: 0, finishReason: blockedFinishReason(blockReason) });
      finishedNow = true;
    }
    if (finishedNow) {
      this.finished = true;
      this.reportUsage(parts);
    }
    return parts;
  }

  end(): StreamPart[] {
    const parts: StreamPart[] = [];
    this.reportUsage(parts);
    if (!this.finished) parts.push(this.fail('The Gemini stream ended before a finishReason.'));
    return parts;
  }

  /** Appends the candidate's parts; returns true when it carries a finishReason. */
  private decodeCandidate(candidate: GeminiCandidate, choice: number, parts: StreamPart[]): boolean {
    for (const part of candidate.content?.parts ?? []) {
      if (part.functionCall !== undefined) {
        if (part.thoughtSignature !== undefined) parts.push({ type: 'reasoning-delta', choice, text: '', signature: part.thoughtSignature });
        const index = this.toolCallCounts.get(choice) ?? 0;
        this.toolCallCounts.set(choice, index + 1);
        const call = part.functionCall;
        parts.push({ type: 'tool-call-start', choice, index, id: call.id ?? this.nextCallId(), name: call.name });
        parts.push({ type: 'tool-call-delta', choice, index, argumentsDelta: JSON.stringify(call.args ?? {}) });
      } else if (typeof part.text === 'string') {
        if (part.thought === true) {
          parts.push({ type: 'reasoning-delta', choice, text: part.text, ...(part.thoughtSignature !== undefined ? { signature: part.thoughtSignature } : {}) });
          continue;
        }
        if (part.thoughtSignature !== undefined) parts.push({ type: 'reasoning-delta', choice, text: '', signature: part.thoughtSignature });
        if (part.text.length > 0) parts.push({ type: 'text-delta', choice, text: part.text });
      }
    }
    if (candidate.finishReason === undefined) return false;
    parts.push({ type: 'finish', choice, finishReason: decodeFinishReason(candidate.finishReason, (this.toolCallCounts.get(choice) ?? 0) > 0) });
    return true;
  }

  private reportUsage(parts: StreamPart[]): void {
    if (this.usage === undefined || this.usageReported) return;
    parts.push({ type: 'usage', usage: this.usage });
    this.usageReported = true;
  }

  private fail(message: string): StreamPart {
    return { type: 'error', error: new GatewayError('upstream_stream_error', message, { retryable: true }) };
  }
}
