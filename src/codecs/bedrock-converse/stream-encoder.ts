import type { StreamPart, Usage } from '../../spec/index.js';
import { awsEvent, awsException } from '../aws-event-stream-frame.js';
import { encodeStopReason, encodeUsage } from './encode-response.js';
import { streamExceptionType } from './surface-error.js';

type BlockKind = 'text' | 'reasoning' | 'redacted' | 'tool';

/**
 * Spec stream parts → ConverseStream event frames, for callers of the gateway's Bedrock surface
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html):
 * messageStart, then per content block contentBlockStart (tool use only, as Bedrock does),
 * contentBlockDelta… and contentBlockStop, then messageStop (stopReason) and, last, metadata (usage
 * and latency). An error part becomes an exception frame (`:message-type: exception`) and ends the
 * stream. Only the first choice is sent: Converse has one.
 */
export class ConverseStreamEncoder {
  private started = false;
  private stopped = false;
  private failed = false;
  private blocks = 0;
  private open: { index: number; kind: BlockKind } | undefined;
  private readonly toolBlocks = new Map<number, number>();
  private usage: Usage | undefined;

  /** `receivedAt`: when the request arrived (ms), for `metadata.metrics.latencyMs`. */
  constructor(private readonly receivedAt: number) {}

  encode(part: StreamPart): Buffer[] {
    if (this.failed) return [];
    if (part.type === 'error') {
      this.failed = true;
      return [awsException(streamExceptionType(part.error), part.error.message)];
    }
    if (part.type === 'usage') {
      this.usage = part.usage;
      return [];
    }
    if ('choice' in part && part.choice !== 0) return [];
    const frames: Buffer[] = [];
    if (!this.started) this.start(frames);
    if (this.stopped) return frames;
    switch (part.type) {
      case 'text-delta':
        if (part.text !== '') frames.push(this.delta(frames, 'text', { text: part.text }));
        break;
      case 'reasoning-delta':
        if (part.text !== '') frames.push(this.delta(frames, 'reasoning', { reasoningContent: { text: part.text } }));
        if (part.signature !== undefined) frames.push(this.delta(frames, 'reasoning', { reasoningContent: { signature: part.signature } }));
        break;
      case 'redacted-reasoning':
        this.close(frames);
        frames.push(this.delta(frames, 'redacted', { reasoningContent: { redactedContent: part.data } }));
        break;
      case 'tool-call-start': {
        this.close(frames);
        const index = this.blocks++;
        this.open = { index, kind: 'tool' };
        this.toolBlocks.set(part.index, index);
        frames.push(awsEvent('contentBlockStart', { contentBlockIndex: index, start: { toolUse: { toolUseId: part.id, name: part.name } } }));
        break;
      }
      case 'tool-call-delta': {
        const index = this.toolBlocks.get(part.index);
        if (index !== undefined && part.argumentsDelta !== '') frames.push(awsEvent('contentBlockDelta', { contentBlockIndex: index, delta: { toolUse: { input: part.argumentsDelta } } }));
        break;
      }
      case 'finish':
        this.close(frames);
        this.stopped = true;
        frames.push(awsEvent('messageStop', { stopReason: encodeStopReason(part.finishReason) }));
        break;
      default:
        break;
    }
    return frames;
  }

  /** The closing frames: messageStop if no finish came, then metadata. Nothing after an exception. */
  end(): Buffer[] {
    if (this.failed) return [];
    const frames: Buffer[] = [];
    if (!this.started) this.start(frames);
    if (!this.stopped) {
      this.close(frames);
      this.stopped = true;
      frames.push(awsEvent('messageStop', { stopReason: 'end_turn' }));
    }
    frames.push(awsEvent('metadata', { usage: encodeUsage(this.usage ?? { inputTokens: 0, outputTokens: 0 }), metrics: { latencyMs: Math.max(0, Date.now() - this.receivedAt) } }));
    return frames;
  }

  private start(frames: Buffer[]): void {
    this.started = true;
    frames.push(awsEvent('messageStart', { role: 'assistant' }));
  }

  /** A delta in a block of `kind`: the open one if it is of that kind, else a new one. */
  private delta(frames: Buffer[], kind: BlockKind, delta: Record<string, unknown>): Buffer {
    if (this.open?.kind !== kind || kind === 'redacted') {
      this.close(frames);
      this.open = { index: this.blocks++, kind };
    }
    return awsEvent('contentBlockDelta', { contentBlockIndex: this.open.index, delta });
  }

  private close(frames: Buffer[]): void {
    if (this.open === undefined) return;
    frames.push(awsEvent('contentBlockStop', { contentBlockIndex: this.open.index }));
    this.open = undefined;
  }
}
