import { chatCodecOf } from '../providers/instance.js';
import { isContentPart, toGatewayError, type GatewayError, type StreamPart, type Usage } from '../spec/index.js';
import { abortReason, callerListening } from './abort-reason.js';
import type { DecodedEvent, StreamAttempt } from './chat-attempt.js';
import type { ChatSink } from './chat-sink.js';
import type { Attempt, RequestContext } from './context.js';
import type { Admission, AttemptOutcome } from './hooks.js';
import { openTaps, type RequestStage, type StageCall } from './stages.js';
import type { Target } from './target.js';
import { mergeUsage } from './usage-accumulator.js';

export interface StreamDelivery {
  context: RequestContext;
  call: StageCall;
  target: Target;
  result: StreamAttempt;
  started: number;
  attempt: Attempt;
  sink: ChatSink;
  admission: Admission | undefined;
  /** The stages that tap streamed parts, if any module has one. */
  stages: readonly RequestStage[] | undefined;
  /** Prices what the stream used (context.usage, context.cost). */
  serve(usage: Usage | undefined): void;
  /** Sets the served-by headers once the stream commits. */
  onServed(): void;
  reportAttempt(outcome: AttemptOutcome): void;
}

/**
 * Reads a stream until it commits (its first content part), so that a failure before then can
 * still fall back to the next target; then forwards everything to the caller, through the stages'
 * taps when any. Usage and cost are read from the upstream's own parts, before any tap, so what a
 * stage holds back or rewrites never changes the bill. Returns true once the caller has been
 * answered; throws (before commit) to fail over.
 */
export async function streamAnswer(delivery: StreamDelivery): Promise<boolean> {
  const { context, target, attempt, sink } = delivery;
  const events = delivery.result.events;
  const buffered: DecodedEvent[] = [];
  let done = false;
  for (;;) {
    const next = await events.next();
    if (next.done) {
      done = true;
      break;
    }
    const error = next.value.parts.find((part) => part.type === 'error');
    const content = next.value.parts.some(isContentPart);
    if (error !== undefined && error.type === 'error' && !content && !buffered.some((event) => event.parts.some(isContentPart))) {
      await events.return?.(undefined);
      throw error.error;
    }
    buffered.push(next.value);
    if (content) break;
  }

  attempt.status = 200;
  context.served = target;
  context.timeToFirstTokenMs = performance.now() - context.startedAt;
  delivery.onServed();
  const tap = delivery.stages === undefined ? undefined : openTaps(delivery.stages, context, delivery.call);
  // Same dialect and nothing to rewrite: the upstream's bytes go out as they came.
  const passthrough = tap === undefined && sink.dialect === chatCodecOf(target.provider, target.model).dialect;
  sink.startStream(context);
  let usage: Usage | undefined;
  /** An error inside the stream (delivered with its event). */
  let streamError: GatewayError | undefined;
  /** An error the gateway raised (a timeout, the caller leaving, a failing sink), still to be told to the caller. */
  let raised: GatewayError | undefined;
  const record = (parts: readonly StreamPart[]) => {
    for (const part of parts) {
      if (part.type === 'finish' && part.choice === 0) context.finishReason = part.finishReason;
      else if (part.type === 'text-delta' && part.choice === 0 && context.captureOutput) context.outputText = (context.outputText ?? '') + part.text;
    }
  };
  const forward = async (event: DecodedEvent) => {
    // Timed out or abandoned: what the upstream still sends (often the abort, as an error part) goes nowhere.
    if (context.signal.aborted) throw abortReason(context.signal);
    for (const part of event.parts) {
      if (part.type === 'usage') usage = mergeUsage(usage, part.usage);
      else if (part.type === 'error') streamError = part.error;
    }
    let delivered = event;
    if (tap !== undefined) {
      const parts: StreamPart[] = [];
      for (const part of event.parts) parts.push(...tap.part(part));
      delivered = { parts, raw: undefined };
    }
    record(delivered.parts);
    if (passthrough || delivered.parts.length > 0) await sink.event(delivered, passthrough);
  };
  try {
    for (const event of buffered) await forward(event);
    while (!done) {
      const next = await events.next();
      if (next.done) break;
      await forward(next.value);
    }
  } catch (error) {
    raised = context.signal.aborted ? abortReason(context.signal) : toGatewayError(error);
    streamError = raised;
    // Let go of the upstream now rather than when its socket times out.
    await events.return?.(undefined).catch(() => undefined);
  }
  if (tap !== undefined) {
    const held = tap.end(streamError !== undefined);
    record(held);
    if (held.length > 0 && callerListening(context.signal)) await sink.event({ parts: held, raw: undefined }, false);
  }
  // A timed-out request ends with the dialect's error event; a caller that left gets nothing.
  if (raised !== undefined && callerListening(context.signal)) sink.streamError(raised);
  attempt.latencyMs = performance.now() - delivery.started;
  if (streamError !== undefined) {
    attempt.errorCode = streamError.code;
    attempt.errorMessage = streamError.message;
    context.error = streamError;
    // The caller got part of an answer: the log's stop reason says it was cut short.
    context.finishReason = { unified: 'error', raw: streamError.code };
  }
  delivery.serve(usage);
  try {
    if (streamError !== undefined) delivery.reportAttempt({ target, ok: false, error: streamError, latencyMs: attempt.latencyMs, timeToFirstTokenMs: context.timeToFirstTokenMs });
    if (callerListening(context.signal)) sink.endStream(passthrough && streamError === undefined);
  } finally {
    if (delivery.admission !== undefined) attempt.chargedNanoUsd = delivery.admission.settle(context.usage, context.cost);
  }
  return true;
}
