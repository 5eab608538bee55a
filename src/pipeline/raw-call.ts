import type { ChatRequest } from '../spec/index.js';
import type { RequestContext } from './context.js';
import type { RawChatCall, RequestStage, StageCall } from './stages.js';

/**
 * A chat body's bytes offered to the stage that answers from them (RequestStage.answerRaw). It
 * admits a request when every before-dispatch stage ahead of that stage passes it, so a request
 * answered before decoding is one the stages ahead would have let through untouched.
 */
export class RawCall implements RawChatCall {
  /** Whether a stage asked for the bytes after decoding (keep). */
  kept = false;
  decoded: ChatRequest | undefined = undefined;

  constructor(
    readonly endpoint: string,
    readonly body: Buffer,
    private readonly context: RequestContext,
    private readonly ahead: readonly RequestStage[],
  ) {}

  keep(): void {
    this.kept = true;
  }

  admits(request: ChatRequest): boolean {
    if (this.ahead.length === 0) return true;
    const call: StageCall = { operation: 'chat', model: request.model, request };
    for (const stage of this.ahead) if (!stage.passes!(this.context, call)) return false;
    return true;
  }
}
