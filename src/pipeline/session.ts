import type { IncomingHttpHeaders } from 'node:http';
import type { FinishReason, GatewayError, Usage } from '../spec/index.js';
import { COST_UNKNOWN, costHeader, createContext, type Attempt, type Principal, type RequestContext } from './context.js';
import type { Admission } from './hooks.js';
import type { Target } from './target.js';

/** What a long-lived session (a realtime WebSocket) is opened with: the upgrade request's facts and the model asked for. */
export interface SessionInit {
  /** The session's id (the upgrade request's `x-request-id`): every turn's record carries it as `session_id`. */
  readonly id: string;
  readonly surface: string;
  /** Operation of the session's records (`realtime`). */
  readonly operation: string;
  readonly path: string;
  /** The upgrade request's headers, with a key sent another way (a subprotocol) as `authorization`. */
  readonly headers: IncomingHttpHeaders;
  readonly clientAddress: string | undefined;
  readonly model: string;
  /** Aborted when the caller goes away while the session opens. */
  readonly signal: AbortSignal;
}

/** What connecting on one target gave: the connection, and the provider key it used (its id). */
export interface SessionConnection<Connection> {
  connection: Connection;
  keyId: string | undefined;
}

/**
 * An open session: authenticated, authorized and routed once, when it opened. Each billed turn
 * (a realtime response) is a request of its own: admitted against the caller's limits and budgets
 * before it starts, priced and settled when its usage arrives, and logged with the session's id.
 */
export interface OpenedSession<Connection> {
  readonly id: string;
  readonly target: Target;
  readonly connection: Connection;
  readonly principal: Principal | undefined;
  /** `x-request-id`, `x-tollgate-provider`, `x-tollgate-model`, for the upgrade's answer. */
  readonly responseHeaders: Readonly<Record<string, string>>;
  /**
   * Admits the next turn (a rate-limit request and a budget reservation for one response's worst
   * case, as for a chat request without `max_tokens`). Throws GatewayError (`budget_exceeded`,
   * `rate_limit_exceeded`, …) when the caller may not go on.
   */
  admitTurn(): Promise<SessionTurn>;
}

/** One billed turn of a session; exactly one of settle, fail and cancel ends it. */
export interface SessionTurn {
  /** When it was admitted (epoch ms): a reservation held long idle is renewed before use. */
  readonly admittedAt: number;
  /** The turn began (its response was created): it is now a request, timed from here. */
  begin(): void;
  /** Its usage arrived: priced, settled against the budgets, logged. Returns its cost as `x-tollgate-cost` says it (exact USD, or `unknown`). */
  settle(usage: Usage | undefined, finishReason: FinishReason | undefined): string;
  /** It ended without usage (the session closed under it): the reservation given back, the failure logged. */
  fail(error: GatewayError): void;
  /** It never began: the reservation given back, nothing logged. */
  cancel(): void;
}

/** What a session's turns need from the pipeline, which owns the request life. */
export interface SessionHost {
  admit(context: RequestContext, target: Target): Admission | undefined | Promise<Admission | undefined>;
  start(context: RequestContext): void;
  price(context: RequestContext, target: Target, usage: Usage | undefined): void;
  finish(context: RequestContext): void;
}

/** Builds the turns of one opened session, numbered `<session id>.<n>`. */
export function sessionTurns(host: SessionHost, init: SessionInit, target: Target, keyId: string | undefined, principal: Principal | undefined): () => Promise<SessionTurn> {
  let turns = 0;
  const signal = new AbortController().signal;
  const contextOf = (id: string): RequestContext => {
    const context = createContext({ id, surface: init.surface, operation: init.operation, method: 'GET', path: init.path, headers: init.headers, clientAddress: init.clientAddress, signal });
    context.principal = principal;
    context.requestedModel = init.model;
    context.sessionId = init.id;
    context.stream = true;
    return context;
  };
  return async () => {
    const id = `${init.id}.${++turns}`;
    // The admission's own context: the turn's record is timed from its response's start, not from here.
    const admitted = host.admit(contextOf(id), target);
    const admission = admitted instanceof Promise ? await admitted : admitted;
    const attempt: Attempt = { target, keyId, status: 200, errorCode: undefined, errorMessage: undefined, latencyMs: 0, upstream: true };
    let context: RequestContext | undefined;
    let ended = false;
    const begin = (): RequestContext => {
      if (context !== undefined) return context;
      context = contextOf(id);
      context.attempts.push(attempt);
      host.start(context);
      return context;
    };
    const end = (record: RequestContext): void => {
      ended = true;
      attempt.latencyMs = performance.now() - record.startedAt;
      host.finish(record);
    };
    return {
      admittedAt: Date.now(),
      begin() {
        if (!ended) begin();
      },
      settle(usage, finishReason) {
        if (ended) return COST_UNKNOWN;
        const record = begin();
        record.served = target;
        host.price(record, target, usage);
        record.finishReason = finishReason;
        const charged = admission?.settle(record.usage, record.cost);
        if (charged !== undefined) attempt.chargedNanoUsd = charged;
        end(record);
        return costHeader(record.cost);
      },
      fail(error) {
        if (ended) return;
        const record = begin();
        const released = admission?.release();
        if (released !== undefined) attempt.chargedNanoUsd = released;
        attempt.status = error.status;
        attempt.errorCode = error.code;
        attempt.errorMessage = error.message;
        record.error = error;
        record.status = error.status;
        end(record);
      },
      cancel() {
        if (ended || context !== undefined) return;
        ended = true;
        admission?.release();
      },
    };
  };
}
