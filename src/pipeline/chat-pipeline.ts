import type { HttpTransport } from '../providers/transport/http-transport.js';
import { GatewayError, isContentPart, toGatewayError, type ChatRequest, type EmbeddingRequest, type Usage } from '../spec/index.js';
import { attemptEmbedding, type EmbeddingSink } from './embedding-attempt.js';
import { attemptChat, type DecodedEvent, type StreamAttempt } from './chat-attempt.js';
import type { ChatSink } from './chat-sink.js';
import { COST_UNKNOWN, type Attempt, type Principal, type RequestContext } from './context.js';
import type { CostCalculator } from './cost.js';
import type { Admission, AttemptOutcome, Governance, RequestObserver, RequestPolicy, Router } from './hooks.js';
import type { RoutePlan, Target } from './target.js';
import { mergeUsage } from './usage-accumulator.js';
import type { PlanResolver } from './plan-resolver.js';
import { estimateEmbeddingInputTokens, estimateInputTokens } from './estimate-tokens.js';

export interface PipelineParts {
  resolver: PlanResolver;
  router: Router;
  governance: Governance | undefined;
  observers: readonly RequestObserver[];
  /** Request policies of the modules (none: nothing is called). */
  policies?: readonly RequestPolicy[];
  costs: CostCalculator | undefined;
  transport: HttpTransport;
}

/**
 * The request lifecycle, composed once at start-up: authenticate → resolve → authorize → for
 * each target the router offers: admit → call → (stream until committed) → settle → deliver;
 * observers hear about every attempt and the end of every request.
 */
export class Pipeline {
  constructor(readonly parts: PipelineParts) {}

  /** Swaps in a reloaded resolver and price list; requests already running keep the ones they started with. */
  reconfigure(parts: Pick<PipelineParts, 'resolver' | 'costs'>): void {
    this.parts.resolver = parts.resolver;
    this.parts.costs = parts.costs;
  }

  /**
   * Identifies the caller; surfaces call it before reading the body into the spec. Returns a
   * promise only when governance answers with one (a key store that must be asked), so the usual
   * in-memory lookup costs the request no extra microtask.
   */
  authenticate(context: RequestContext): Promise<void> | undefined {
    const governance = this.parts.governance;
    if (governance === undefined) return undefined;
    const principal = governance.authenticate(context);
    if (principal instanceof Promise) {
      return principal.then((found) => {
        context.principal = found;
      });
    }
    context.principal = principal;
    return undefined;
  }

  /** The plan for a model, narrowed to what the caller may use. */
  plan(context: RequestContext, model: string, fallbacks: readonly string[] | undefined): RoutePlan {
    const policies = this.parts.policies;
    if (policies !== undefined) for (const policy of policies) model = policy.adjustModel(context, model) ?? model;
    const plan = this.parts.resolver.resolve(model, fallbacks);
    return this.parts.governance === undefined ? plan : this.parts.governance.authorize(context, plan);
  }

  /** Models the caller may name, for `GET /v1/models`. */
  listModels(principal: Principal | undefined): string[] {
    const governance = this.parts.governance;
    const all = this.parts.resolver.models();
    return governance === undefined ? [...all] : all.filter((model) => governance.allowsModel(principal, model));
  }

  async chat(context: RequestContext, request: ChatRequest, sink: ChatSink): Promise<void> {
    context.requestedModel = request.model;
    context.stream = request.stream;
    context.chatRequest = request;
    this.start(context);
    try {
      const plan = this.plan(context, request.model, request.gateway?.fallbacks);
      const inputTokens = estimateInputTokens(request);
      await this.dispatch(context, plan, inputTokens, request.maxOutputTokens, (target, attempt, admission, started) => this.chatAttempt(context, request, target, attempt, admission, started, sink));
    } catch (error) {
      this.fail(context, toGatewayError(error), sink);
    }
  }

  /** Records a failure and tells the sink (surfaces also use it for errors before `chat`). */
  fail(context: RequestContext, error: GatewayError, sink: Pick<ChatSink, 'fail'>): void {
    context.error = error;
    context.status = error.status;
    const last = context.attempts[context.attempts.length - 1];
    if (last !== undefined && context.served === undefined) this.setServedHeaders(context, last.target);
    // Nothing was served, so nothing is billed: failed attempts cost nothing upstream.
    if (context.served === undefined) context.responseHeaders['x-tollgate-cost'] = '0';
    sink.fail(context, error);
  }

  private start(context: RequestContext): void {
    for (const observer of this.parts.observers) {
      try {
        observer.onRequestStart?.(context);
      } catch {
        // See finish().
      }
    }
  }

  /** Tells observers the request is over. Surfaces call it exactly once per request. */
  finish(context: RequestContext): void {
    context.endedAt = performance.now();
    for (const observer of this.parts.observers) {
      try {
        observer.onRequestEnd(context);
      } catch {
        // Observers must never break a request; they report their own failures.
      }
    }
  }

  async embeddings(context: RequestContext, request: EmbeddingRequest, sink: EmbeddingSink): Promise<void> {
    context.requestedModel = request.model;
    this.start(context);
    try {
      const plan = this.plan(context, request.model, request.gateway?.fallbacks);
      const inputTokens = estimateEmbeddingInputTokens(request);
      // Embeddings produce no output tokens: nothing to reserve for them.
      await this.dispatch(context, plan, inputTokens, 0, async (target, attempt, admission) => {
        const result = await attemptEmbedding(target, request, this.parts.transport, context.signal);
        attempt.keyId = result.keyId;
        attempt.status = 200;
        this.serve(context, target, result.response.usage);
        try {
          sink.complete(context, result.response);
        } finally {
          admission?.settle(context.usage, context.cost);
        }
        return true;
      });
    } catch (error) {
      this.fail(context, toGatewayError(error), sink);
    }
  }

  /**
   * Walks the router's targets: admit, then `run`; a failure is recorded, reported to the router
   * and the next target tried. `run` settles or hands the admission on; on a throw it is released.
   */
  private async dispatch(
    context: RequestContext,
    plan: RoutePlan,
    inputTokens: number,
    maxOutputTokens: number | undefined,
    run: (target: Target, attempt: Attempt, admission: Admission | undefined, started: number) => Promise<boolean>,
  ): Promise<void> {
    const { router, governance, costs } = this.parts;
    const session = router.start(context, plan);
    let outcome: AttemptOutcome | undefined;
    let lastError: GatewayError | undefined;
    for (;;) {
      // Awaited only when it is a promise: the router answers synchronously unless it backs off.
      const next = session.next(outcome);
      const target = next instanceof Promise ? await next : next;
      if (target === undefined) break;
      if (context.signal.aborted) throw new GatewayError('client_disconnected', 'The caller closed the connection before the answer was complete.');
      const attempt: Attempt = { target, keyId: target.key?.id, status: 0, errorCode: undefined, errorMessage: undefined, latencyMs: 0, upstream: false };
      context.attempts.push(attempt);
      const started = performance.now();
      let admission: Admission | undefined;
      try {
        if (governance !== undefined) {
          const reservedOutput = costs === undefined ? maxOutputTokens : costs.reservedOutput(target, maxOutputTokens);
          const admitted = governance.admit(context, target, { inputTokens, maxOutputTokens: reservedOutput, maxCostUsd: costs?.maxCost(target, inputTokens, maxOutputTokens) });
          admission = admitted instanceof Promise ? await admitted : admitted;
        }
        attempt.upstream = true;
        const served = await run(target, attempt, admission, started);
        admission = undefined;
        if (served) {
          if (attempt.latencyMs === 0) attempt.latencyMs = performance.now() - started;
          if (attempt.errorCode === undefined) this.reportAttempt(context, { target, ok: true, error: undefined, latencyMs: attempt.latencyMs, timeToFirstTokenMs: context.timeToFirstTokenMs });
          return;
        }
      } catch (error) {
        admission?.release();
        const failure = toGatewayError(error);
        attempt.status = failure.upstreamStatus ?? failure.status;
        attempt.errorCode = failure.code;
        attempt.errorMessage = failure.message;
        attempt.latencyMs = performance.now() - started;
        outcome = { target, ok: false, error: failure, latencyMs: attempt.latencyMs };
        this.reportAttempt(context, outcome);
        lastError = failure;
        if (context.signal.aborted) throw failure;
      }
    }
    throw lastError ?? new GatewayError('no_target_available', `No provider is available for \`${plan.requested}\`.`);
  }

  private async chatAttempt(context: RequestContext, request: ChatRequest, target: Target, attempt: Attempt, admission: Admission | undefined, started: number, sink: ChatSink): Promise<boolean> {
    const result = await attemptChat(target, request, this.parts.transport, context.signal);
    attempt.keyId = result.keyId;
    if (result.kind === 'complete') {
      attempt.status = 200;
      attempt.latencyMs = performance.now() - started;
      const first = result.response.choices[0];
      context.finishReason = first?.finishReason;
      if (context.captureOutput && first !== undefined) context.outputText = first.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
      this.serve(context, target, result.response.usage);
      const passthrough = sink.dialect === target.provider.adapter.chatCodec.dialect;
      // The answer goes out first; charging the budgets and counters is not the caller's wait.
      try {
        sink.complete(context, result.response, passthrough ? result.raw : undefined);
      } finally {
        admission?.settle(context.usage, context.cost);
      }
      return true;
    }
    return this.stream(context, target, result, started, attempt, sink, admission);
  }

  /**
   * Reads a stream until it commits (its first content part), so that a failure before then can
   * still fall back to the next target; then forwards everything to the caller.
   * Returns true once the caller has been answered. Throws (before commit) to fail over.
   */
  private async stream(context: RequestContext, target: Target, result: StreamAttempt, started: number, attempt: Attempt, sink: ChatSink, admission: Admission | undefined): Promise<boolean> {
    const buffered: DecodedEvent[] = [];
    const events = result.events;
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
    this.setServedHeaders(context, target);
    const passthrough = sink.dialect === target.provider.adapter.chatCodec.dialect;
    sink.startStream(context);
    let usage: Usage | undefined;
    let streamError: GatewayError | undefined;
    const forward = async (event: DecodedEvent) => {
      for (const part of event.parts) {
        if (part.type === 'usage') usage = mergeUsage(usage, part.usage);
        else if (part.type === 'error') streamError = part.error;
        else if (part.type === 'finish' && part.choice === 0) context.finishReason = part.finishReason;
        else if (part.type === 'text-delta' && part.choice === 0 && context.captureOutput) context.outputText = (context.outputText ?? '') + part.text;
      }
      if (!context.signal.aborted) await sink.event(event, passthrough);
    };
    try {
      for (const event of buffered) await forward(event);
      while (!done) {
        const next = await events.next();
        if (next.done) break;
        await forward(next.value);
      }
    } catch (error) {
      streamError = toGatewayError(error);
      if (!context.signal.aborted) sink.streamError(streamError);
    }
    attempt.latencyMs = performance.now() - started;
    if (streamError !== undefined) {
      attempt.errorCode = streamError.code;
      attempt.errorMessage = streamError.message;
      context.error = streamError;
      // The caller got part of an answer: the log's stop reason says it was cut short.
      context.finishReason = { unified: 'error', raw: streamError.code };
    }
    this.price(context, target, usage);
    try {
      if (streamError !== undefined) this.reportAttempt(context, { target, ok: false, error: streamError, latencyMs: attempt.latencyMs, timeToFirstTokenMs: context.timeToFirstTokenMs });
      if (!context.signal.aborted) sink.endStream(passthrough && streamError === undefined);
    } finally {
      admission?.settle(context.usage, context.cost);
    }
    return true;
  }

  /** Marks `target` as the one that served and prices the usage; the caller settles the admission once the answer is out. */
  private serve(context: RequestContext, target: Target, usage: Usage | undefined): void {
    context.served = target;
    this.setServedHeaders(context, target);
    this.price(context, target, usage);
    // An unpriced model (or a provider that sent no usage) is served, and says its cost is unknown rather than $0.
    context.responseHeaders['x-tollgate-cost'] = context.cost?.known ? (context.cost.exact ?? formatUsd(context.cost.usd)) : COST_UNKNOWN;
  }

  private price(context: RequestContext, target: Target, usage: Usage | undefined): void {
    context.usage = usage;
    context.cost = this.parts.costs?.cost(target, usage);
  }

  private setServedHeaders(context: RequestContext, target: Target): void {
    context.responseHeaders['x-tollgate-provider'] = target.provider.name;
    context.responseHeaders['x-tollgate-model'] = target.model;
    let upstream = 0;
    for (const attempt of context.attempts) if (attempt.upstream) upstream++;
    context.responseHeaders['x-tollgate-attempts'] = String(upstream);
  }

  private reportAttempt(context: RequestContext, outcome: AttemptOutcome): void {
    for (const observer of this.parts.observers) {
      try {
        observer.onAttempt?.(context, outcome);
      } catch {
        // See finish().
      }
    }
  }
}

/** USD with up to 10 decimals and no trailing zeros (`0.000123`). */
export function formatUsd(usd: number): string {
  return usd.toFixed(10).replace(/\.?0+$/, '') || '0';
}
