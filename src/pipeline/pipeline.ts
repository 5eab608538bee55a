import type { PerformedOperation } from './capabilities.js';
import type { HttpExchange, HttpHandler } from '../http/http-route.js';
import { parseJsonBody } from '../http/read-json.js';
import { chatCodecOf } from '../providers/instance.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import { GatewayError, toGatewayError, type BilledUnits, type ChatRequest, type ChatResponse, type EmbeddingRequest, type EmbeddingResponse, type Usage } from '../spec/index.js';
import { attemptEmbedding } from './embedding-attempt.js';
import { abortReason, callerListening } from './abort-reason.js';
import { attemptChat } from './chat-attempt.js';
import type { ChatSink } from './chat-sink.js';
import { CollectingSink } from './collecting-sink.js';
import { streamAnswer } from './chat-stream.js';
import { conductRequest, type ConductParts } from './conduct.js';
import { costHeader, createContext, setServedHeaders, type Attempt, type Principal, type RequestContext } from './context.js';
import { contextFor } from './exchange-context.js';
import type { CostCalculator } from './cost.js';
import type { ChatEndpoint, OperationEndpoint, OperationResult } from './endpoint.js';
import { estimateInputTokens } from './estimate-tokens.js';
import { RawCall } from './raw-call.js';
import { plusHeaderFallbacks, withHeaderFallbacks } from './header-fallbacks.js';
import type { Admission, AttemptOutcome, Router } from './hooks.js';
import type { PlanResolver } from './plan-resolver.js';
import { deliverStageAnswer, detach, markAnsweredByStage, recordAnswer } from './stage-answer.js';
import { planStages, runAfterResponse, runBeforeDispatch, type RequestStage, type StageCall, type StagePlan } from './stages.js';
import { sessionTurns, type OpenedSession, type SessionConnection, type SessionHost, type SessionInit } from './session.js';
import type { RoutePlan, Target } from './target.js';

export interface PipelineParts {
  resolver: PlanResolver;
  router: Router;
  /** The modules' stages (govern, policy, guard, cache, observe), in any order: they are sorted by phase. */
  stages: readonly RequestStage[];
  costs: CostCalculator | undefined;
  transport: HttpTransport;
}

/** Where an error of a request goes: the sink of its dialect. */
type FailureSink = Pick<ChatSink, 'fail'>;

/**
 * The owner of every request's life, the same for every route:
 * authenticate → decode → stages before dispatch → resolve and authorize → for each target the
 * router offers: admit → call → (stream until committed) → settle → stages after the response (or
 * per streamed part) → deliver in the caller's dialect → finish (observers, exactly once).
 * Surfaces only translate dialects (an endpoint: decode, sink); features plug in as stages,
 * governance, a router and observers, composed once at start-up.
 */
export class Pipeline {
  private readonly stages: StagePlan;
  private readonly conductParts: ConductParts;

  constructor(readonly parts: PipelineParts) {
    this.stages = planStages(parts.stages);
    this.conductParts = {
      turn: (parent, index, request, sink) => this.turn(parent, index, request, sink),
      afterResponse: this.stages.afterResponse,
      openStream: this.stages.openStream,
      total: (costs) => this.parts.costs?.total?.(costs),
      setServedHeaders,
      costHeader,
      recordAnswer,
    };
  }

  /** Swaps in a reloaded resolver and price list; requests already running keep the ones they started with. */
  reconfigure(parts: Pick<PipelineParts, 'resolver' | 'costs'>): void {
    this.parts.resolver = parts.resolver;
    this.parts.costs = parts.costs;
  }

  /** The HTTP handler of a chat route. */
  chatHandler(endpoint: ChatEndpoint): HttpHandler {
    return (exchange) => this.serveChat(exchange, endpoint);
  }

  /** The HTTP handler of any other operation (embeddings, the model list, and the endpoints beyond chat). */
  operationHandler<Request, Response>(endpoint: OperationEndpoint<Request, Response>): HttpHandler {
    return (exchange) => this.serveOperation(exchange, endpoint);
  }

  /**
   * An embedding the gateway asks for itself on behalf of `parent`'s caller (the response cache's
   * semantic layer): resolved, authorized, admitted against the same key's limits and budgets,
   * routed with retries and fallbacks, priced and logged as a request of its own (surface
   * `internal`). Stages do not run on it. Throws GatewayError.
   */
  async embedFor(parent: RequestContext, model: string, input: string[]): Promise<EmbeddingResponse> {
    const context = createContext({ id: `${parent.id}.embedding`, surface: 'internal', operation: 'embeddings', method: 'POST', path: parent.path, headers: {}, clientAddress: parent.clientAddress, signal: parent.signal });
    context.principal = parent.principal;
    context.requestedModel = model;
    this.start(context);
    const request: EmbeddingRequest = { model, input };
    let response: EmbeddingResponse | undefined;
    try {
      const plan = this.plan(context, model, undefined);
      const inputTokens = input.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
      await this.dispatch(context, plan, inputTokens, 0, undefined, async (target, attempt, admission) => {
        let result;
        try {
          result = await attemptEmbedding(target, request, this.parts.transport, context.signal);
        } catch (error) {
          throw this.errorOf(context, error);
        }
        attempt.keyId = result.keyId;
        attempt.status = 200;
        this.serve(context, target, result.usage);
        admission?.settle(context.usage, context.cost);
        response = result.response;
        return true;
      });
      return response!;
    } catch (error) {
      const failure = this.outcomeOf(context, error);
      context.error = failure;
      context.status = failure.status;
      throw failure;
    } finally {
      this.finish(context);
    }
  }

  /**
   * Who calls on an exchange, for a route that speaks a protocol of its own and runs its requests
   * through `perform` (the MCP server at `/mcp`): the same check as every route's, throwing the
   * same GatewayError (`invalid_api_key`, …). Undefined when governance is off or no key is configured.
   */
  async caller(exchange: HttpExchange): Promise<Principal | undefined> {
    const context = contextFor(exchange, 'internal', 'authenticate');
    await this.authenticate(context);
    return context.principal;
  }

  /**
   * Runs one operation the gateway performs itself for an already identified caller, outside a
   * route's own request (a tool call inside an MCP session): observed, logged and counted like any
   * request, under `operation`, with `subject` as its model (the tool's name). Rethrows what `work`
   * throws, as a GatewayError, once the observers have it.
   */
  async perform<T>(init: PerformedOperation, work: (context: RequestContext) => Promise<T>): Promise<T> {
    const context = createContext({
      id: init.id,
      surface: init.surface,
      operation: init.operation,
      method: init.method ?? 'POST',
      path: init.path,
      headers: init.headers,
      clientAddress: init.clientAddress,
      signal: init.signal,
      ...(init.parentId === undefined ? {} : { parentId: init.parentId }),
    });
    context.principal = init.principal;
    context.requestedModel = init.subject;
    this.start(context);
    try {
      return await work(context);
    } catch (error) {
      const failure = this.outcomeOf(context, error);
      context.error = failure;
      context.status = failure.status;
      throw failure;
    } finally {
      this.finish(context);
    }
  }

  /**
   * Opens a long-lived session (a realtime WebSocket) for the caller of `init.headers`: authenticated,
   * the model resolved and authorized, admitted once (the caller's limits and budgets must have room
   * for a response), then `connect` tried on each target the router offers until one opens, so a
   * refused or unreachable provider falls back before the session starts. An open session is not a
   * request of its own: its turns are (OpenedSession.admitTurn). A session that fails to open is
   * logged and counted as a failed request; the GatewayError is rethrown for the caller's refusal.
   */
  async openSession<Connection>(init: SessionInit, connect: (target: Target, signal: AbortSignal) => Promise<SessionConnection<Connection>>): Promise<OpenedSession<Connection>> {
    const context = createContext({ id: init.id, surface: init.surface, operation: init.operation, method: 'GET', path: init.path, headers: init.headers, clientAddress: init.clientAddress, signal: init.signal });
    context.sessionId = init.id;
    context.stream = true;
    let opened: { target: Target; connected: SessionConnection<Connection> } | undefined;
    try {
      await this.authenticate(context);
      context.requestedModel = init.model;
      // Not started for the observers: an open session is not in flight as a request; only a failure to open is logged.
      const plan = this.plan(context, init.model, plusHeaderFallbacks(undefined, init.headers));
      await this.dispatch(context, plan, 0, undefined, undefined, async (target, attempt, admission) => {
        let connected: SessionConnection<Connection>;
        try {
          connected = await connect(target, context.signal);
        } catch (error) {
          throw this.errorOf(context, error);
        }
        // Opening bills nothing: the reservation only checked there is room for a response.
        admission?.release();
        attempt.keyId = connected.keyId;
        attempt.status = 101;
        setServedHeaders(context, target);
        // The upgrade's answer bills nothing; each response's cost rides on its `response.done`.
        context.responseHeaders['x-tollgate-cost'] = '0';
        opened = { target, connected };
        return true;
      });
    } catch (error) {
      const failure = this.outcomeOf(context, error);
      context.error = failure;
      context.status = failure.status;
      this.finish(context);
      throw failure;
    }
    const { target, connected } = opened!;
    const governance = this.stages.governance;
    const costs = this.parts.costs;
    const host: SessionHost = {
      admit: (turn, on) => governance?.admit(turn, on, { inputTokens: 0, maxOutputTokens: costs?.reservedOutput(on, undefined), maxCostUsd: costs?.maxCost(on, 0, undefined) }),
      start: (turn) => this.start(turn),
      price: (turn, on, usage) => this.price(turn, on, usage),
      finish: (turn) => this.finish(turn),
    };
    return {
      id: init.id,
      target,
      connection: connected.connection,
      principal: context.principal,
      responseHeaders: context.responseHeaders,
      admitTurn: sessionTurns(host, init, target, connected.keyId, context.principal),
    };
  }

  /**
   * A chat request the gateway makes itself for an already identified caller (a line of a batch the
   * gateway runs): the whole life of a chat request (stages, authorization of its model, admission
   * against the caller's limits and budgets, routing with retries and fallbacks, pricing) under
   * `init`'s id and operation, logged and counted as a request of its own. Never streamed. Resolves
   * with the whole answer; throws the GatewayError the caller of a route would have received.
   */
  async chatFor(init: PerformedOperation, request: ChatRequest): Promise<ChatResponse> {
    const context = createContext({ id: init.id, surface: init.surface, operation: init.operation, method: init.method ?? 'POST', path: init.path, headers: init.headers, clientAddress: init.clientAddress, signal: init.signal });
    context.principal = init.principal;
    const sink = new CollectingSink();
    try {
      await this.chat(context, { ...request, stream: false }, sink, undefined);
    } catch (error) {
      this.fail(context, this.outcomeOf(context, error), sink);
    } finally {
      this.finish(context);
    }
    if (sink.response !== undefined) return sink.response;
    throw sink.error ?? context.error ?? new GatewayError('internal_error', 'The request ended without an answer.');
  }

  /** Whether the caller may name `model` (always, without governance). */
  allowsModel(principal: Principal | undefined, model: string): boolean {
    const governance = this.stages.governance;
    return governance === undefined || governance.allowsModel(principal, model);
  }

  /** Models the caller may name, for the model lists. */
  listModels(principal: Principal | undefined): string[] {
    const governance = this.stages.governance;
    const all = this.parts.resolver.models();
    return governance === undefined ? [...all] : all.filter((model) => governance.allowsModel(principal, model));
  }

  private async serveChat(exchange: HttpExchange, endpoint: ChatEndpoint): Promise<void> {
    const context = contextFor(exchange, endpoint.surface, endpoint.operation ?? 'chat');
    const sink = endpoint.sink(exchange);
    try {
      const authenticating = this.authenticate(context);
      if (authenticating !== undefined) await authenticating;
      const raw = this.stages.raw;
      if (raw !== undefined && endpoint.rawKey !== undefined) return await this.chatFromBytes(context, exchange, endpoint, sink, raw.stage, new RawCall(endpoint.rawKey, await exchange.readJsonBytes(), context, raw.ahead));
      // Per-request fallbacks may also come as a header, so callers can add them without touching the body.
      const request = withHeaderFallbacks(endpoint.decode(await exchange.readJson(), exchange), exchange.request.headers);
      await this.chat(context, request, sink, undefined);
    } catch (error) {
      this.fail(context, this.outcomeOf(context, error), sink);
    } finally {
      this.finish(context);
    }
  }

  /**
   * A chat request whose bytes a stage may answer before they are decoded (a cache hit on a body
   * seen before); decoded and served as usual otherwise, the bytes going with it to the stages.
   */
  private async chatFromBytes(context: RequestContext, exchange: HttpExchange, endpoint: ChatEndpoint, sink: ChatSink, stage: RequestStage, raw: RawCall): Promise<void> {
    const found = stage.answerRaw!(context, raw);
    const answered = found instanceof Promise ? await found : found;
    if (answered === undefined) {
      const request = withHeaderFallbacks(endpoint.decode(parseJsonBody(raw.body), exchange), exchange.request.headers);
      raw.decoded = request;
      return this.chat(context, request, sink, raw.kept ? raw : undefined);
    }
    const request = answered.request;
    context.requestedModel = request.model;
    context.stream = request.stream;
    context.chatRequest = request;
    this.start(context);
    // As for a hit found after decoding: only a caller who may use the model gets it.
    this.plan(context, request.model, undefined);
    deliverStageAnswer(context, request, answered.answer as ChatResponse, sink, answered.rendered);
  }

  private async serveOperation<Request, Response>(exchange: HttpExchange, endpoint: OperationEndpoint<Request, Response>): Promise<void> {
    const context = contextFor(exchange, endpoint.surface, endpoint.operation);
    const sink: FailureSink = { fail: (failed, error) => endpoint.sendError(exchange, failed, error) };
    try {
      await this.authenticate(context);
      const body = endpoint.readsBody === 'bytes' ? await exchange.readBytes() : endpoint.readsBody ? await exchange.readJson() : undefined;
      const decoded = endpoint.decode(body, exchange);
      const request = decoded instanceof Promise ? await decoded : decoded;
      if (endpoint.authorize !== undefined) await endpoint.authorize(context, request);
      const model = endpoint.model(request);
      if (model === undefined) {
        const answer = endpoint.answer!(context, request);
        endpoint.send(exchange, context, answer instanceof Promise ? await answer : answer, request);
        return;
      }
      context.requestedModel = model;
      this.start(context);
      const call: StageCall = { operation: endpoint.operation, model, request };
      const answered = this.stages.beforeDispatch === undefined ? undefined : await runBeforeDispatch(this.stages.beforeDispatch, context, call);
      if (answered !== undefined) {
        if (!('answer' in answered)) throw new GatewayError('internal_error', `Only chat requests can run detached from their caller or conducted by a stage, not ${endpoint.operation}.`);
        // A stage's answer (a cache hit shared by a team) reaches only a caller who may use the model.
        if (endpoint.provider === undefined) this.plan(context, call.model, undefined);
        markAnsweredByStage(context);
        endpoint.send(exchange, context, answered.answer as Response, call.request as Request);
        return;
      }
      const routed = call.request as Request;
      const plan = endpoint.provider === undefined ? this.plan(context, call.model, plusHeaderFallbacks(endpoint.fallbacks?.(routed), exchange.request.headers)) : this.providerPlan(context, endpoint.provider(routed), call.model);
      // These operations have no output tokens to reserve for.
      await this.dispatch(context, plan, endpoint.inputTokens?.(routed) ?? 0, 0, endpoint.units?.(routed), async (target, attempt, admission) => {
        let result: OperationResult<Response>;
        try {
          result = await endpoint.attempt!(target, routed, this.parts.transport, context.signal);
        } catch (error) {
          throw this.errorOf(context, error);
        }
        attempt.keyId = result.keyId;
        attempt.status = result.status ?? 200;
        context.status = attempt.status;
        this.serve(context, target, result.usage);
        try {
          const response = this.stages.afterResponse === undefined ? result.response : await runAfterResponse(this.stages.afterResponse, context, call, result.response);
          const sending = endpoint.send(exchange, context, response, routed);
          if (sending !== undefined) await sending;
        } finally {
          if (admission !== undefined) attempt.chargedNanoUsd = admission.settle(context.usage, context.cost);
        }
        return true;
      });
    } catch (error) {
      this.fail(context, this.outcomeOf(context, error), sink);
    } finally {
      this.finish(context);
    }
  }

  /**
   * Identifies the caller. Returns a promise only when governance answers with one (a key store
   * that must be asked), so the usual in-memory lookup costs the request no extra microtask.
   */
  private authenticate(context: RequestContext): Promise<void> | undefined {
    const governance = this.stages.governance;
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
  private plan(context: RequestContext, model: string, fallbacks: readonly string[] | undefined): RoutePlan {
    const plan = this.parts.resolver.resolve(model, fallbacks);
    return this.stages.governance === undefined ? plan : this.stages.governance.authorize(context, plan);
  }

  /** The plan of a request addressed to a provider, narrowed to what the caller may use. */
  private providerPlan(context: RequestContext, provider: string, model: string): RoutePlan {
    const resolver = this.parts.resolver;
    if (resolver.provider === undefined) throw new GatewayError('operation_not_supported', 'This gateway cannot address providers directly.');
    const plan = resolver.provider(provider, model === '*' ? undefined : model);
    return this.stages.governance === undefined ? plan : this.stages.governance.authorize(context, plan);
  }

  private async chat(context: RequestContext, request: ChatRequest, sink: ChatSink, raw: RawCall | undefined): Promise<void> {
    context.requestedModel = request.model;
    context.stream = request.stream;
    context.chatRequest = request;
    this.start(context);
    const call: StageCall = { operation: 'chat', model: request.model, request, raw };
    if (this.stages.beforeDispatch !== undefined) {
      const answered = await runBeforeDispatch(this.stages.beforeDispatch, context, call);
      context.chatRequest = call.request as ChatRequest;
      if (answered !== undefined) {
        if ('conduct' in answered) return conductRequest(this.conductParts, context, call, answered.conduct, sink);
        if (!('detach' in answered)) {
          // A stage's answer (a cache hit shared by a team) reaches only a caller who may use the model.
          this.plan(context, call.model, undefined);
          return deliverStageAnswer(context, call.request as ChatRequest, answered.answer as ChatResponse, sink, answered.rendered);
        }
        sink = detach(context, answered.detach, sink);
      }
    }
    const routed = call.request as ChatRequest;
    const plan = this.plan(context, call.model, routed.gateway?.fallbacks);
    await this.dispatch(context, plan, estimateInputTokens(routed), routed.maxOutputTokens, undefined, (target, attempt, admission, started) => this.chatAttempt(context, call, target, attempt, admission, started, sink));
  }

  /**
   * One model call of a request a stage conducts (an agent loop's turn): a request of its own for
   * the same caller (id `<parent>.<index>`), resolved, authorized, admitted, routed, priced and
   * observed, with no stage running on it. Never throws: the returned context says how it ended.
   */
  private async turn(parent: RequestContext, index: number, request: ChatRequest, sink: ChatSink): Promise<RequestContext> {
    const context = createContext({ id: `${parent.id}.${index}`, surface: parent.surface, operation: 'chat', method: parent.method, path: parent.path, headers: parent.headers, clientAddress: parent.clientAddress, signal: parent.signal, parentId: parent.id });
    context.principal = parent.principal;
    context.requestedModel = request.model;
    context.stream = request.stream;
    context.chatRequest = request;
    this.start(context);
    try {
      const call: StageCall = { operation: 'chat', model: request.model, request };
      const plan = this.plan(context, request.model, request.gateway?.fallbacks);
      await this.dispatch(context, plan, estimateInputTokens(request), request.maxOutputTokens, undefined, (target, attempt, admission, started) => this.chatAttempt(context, call, target, attempt, admission, started, sink, false));
    } catch (error) {
      const failure = this.outcomeOf(context, error);
      context.error = failure;
      context.status = failure.status;
    } finally {
      this.finish(context);
    }
    return context;
  }

  /** Records a failure and tells the sink. */
  private fail(context: RequestContext, error: GatewayError, sink: FailureSink): void {
    context.error = error;
    context.status = error.status;
    const last = context.attempts[context.attempts.length - 1];
    if (last !== undefined && context.served === undefined) setServedHeaders(context, last.target);
    // Nothing was served, so nothing is billed: failed attempts cost nothing upstream.
    if (context.served === undefined) context.responseHeaders['x-tollgate-cost'] = '0';
    // A caller that went away gets nothing; the error is still what the log and metrics record.
    if (callerListening(context.signal)) sink.fail(context, error);
  }

  /**
   * What ended a request, at its top level: a GatewayError as raised (reading the body raises its own
   * `request_timeout`; dispatch has already put the abort's reason in place of what an aborted
   * upstream call threw); anything else is the abort's reason when there was one.
   */
  private outcomeOf(context: RequestContext, error: unknown): GatewayError {
    return GatewayError.is(error) ? error : this.errorOf(context, error);
  }

  /** What ended an upstream attempt: the abort's reason once the caller left or the request timed out, else the error itself. */
  private errorOf(context: RequestContext, error: unknown): GatewayError {
    return context.signal.aborted ? abortReason(context.signal) : toGatewayError(error);
  }

  private start(context: RequestContext): void {
    for (const observer of this.stages.observers) {
      try {
        observer.onRequestStart?.(context);
      } catch {
        // See finish().
      }
    }
  }

  /** Tells observers the request is over: exactly once per request, whatever route and outcome. */
  private finish(context: RequestContext): void {
    context.endedAt = performance.now();
    for (const observer of this.stages.observers) {
      try {
        observer.onRequestEnd?.(context);
      } catch {
        // Observers must never break a request; they report their own failures.
      }
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
    units: BilledUnits | undefined,
    run: (target: Target, attempt: Attempt, admission: Admission | undefined, started: number) => Promise<boolean>,
  ): Promise<void> {
    const { router, costs } = this.parts;
    const governance = this.stages.governance;
    const session = router.start(context, plan);
    let outcome: AttemptOutcome | undefined;
    let lastError: GatewayError | undefined;
    for (;;) {
      // Awaited only when it is a promise: the router answers synchronously unless it backs off.
      const next = session.next(outcome);
      const target = next instanceof Promise ? await next : next;
      if (target === undefined) break;
      if (context.signal.aborted) throw abortReason(context.signal);
      const attempt: Attempt = { target, keyId: target.key?.id, status: 0, errorCode: undefined, errorMessage: undefined, latencyMs: 0, upstream: false };
      context.attempts.push(attempt);
      const started = performance.now();
      let admission: Admission | undefined;
      try {
        if (governance !== undefined) {
          const reservedOutput = costs === undefined ? maxOutputTokens : costs.reservedOutput(target, maxOutputTokens);
          const admitted = governance.admit(context, target, { inputTokens, maxOutputTokens: reservedOutput, maxCostUsd: costs?.maxCost(target, inputTokens, maxOutputTokens, units) });
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
        const released = admission?.release();
        if (released !== undefined) attempt.chargedNanoUsd = released;
        const failure = this.errorOf(context, error);
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

  /** One attempt of a chat request on `target`; `staged` false for a turn of a conducted request, which no stage sees. */
  private async chatAttempt(context: RequestContext, call: StageCall, target: Target, attempt: Attempt, admission: Admission | undefined, started: number, sink: ChatSink, staged = true): Promise<boolean> {
    const request = call.request as ChatRequest;
    const result = await attemptChat(target, request, this.parts.transport, context.signal);
    attempt.keyId = result.keyId;
    const afterResponse = staged ? this.stages.afterResponse : undefined;
    if (result.kind === 'stream') {
      const tapping = staged ? this.stages.openStream : undefined;
      return streamAnswer({ context, call, target, result, started, attempt, sink, admission, stages: tapping, serve: (usage) => this.price(context, target, usage), onServed: () => setServedHeaders(context, target), reportAttempt: (outcome) => this.reportAttempt(context, outcome) });
    }
    attempt.status = 200;
    attempt.latencyMs = performance.now() - started;
    let response = result.response;
    let raw: string | undefined = sink.dialect === chatCodecOf(target.provider, target.model).dialect ? result.raw : undefined;
    this.serve(context, target, response.usage);
    try {
      if (afterResponse !== undefined) {
        const checked = await runAfterResponse(afterResponse, context, call, response);
        // A rewritten answer is re-encoded: the upstream's bytes no longer say what it says.
        if (checked !== response) raw = undefined;
        response = checked;
      }
      recordAnswer(context, response);
      // The answer goes out first; charging the budgets and counters is not the caller's wait.
      sink.complete(context, response, raw);
    } finally {
      if (admission !== undefined) attempt.chargedNanoUsd = admission.settle(context.usage, context.cost);
    }
    return true;
  }

  /** Marks `target` as the one that served and prices the usage; the caller settles the admission once the answer is out. */
  private serve(context: RequestContext, target: Target, usage: Usage | undefined): void {
    context.served = target;
    setServedHeaders(context, target);
    this.price(context, target, usage);
    // An unpriced model (or a provider that sent no usage) is served, and says its cost is unknown rather than $0.
    context.responseHeaders['x-tollgate-cost'] = costHeader(context.cost);
  }

  private price(context: RequestContext, target: Target, usage: Usage | undefined): void {
    context.usage = usage;
    context.cost = this.parts.costs?.cost(target, usage);
  }

  private reportAttempt(context: RequestContext, outcome: AttemptOutcome): void {
    for (const observer of this.stages.observers) {
      try {
        observer.onAttempt?.(context, outcome);
      } catch {
        // See finish().
      }
    }
  }
}
