import type { StreamPart, Usage } from '../../spec/index.js';
import type { StreamEncoder, StreamEncoderOptions } from '../codec.js';
import { bedrockExceptionName, encodeBedrockError } from './error.js';
import { encodeStopReason } from './finish-reason.js';
import { encodeUsage } from './usage.js';
import type { ConverseStopReason } from './wire-types.js';

type OpenBlock = { kind: 'text' | 'reasoning' | 'tool'; index: number };

/**
 * Spec stream parts → ConverseStream events, each rendered as an SSE frame whose `event:` is the
 * Converse event name and whose `data:` is its JSON payload. Bedrock itself frames these events
 * in the binary AWS event-stream format; the StreamEncoder contract is text, so a surface serving
 * Converse would re-frame each event (name + payload) with the event-stream encoder. Blocks are
 * numbered from 0; a part of another kind closes the open block. messageStop and metadata (usage)
 * are written by end(), since usage may follow the finish part.
 */
export class BedrockStreamEncoder implements StreamEncoder {
  private started = false;
  private finished = false;
  private nextIndex = 0;
  private open: OpenBlock | undefined;
  private readonly toolBlocks = new Map<number, number>();
  private usage: Usage | undefined;
  private stopReason: ConverseStopReason | undefined;

  constructor(_options: StreamEncoderOptions) {}

  encode(part: StreamPart): string {
    if (this.finished) return '';
    switch (part.type) {
      case 'start':
        return '';
      case 'usage':
        this.usage = { ...this.usage, ...Object.fromEntries(Object.entries(part.usage).filter(([, value]) => value !== undefined)) } as Usage;
        return '';
      case 'error':
        this.finished = true;
        return frame(exceptionEventName(part.error.status), encodeBedrockError(part.error));
    }
    if (part.choice !== 0) return '';
    let output = this.ensureStarted();
    switch (part.type) {
      case 'text-delta':
        if (part.text === '') return output;
        if (this.open?.kind !== 'text') output += this.startBlock('text');
        return output + frame('contentBlockDelta', { contentBlockIndex: this.open!.index, delta: { text: part.text } });
      case 'reasoning-delta': {
        if (this.open?.kind !== 'reasoning') output += this.startBlock('reasoning');
        const index = this.open!.index;
        if (part.text !== '') output += frame('contentBlockDelta', { contentBlockIndex: index, delta: { reasoningContent: { text: part.text } } });
        if (part.signature !== undefined && part.signature !== '') output += frame('contentBlockDelta', { contentBlockIndex: index, delta: { reasoningContent: { signature: part.signature } } });
        return output;
      }
      case 'redacted-reasoning':
        if (this.open?.kind !== 'reasoning') output += this.startBlock('reasoning');
        return output + frame('contentBlockDelta', { contentBlockIndex: this.open!.index, delta: { reasoningContent: { redactedContent: part.data } } });
      case 'tool-call-start': {
        output += this.startBlock('tool', { toolUse: { toolUseId: part.id, name: part.name } });
        this.toolBlocks.set(part.index, this.open!.index);
        return output;
      }
      case 'tool-call-delta': {
        const index = this.toolBlocks.get(part.index);
        if (index === undefined || part.argumentsDelta === '') return output;
        return output + frame('contentBlockDelta', { contentBlockIndex: index, delta: { toolUse: { input: part.argumentsDelta } } });
      }
      case 'finish':
        this.stopReason = encodeStopReason(part.finishReason);
        return output + this.closeBlock();
    }
  }

  end(): string {
    if (this.finished) return '';
    this.finished = true;
    let output = this.ensureStarted() + this.closeBlock();
    output += frame('messageStop', { stopReason: this.stopReason ?? 'end_turn' });
    output += frame('metadata', { usage: encodeUsage(this.usage ?? { inputTokens: undefined, outputTokens: undefined }), metrics: { latencyMs: 0 } });
    return output;
  }

  private ensureStarted(): string {
    if (this.started) return '';
    this.started = true;
    return frame('messageStart', { role: 'assistant' });
  }

  private startBlock(kind: OpenBlock['kind'], start?: Record<string, unknown>): string {
    let output = this.closeBlock();
    const index = this.nextIndex++;
    this.open = { kind, index };
    if (start !== undefined) output += frame('contentBlockStart', { contentBlockIndex: index, start });
    return output;
  }

  private closeBlock(): string {
    if (this.open === undefined) return '';
    const index = this.open.index;
    this.open = undefined;
    return frame('contentBlockStop', { contentBlockIndex: index });
  }
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The ConverseStream exception member for an error's status (`throttlingException`, …). */
function exceptionEventName(status: number): string {
  const name = bedrockExceptionName(status);
  return name.charAt(0).toLowerCase() + name.slice(1);
}
