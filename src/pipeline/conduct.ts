import { toGatewayError, type ChatRequest, type ChatResponse, type GatewayError, type StreamPart } from '../spec/index.js';
import { abortReason, callerListening } from './abort-reason.js';
import type { ChatSink } from './chat-sink.js';
import type { RequestContext, RequestCost } from './context.js';
import { openTaps, runAfterResponse, type Conductor, type ConductSession, type RequestStage, type StageCall, type StreamTap } from './stages.js';
import type { Target } from './target.js';
import { CollectingSink } from './collecting-sink.js';
import { sumUsage } from './usage-accumulator.js';

/** What a conducted request needs of the pipeline. */
export interface ConductParts {
  /** Runs one turn as a request of its own (observed, never throwing: the turn's context says how it ended). */
  turn(parent: RequestContext, index: number, request: ChatRequest, sink: ChatSink): Promise<RequestContext>;
  afterResponse: readonly RequestStage[] | undefined;
  openStream: readonly RequestStage[] | undefined;
  /** The exact sum of the turns' costs; undefined without prices. */
  total(costs: readonly RequestCost[]): RequestCost | undefined;
  setServedHeaders(context: RequestContext, target: Target): void;
  /** `x-tollgate-cost` of a cost. */
  costHeader(cost: RequestCost | undefined): string;
  recordAnswer(context: RequestContext, response: ChatResponse): void;
}

/**
 * Serves a request a stage conducts (see Conductor): runs the conductor with a session whose turns
 * are requests of their own, streams what it emits to the caller (through the stages' taps), and
 * delivers its answer with the turns' usage and cost summed, which is also what the request's own
 * record, `x-tollgate-cost` and the stream's closing cost say. A failure before anything was
 * streamed is thrown (the caller gets an error in its dialect); after, it ends the stream.
 */
export async function conductRequest(parts: ConductParts, context: RequestContext, call: StageCall, conductor: Conductor, sink: ChatSink): Promise<void> {
  const request = call.request as ChatRequest;
  const turns: RequestContext[] = [];
  let tap: StreamTap | undefined;
  let streaming = false;
  const record = (emitted: readonly StreamPart[]) => {
    for (const part of emitted) {
      if (part.type === 'finish' && part.choice === 0) context.finishReason = part.finishReason;
      else if (part.type === 'text-delta' && part.choice === 0 && context.captureOutput) context.outputText = (context.outputText ?? '') + part.text;
    }
  };
  const send = async (emitted: readonly StreamPart[]) => {
    let out = emitted;
    if (tap !== undefined) {
      const tapped: StreamPart[] = [];
      for (const part of emitted) tapped.push(...tap.part(part));
      out = tapped;
    }
    record(out);
    if (out.length > 0 && callerListening(context.signal)) await sink.event({ parts: [...out], raw: undefined }, false);
  };
  const session: ConductSession = {
    request,
    async turn(turnRequest, onPart) {
      if (context.signal.aborted) throw abortReason(context.signal);
      const turnSink = new CollectingSink(onPart, (turn) => {
        if (turn.served === undefined) return;
        context.served = turn.served;
        parts.setServedHeaders(context, turn.served);
      });
      const turn = await parts.turn(context, turns.length + 1, turnRequest, turnSink);
      turns.push(turn);
      const failure = turn.error ?? turnSink.error;
      if (failure !== undefined) throw failure;
      return turnSink.response!;
    },
    async emit(emitted) {
      if (!request.stream || emitted.length === 0) return;
      if (!streaming) {
        streaming = true;
        context.timeToFirstTokenMs = performance.now() - context.startedAt;
        tap = parts.openStream === undefined ? undefined : openTaps(parts.openStream, context, call);
        sink.startStream(context);
      }
      await send(emitted);
    },
  };
  const settle = () => {
    context.usage = sumUsage(turns.map((turn) => turn.usage));
    context.cost = parts.total(turns.filter((turn) => turn.cost !== undefined).map((turn) => turn.cost!));
    context.responseHeaders['x-tollgate-cost'] = parts.costHeader(context.cost);
    let attempts = 0;
    for (const turn of turns) for (const attempt of turn.attempts) if (attempt.upstream) attempts++;
    context.responseHeaders['x-tollgate-attempts'] = String(attempts);
  };
  let answer: ChatResponse;
  try {
    answer = await conductor(session);
  } catch (error) {
    settle();
    const failure: GatewayError = context.signal.aborted ? abortReason(context.signal) : toGatewayError(error);
    if (!streaming) throw failure;
    context.error = failure;
    context.status = failure.status;
    context.finishReason = { unified: 'error', raw: failure.code };
    if (tap !== undefined) await send(tap.end(true)).catch(() => undefined);
    if (callerListening(context.signal)) {
      sink.streamError(failure);
      sink.endStream(false);
    }
    return;
  }
  settle();
  let response: ChatResponse = { ...answer, usage: context.usage ?? answer.usage };
  if (!request.stream) {
    if (parts.afterResponse !== undefined) response = await runAfterResponse(parts.afterResponse, context, call, response);
    parts.recordAnswer(context, response);
    sink.complete(context, response, undefined);
    return;
  }
  // A conductor that emitted nothing still answers a streaming caller with a stream.
  await session.emit([{ type: 'usage', usage: response.usage }]);
  if (tap !== undefined) {
    const held = tap.end(false);
    tap = undefined;
    await send(held);
  }
  if (callerListening(context.signal)) sink.endStream(false);
}
