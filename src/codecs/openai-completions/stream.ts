import { STREAM_COST_FIELD, type StreamDecoder, type StreamEncoder, type StreamEncoderOptions, type WireEvent } from '../codec.js';
import { GatewayError, type StreamPart, type Usage } from '../../spec/index.js';
import { encodeOpenAIError, readErrorPayload } from '../openai-chat/error.js';
import { holdsUsageOrDone, usageWithCost } from '../openai-chat/stream-encoder.js';
import { decodeFinishReason, encodeFinishReason } from '../openai-chat/finish-reason.js';
import { isObject, numberOrUndefined, stringOrUndefined } from '../openai-chat/read-fields.js';
import { decodeUsage, encodeUsage } from '../openai-chat/usage.js';

/** Decodes OpenAI `text_completion` stream chunks (`choices[].text`, a finish, usage last), ended by `data: [DONE]`. */
export class OpenAICompletionStreamDecoder implements StreamDecoder {
  private started = false;
  private finished = false;
  private failed = false;
  private done = false;

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
    if (chunk.error !== undefined && chunk.error !== null) return this.fail(readErrorPayload(chunk).message ?? 'The upstream reported an error inside the stream.');
    const parts: StreamPart[] = [];
    if (!this.started) {
      this.started = true;
      parts.push({ type: 'start', id: stringOrUndefined(chunk.id) ?? '', model: stringOrUndefined(chunk.model) ?? '', created: numberOrUndefined(chunk.created) ?? Math.floor(Date.now() / 1000) });
    }
    if (Array.isArray(chunk.choices)) {
      for (const choice of chunk.choices) {
        if (!isObject(choice)) continue;
        const index = numberOrUndefined(choice.index) ?? 0;
        const text = stringOrUndefined(choice.text);
        if (text !== undefined && text.length > 0) parts.push({ type: 'text-delta', choice: index, text });
        if (choice.finish_reason !== undefined && choice.finish_reason !== null) {
          this.finished = true;
          parts.push({ type: 'finish', choice: index, finishReason: decodeFinishReason(choice.finish_reason) });
        }
      }
    }
    if (isObject(chunk.usage)) parts.push({ type: 'usage', usage: decodeUsage(chunk.usage) });
    return parts;
  }

  end(): StreamPart[] {
    if (this.finished || this.failed) return [];
    this.failed = true;
    return [{ type: 'error', error: new GatewayError('upstream_stream_error', this.done ? 'The upstream stream ended without a finish reason.' : 'The upstream stream ended before it was complete.', { retryable: true }) }];
  }

  private fail(message: string): StreamPart[] {
    this.failed = true;
    return [{ type: 'error', error: new GatewayError('upstream_stream_error', message, { retryable: true }) }];
  }
}

/**
 * Renders stream parts as OpenAI `text_completion` SSE chunks: text per choice, a finish chunk, then
 * (with `include_usage`) a usage chunk with empty `choices`, then `data: [DONE]`. Whatever is not
 * text (reasoning, tool calls) has no place in a text completion and is left out.
 */
export class OpenAICompletionStreamEncoder implements StreamEncoder {
  private usage: Usage | undefined;
  private failed = false;
  private ended = false;

  constructor(private readonly options: StreamEncoderOptions) {}

  encode(part: StreamPart): string {
    if (this.ended) return '';
    switch (part.type) {
      case 'text-delta':
        return this.frame([{ text: part.text, index: part.choice, logprobs: null, finish_reason: null }]);
      case 'finish':
        return this.frame([{ text: '', index: part.choice, logprobs: null, finish_reason: encodeFinishReason(part.finishReason) }]);
      case 'usage': {
        const fields: Partial<Usage> = {};
        for (const [key, value] of Object.entries(part.usage) as [keyof Usage, never][]) if (value !== undefined) fields[key] = value;
        this.usage = { ...this.usage, ...fields } as Usage;
        return '';
      }
      case 'error':
        this.failed = true;
        return `data: ${JSON.stringify(encodeOpenAIError(part.error))}\n\n`;
      default:
        return '';
    }
  }

  end(cost?: string): string {
    if (this.ended) return '';
    this.ended = true;
    let text = '';
    // The cost rides on the usage chunk (so only with `include_usage`), as `x_tollgate_cost`, as in chat streams.
    if (this.options.includeUsage && this.usage !== undefined && !this.failed) text += this.frame([], { ...encodeUsage(this.usage), ...(cost === undefined ? {} : { [STREAM_COST_FIELD]: cost }) });
    return `${text}data: [DONE]\n\n`;
  }

  /** The usage chunk (it gets the cost) and `[DONE]` (which must stay last), as the chat encoder holds them. */
  holdsForCost(event: WireEvent, parts: readonly StreamPart[]): boolean {
    return holdsUsageOrDone(event, parts);
  }

  endForwarded(held: readonly WireEvent[], cost: string): string {
    this.ended = true;
    return usageWithCost(held, cost);
  }

  private frame(choices: unknown[], usage?: Record<string, unknown>): string {
    const { id, created, model } = this.options;
    const chunk: Record<string, unknown> = { id: id.startsWith('cmpl-') ? id : `cmpl-${id.replace(/^chatcmpl-/, '')}`, object: 'text_completion', created, model, choices };
    if (usage !== undefined) chunk.usage = usage;
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }
}
