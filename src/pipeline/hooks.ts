import type { GatewayError, Usage } from '../spec/index.js';
import type { Principal, RequestContext, RequestCost } from './context.js';
import type { RoutePlan, Target } from './target.js';

/**
 * Governance plugs into the pipeline here: who is calling, what they may use, and whether this
 * attempt fits their limits and budgets. The pipeline calls it; it never calls the pipeline.
 */
export interface Governance {
  /** Identifies the caller. Returns undefined when the gateway runs without virtual keys. Throws `invalid_api_key`, `key_expired`, `key_inactive`. */
  authenticate(context: RequestContext): Principal | undefined | Promise<Principal | undefined>;
  /** Narrows the plan to what the principal may use (and re-weights by its provider configs). Throws `model_not_allowed` / `provider_not_allowed`. */
  authorize(context: RequestContext, plan: RoutePlan): RoutePlan;
  /** Reserves rate-limit and budget room for one attempt. Throws `rate_limit_exceeded` / `budget_exceeded` / `concurrency_limit_exceeded`. */
  admit(context: RequestContext, target: Target, estimate: AdmissionEstimate): Admission | Promise<Admission>;
  /** Whether a model is listed for this principal in `GET /v1/models`. */
  allowsModel(principal: Principal | undefined, model: string): boolean;
}

export interface AdmissionEstimate {
  /** Rough prompt tokens (upper-bound-ish), for token limits and budget reservations. */
  inputTokens: number;
  /** Output tokens this attempt may produce (max_tokens, capped at the model's output limit when known), or undefined. */
  maxOutputTokens: number | undefined;
  /** Worst-case cost in USD of this attempt, when a price is known. */
  maxCostUsd: number | undefined;
}

/** What admit() reserved; exactly one of settle/release is called. */
export interface Admission {
  /**
   * The attempt produced a response: charge what it really used. Returns what the budgets were
   * charged in nano-USD (the request log records it, for `tollgate reconcile`), or undefined when
   * the admission had no ledger lines.
   */
  settle(usage: Usage | undefined, cost: RequestCost | undefined): number | undefined;
  /** The attempt failed before producing anything billable: give the reservation back. Returns 0 (charged nothing), or undefined without ledger lines or once settled. */
  release(): number | undefined;
}

/** The outcome of one attempt, reported back to the router. */
export interface AttemptOutcome {
  readonly target: Target;
  readonly ok: boolean;
  readonly error: GatewayError | undefined;
  readonly latencyMs: number;
  readonly timeToFirstTokenMs?: number;
}

/** One request's walk through its plan: which target next, given how the last one went. */
export interface RoutingSession {
  /** The next target to try, or undefined when the plan is exhausted (or the last error must not be retried). */
  next(previous: AttemptOutcome | undefined): Promise<Target | undefined> | Target | undefined;
}

export interface Router {
  start(context: RequestContext, plan: RoutePlan): RoutingSession;
}

/** Observability plugs in here. Called synchronously: implementations must only enqueue work. */
export interface RequestObserver {
  /** The request is decoded and about to be dispatched (chat and embeddings; not called when it failed earlier). */
  onRequestStart?(context: RequestContext): void;
  onAttempt?(context: RequestContext, outcome: AttemptOutcome): void;
  onRequestEnd(context: RequestContext): void;
}
