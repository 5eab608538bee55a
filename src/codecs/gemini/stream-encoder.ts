import type { FinishReason, StreamPart, Usage } from '../../spec/index.js';
import { STREAM_COST_FIELD, type StreamEncoder, type StreamEncoderOptions, type WireEvent } from '../codec.js';
import { encodeGeminiError } from './error.js';
import { argumentsObject } from './encode-response.js';
import { encodeFinishReason } from './finish-reason.js';
import { encodeUsage } from './usage.js';
import type { GeminiCandidate, GeminiGenerateContentResponse, GeminiPart } from './wire.js';

interface PendingCall {
  choice: number;
  index: number;
  id: string;
  name: string;
  arguments: string;
}

/**
 * Writes `streamGenerateContent?alt=sse` as Gemini does: one `data: {GenerateContentResponse}`
 * event per chunk, CRLF line endings (`data: …\r\n\r\n`), no `[DONE]`. Function calls are sent whole,
 * so tool call arguments are buffered until the call is complete (another part, or the finish).
 * A finish waits for the usage that follows it so the last chunk carries finishReason and
 * usageMetadata together, as Gemini's does.
 */
export class GeminiStreamEncoder implements StreamEncoder {
  private id: string;
  private model: string;
  private usage: Usage | undefined;
  /** An error envelope went out: it stays the stream's last frame (no cost chunk after it). */
  private failed = false;
  private readonly calls: PendingCall[] = [];
  private readonly finishes: { choice: number; finishReason: FinishReason }[] = [];
  /** Signatures seen on text-less reasoning, per choice, waiting for the part they belong to. */
  private readonly signatures = new Map<number, string>();

  constructor(options: StreamEncoderOptions) {
    this.id = options.id;
    this.model = options.model;
  }

  encode(part: StreamPart): string {
    switch (part.type) {
      case 'start':
        this.id = part.id || this.id;
        return '';
      case 'text-delta':
        if (part.text.length === 0) return '';
        return this.flushCalls() + this.partFrame(part.choice, { text: part.text });
      case 'reasoning-delta':
        if (part.text.length === 0) {
          if (part.signature !== undefined) this.signatures.set(part.choice, part.signature);
          return '';
        }
        return this.flushCalls() + this.partFrame(part.choice, { text: part.text, thought: true, ...(part.signature !== undefined ? { thoughtSignature: part.signature } : {}) });
      case 'redacted-reasoning':
        return '';
      case 'tool-call-start':
        // Buffered, not flushed: parallel calls then go out together in one chunk, as Gemini sends them.
        this.calls.push({ choice: part.choice, index: part.index, id: part.id, name: part.name, arguments: '' });
        return '';
      case 'tool-call-delta': {
        const call = this.calls.find((pending) => pending.choice === part.choice && pending.index === part.index);
        if (call !== undefined) call.arguments += part.argumentsDelta;
        return '';
      }
      case 'finish':
        this.finishes.push({ choice: part.choice, finishReason: part.finishReason });
        return this.flushCalls((call) => call.choice === part.choice);
      case 'usage':
        this.usage = mergeUsage(this.usage, part.usage);
        return this.flushFinishes();
      case 'error':
        this.failed = true;
        return this.flushCalls() + this.flushFinishes() + frame(encodeGeminiError(part.error));
      case 'gateway-tool-call':
      case 'gateway-tool-result':
        // Gemini's format has no tool the server runs itself; the trail is not shown in this dialect.
        return '';
    }
  }

  end(cost?: string): string {
    return this.flushCalls() + this.flushFinishes() + (cost === undefined || this.failed ? '' : this.costChunk(cost, this.usage));
  }

  /** Gemini has no closing event and sends usage on many chunks: nothing is held; the cost follows in a chunk of its own. */
  holdsForCost(): boolean {
    return false;
  }

  endForwarded(_held: readonly WireEvent[], cost: string, usage: Usage | undefined): string {
    return this.costChunk(cost, usage);
  }

  /**
   * A last chunk without candidates whose `usageMetadata` repeats the usage and adds the cost
   * (the Gemini SDKs keep `usageMetadata` as sent, and skip candidate-less chunks in chat history).
   */
  private costChunk(cost: string, usage: Usage | undefined): string {
    const usageMetadata = usage === undefined ? undefined : encodeUsage(usage);
    return frame({ usageMetadata: { ...usageMetadata, [STREAM_COST_FIELD]: cost }, modelVersion: this.model, responseId: this.id });
  }

  private takeSignature(choice: number, part: GeminiPart): GeminiPart {
    const signature = this.signatures.get(choice);
    if (signature !== undefined && part.thoughtSignature === undefined) {
      part.thoughtSignature = signature;
      this.signatures.delete(choice);
    }
    return part;
  }

  private partFrame(choice: number, part: GeminiPart): string {
    return this.chunk([{ content: { parts: [this.takeSignature(choice, part)], role: 'model' }, index: choice }]);
  }

  /** Emits buffered function calls (those matching `which`), one chunk per choice, in call order. */
  private flushCalls(which: (call: PendingCall) => boolean = () => true): string {
    const ready = this.calls.filter(which);
    if (ready.length === 0) return '';
    for (const call of ready) this.calls.splice(this.calls.indexOf(call), 1);
    const byChoice = new Map<number, GeminiPart[]>();
    for (const call of ready) {
      const parts = byChoice.get(call.choice) ?? [];
      parts.push(this.takeSignature(call.choice, { functionCall: { id: call.id, name: call.name, args: argumentsObject(call.arguments) } }));
      byChoice.set(call.choice, parts);
    }
    let text = '';
    for (const [choice, parts] of byChoice) text += this.chunk([{ content: { parts, role: 'model' }, index: choice }]);
    return text;
  }

  private flushFinishes(): string {
    if (this.finishes.length === 0) return '';
    const candidates: GeminiCandidate[] = this.finishes.map(({ choice, finishReason }) => {
      const signature = this.signatures.get(choice);
      this.signatures.delete(choice);
      return {
        // Gemini's last chunk carries an empty text part (with the signature, when there is one).
        content: { parts: [signature !== undefined ? { text: '', thoughtSignature: signature } : { text: '' }], role: 'model' },
        finishReason: encodeFinishReason(finishReason),
        index: choice,
      };
    });
    this.finishes.length = 0;
    return this.chunk(candidates);
  }

  private chunk(candidates: GeminiCandidate[]): string {
    const body: GeminiGenerateContentResponse = { candidates };
    const usageMetadata = this.usage === undefined ? undefined : encodeUsage(this.usage);
    if (usageMetadata !== undefined) body.usageMetadata = usageMetadata;
    body.modelVersion = this.model;
    body.responseId = this.id;
    return frame(body);
  }
}

/** Later usage replaces the fields it sets; fields it leaves undefined keep their earlier value. */
function mergeUsage(current: Usage | undefined, update: Usage): Usage {
  const merged: Usage = { ...(current ?? { inputTokens: undefined, outputTokens: undefined }) };
  for (const [key, value] of Object.entries(update) as [keyof Usage, number | undefined][]) if (value !== undefined) merged[key] = value;
  return merged;
}

function frame(body: unknown): string {
  return `data: ${JSON.stringify(body)}\r\n\r\n`;
}
