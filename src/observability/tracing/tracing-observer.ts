import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type TextMapGetter, type TextMapPropagator, type TextMapSetter, type Tracer } from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
import type { Attempt, RequestContext } from '../../pipeline/context.js';
import type { AttemptOutcome, RequestObserver } from '../../pipeline/hooks.js';
import type { Target } from '../../pipeline/target.js';
import type { ProviderInstance } from '../../providers/instance.js';
import { GEN_AI, GENERAL, TOLLGATE, genAiFinishReason, genAiProviderName } from './gen-ai-attributes.js';

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => headers[key],
};

const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/**
 * One SERVER span per pipeline request, named `{operation} {requested model}` and parented on the
 * caller's `traceparent`/`tracestate`, plus one CLIENT span per upstream attempt, recorded when the
 * attempt ends from its measured latency. Attributes follow the OpenTelemetry GenAI conventions;
 * ids only: no prompt, answer, key value or end-user field ever reaches a span.
 *
 * The span's `traceparent` is returned to the caller as a response header, so a trace can be
 * found from any answer. Everything here is synchronous bookkeeping; the BatchSpanProcessor
 * exports off the request path.
 */
export function tracingObserver(tracer: Tracer, propagator: TextMapPropagator): RequestObserver {
  const spans = new WeakMap<RequestContext, Span>();

  const open = (context: RequestContext): Span => {
    const parent = propagator.extract(ROOT_CONTEXT, context.headers, headerGetter);
    const model = context.requestedModel;
    const request = context.chatRequest;
    const span = tracer.startSpan(
      model === undefined ? context.operation : `${context.operation} ${model}`,
      {
        kind: SpanKind.SERVER,
        startTime: context.receivedAt,
        attributes: {
          [GEN_AI.operationName]: context.operation,
          [GEN_AI.requestModel]: model,
          [GEN_AI.requestMaxTokens]: request?.maxOutputTokens,
          [GEN_AI.requestTemperature]: request?.temperature,
          [GEN_AI.requestTopP]: request?.topP,
          [GEN_AI.requestStream]: request === undefined ? undefined : request.stream,
          [GENERAL.httpRequestMethod]: context.method,
          [GENERAL.urlPath]: context.path,
          [TOLLGATE.requestId]: context.id,
          [TOLLGATE.surface]: context.surface,
        },
      },
      parent,
    );
    spans.set(context, span);
    return span;
  };

  return {
    onRequestStart(context) {
      const span = open(context);
      const carrier: Record<string, string> = {};
      propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, recordSetter);
      if (carrier.traceparent !== undefined) context.responseHeaders.traceparent = carrier.traceparent;
    },

    onAttempt(context, outcome) {
      const parent = spans.get(context);
      if (parent === undefined || !parent.isRecording()) return;
      const index = attemptIndex(context.attempts, outcome.target);
      const attempt = context.attempts[index];
      const endTime = wallClock(context, performance.now());
      const span = tracer.startSpan(
        `${context.operation} ${outcome.target.model}`,
        { kind: SpanKind.CLIENT, startTime: endTime - outcome.latencyMs, attributes: attemptAttributes(context, outcome, attempt, index + 1) },
        trace.setSpan(ROOT_CONTEXT, parent),
      );
      if (!outcome.ok) fail(span, outcome.error?.code ?? attempt?.errorCode ?? 'error');
      span.end(endTime);
    },

    onRequestEnd(context) {
      // Requests that failed before the pipeline started (authentication, an unreadable body) get their span here.
      const span = spans.get(context) ?? open(context);
      spans.delete(context);
      if (span.isRecording()) {
        span.setAttributes(endAttributes(context));
        if (context.error !== undefined) fail(span, context.error.code);
      }
      span.end(wallClock(context, context.endedAt ?? performance.now()));
    },
  };
}

function endAttributes(context: RequestContext): Attributes {
  const served = context.served;
  const tried = served ?? context.attempts[context.attempts.length - 1]?.target;
  const principal = context.principal;
  return {
    ...providerAttributes(tried?.provider),
    ...(served === undefined ? {} : answerAttributes(context, served)),
    [GENERAL.httpResponseStatusCode]: context.status,
    [TOLLGATE.attempts]: context.attempts.length,
    [TOLLGATE.costUsd]: context.cost?.known ? context.cost.usd : undefined,
    [TOLLGATE.virtualKeyId]: principal?.keyId,
    [TOLLGATE.teamId]: principal?.teamId,
    [TOLLGATE.customerId]: principal?.customerId,
  };
}

function attemptAttributes(context: RequestContext, outcome: AttemptOutcome, attempt: Attempt | undefined, number: number): Attributes {
  const target = outcome.target;
  const okStatus = outcome.ok && attempt !== undefined ? attempt.status : undefined;
  return {
    [GEN_AI.operationName]: context.operation,
    ...providerAttributes(target.provider),
    ...serverAttributes(target.provider),
    [GEN_AI.requestModel]: target.model,
    ...(context.served === target ? answerAttributes(context, target) : {}),
    // The upstream's status only: an attempt refused before leaving (rate limit, budget) has none.
    [GENERAL.httpResponseStatusCode]: outcome.error?.upstreamStatus ?? okStatus,
    [TOLLGATE.provider]: target.provider.name,
    [TOLLGATE.providerKeyId]: attempt?.keyId,
    [TOLLGATE.attempt]: number,
  };
}

/** What the answer that reached the caller said: model, usage, why it stopped. */
function answerAttributes(context: RequestContext, served: Target): Attributes {
  const usage = context.usage;
  return {
    [GEN_AI.responseModel]: served.model,
    [GEN_AI.usageInputTokens]: usage?.inputTokens,
    [GEN_AI.usageOutputTokens]: usage?.outputTokens,
    [GEN_AI.usageCacheReadInputTokens]: usage?.cachedInputTokens,
    [GEN_AI.usageCacheWriteInputTokens]: usage?.cacheWriteTokens,
    [GEN_AI.usageReasoningOutputTokens]: usage?.reasoningTokens,
    [GEN_AI.responseFinishReasons]: context.finishReason === undefined ? undefined : [genAiFinishReason(context.finishReason.unified)],
  };
}

function providerAttributes(provider: ProviderInstance | undefined): Attributes {
  if (provider === undefined) return {};
  const name = genAiProviderName(provider.adapter.type);
  return { [GEN_AI.providerName]: name, [GEN_AI.system]: name };
}

const serverAddresses = new WeakMap<ProviderInstance, Attributes>();

/** `server.address`/`server.port` of a provider's base URL; none for in-process providers (`mock://`). */
function serverAttributes(provider: ProviderInstance): Attributes {
  let attributes = serverAddresses.get(provider);
  if (attributes === undefined) {
    attributes = {};
    try {
      const url = new URL(provider.settings.baseUrl);
      if (url.protocol === 'http:' || url.protocol === 'https:') {
        attributes = { [GENERAL.serverAddress]: url.hostname, [GENERAL.serverPort]: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port) };
      }
    } catch {
      // A base URL that does not parse has no address to report.
    }
    serverAddresses.set(provider, attributes);
  }
  return attributes;
}

function fail(span: Span, code: string): void {
  span.setAttribute(GENERAL.errorType, code);
  // The code, not the message: upstream error messages can quote the request's content.
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
}

/** The attempt just reported is the last one on that target. */
function attemptIndex(attempts: readonly Attempt[], target: Target): number {
  for (let index = attempts.length - 1; index >= 0; index--) if (attempts[index]!.target === target) return index;
  return attempts.length - 1;
}

/** Epoch milliseconds of a `performance.now()` reading, anchored on the request's arrival. */
function wallClock(context: RequestContext, monotonic: number): number {
  return context.receivedAt + (monotonic - context.startedAt);
}
