import type { ChatResponse, ChatRequest } from '../spec/index.js';
import { GatewayError } from '../spec/index.js';
import { DETACHED_SINK, type ChatSink } from './chat-sink.js';
import type { RequestContext } from './context.js';
import { responseParts } from './response-parts.js';
import type { Detachment } from './stages.js';

/** What the log keeps of a whole answer: why it stopped and, with content logging, its first choice's text. */
export function recordAnswer(context: RequestContext, response: ChatResponse): void {
  const first = response.choices[0];
  context.finishReason = first?.finishReason;
  if (context.captureOutput && first !== undefined) context.outputText = first.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

/** A stage answered: no provider was called and nothing is billed. */
export function markAnsweredByStage(context: RequestContext): void {
  context.cost = { usd: 0, known: true, femtoUsd: 0n, exact: '0' };
  context.responseHeaders['x-tollgate-cost'] = '0';
}

/**
 * Delivers a stage's answer (a cache hit) as a provider's would be: whole, with the dialect's
 * rendering kept in `rendered` for the next hit, or as a stream; the caller cannot tell it apart.
 */
export function deliverStageAnswer(context: RequestContext, request: ChatRequest, response: ChatResponse, sink: ChatSink, rendered: Map<string, Buffer> | undefined): void {
  markAnsweredByStage(context);
  recordAnswer(context, response);
  if (!request.stream) {
    let raw = rendered?.get(sink.dialect);
    if (raw === undefined && rendered !== undefined && sink.render !== undefined) {
      const text = sink.render(context, response);
      // Kept as bytes: each later hit writes them as they are, with no encoding or length to work out.
      if (text !== undefined) rendered.set(sink.dialect, (raw = Buffer.from(text)));
    }
    sink.complete(context, response, raw);
    return;
  }
  context.timeToFirstTokenMs = performance.now() - context.startedAt;
  sink.startStream(context);
  void sink.event({ parts: responseParts(response), raw: undefined }, false);
  sink.endStream(false);
}

/**
 * A stage runs the request on without its caller (a background response): the caller gets the
 * acknowledgement now; the answer goes nowhere but to the stages and observers, and the stage's
 * signal (a cancel) aborts the request as the caller's own would.
 */
export function detach(context: RequestContext, detachment: Detachment, sink: ChatSink): ChatSink {
  if (sink.acknowledge === undefined) throw new GatewayError('unsupported_parameter', `The ${context.surface} API has no background requests.`);
  sink.acknowledge(context, detachment.acknowledgement);
  context.signal = AbortSignal.any([context.signal, detachment.signal]);
  return DETACHED_SINK;
}
