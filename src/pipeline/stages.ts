import type { ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, StreamPart } from '../spec/index.js';
import type { RequestContext } from './context.js';
import type { Governance, RequestObserver } from './hooks.js';

/**
 * What a stage sees of the request being served. `model` is what the request will be routed by:
 * a stage may rewrite it (a soft action switching a key to a cheaper model), or rewrite `request`
 * in place (a guardrail masking a secret in a prompt). `requestedModel` on the context keeps what
 * the caller asked for.
 */
export type StageCall =
  | {
      readonly operation: 'chat';
      model: string;
      request: ChatRequest;
      /**
       * The body the request was decoded from, when its endpoint decodes the body alone and the
       * stage that answers from bytes (RequestStage.answerRaw) kept it. The request is exactly what
       * these bytes decode to whenever they are sent again (so a stage may remember it by them) while
       * it is still `raw.decoded` and `raw.admits` it (no stage ahead changed it, or would).
       */
      readonly raw?: RawChatCall;
    }
  | { readonly operation: 'embeddings'; model: string; request: EmbeddingRequest }
  /** The endpoints beyond chat and embeddings (images, audio, files, batches, rerank): the operation's own request. */
  | { readonly operation: string & {}; model: string; request: unknown };

/** The answer a stage gives instead of a provider (a cache hit). It must fit the call's operation. */
export type StageAnswer = {
  readonly answer: ChatResponse | EmbeddingResponse | unknown;
  /**
   * Whole chat answers: the answer's body as each dialect's sink rendered it, by dialect, which the
   * pipeline reads and fills (ChatSink.render). A stage that gives the same answer again (a cache
   * hit) passes the same map, so the answer is encoded (to UTF-8 bytes) once per dialect rather than once per hit.
   */
  readonly rendered?: Map<string, Buffer>;
};

/**
 * A chat request's body as its bytes, before it is decoded (RequestStage.answerRaw): the same bytes
 * on the same endpoint always decode to the same request.
 */
export interface RawChatCall {
  /** The endpoint's name in indexes of raw bodies (ChatEndpoint.rawKey): bytes decode alike only on one endpoint. */
  readonly endpoint: string;
  readonly body: Buffer;
  /**
   * Whether a stage may answer before the body is decoded, given the request the bytes decode to
   * (as a stage remembers it): every before-dispatch stage ahead of the answering one passes it.
   */
  admits(request: ChatRequest): boolean;
  /** Asks for the bytes to go with the request to the stages once decoded (StageCall.raw), if no stage answers them first; else they are dropped. */
  keep(): void;
  /** The request as the bytes were decoded, once they were (the same object a stage then sees, unless a stage ahead replaced it). */
  readonly decoded: ChatRequest | undefined;
}

/** A stage's answer to a body's bytes: the answer, and the request the bytes decode to (shared: read it, never change it). */
export interface RawStageAnswer extends StageAnswer {
  readonly request: ChatRequest;
}

/**
 * A stage's word that the request runs on without its caller (a background response): the caller
 * gets `acknowledgement` at once (a whole answer object of its dialect, sent as JSON), and the
 * request is then routed and answered as usual, its answer going only to the stages (after-response
 * hooks, observers). `signal` stops it (a cancel). Chat only.
 */
export interface Detachment {
  readonly acknowledgement: unknown;
  readonly signal: AbortSignal;
}

/**
 * A stage's word that it runs the request itself, as a series of model calls for the same caller
 * (an agent loop running the model's tool calls between them). The stages after it still run
 * before dispatch (a guardrail checks the prompt; a later answer, a cache hit, wins); then the
 * pipeline calls the conductor with a session, delivers the answer it resolves with (priced as the
 * sum of its turns), and passes it through the after-response stages or stream taps as any answer.
 * Chat only.
 */
export type Conductor = (session: ConductSession) => Promise<ChatResponse>;

export interface ConductSession {
  /** The request as every before-dispatch stage left it. */
  readonly request: ChatRequest;
  /**
   * One model call for the request's caller: resolved, authorized, admitted against its limits and
   * budgets, routed with retries and fallbacks, priced, and observed as a request of its own (id
   * `<request id>.<n>`, its parent the request). No stage runs on it. Streams when `request.stream`,
   * and `onPart` hears each part as it arrives (error parts aside). Resolves with the whole answer;
   * throws GatewayError.
   */
  turn(request: ChatRequest, onPart?: (part: StreamPart) => void | Promise<void>): Promise<ChatResponse>;
  /** Sends parts to a streaming caller now, through the stages' stream taps (nothing for a whole answer). */
  emit(parts: readonly StreamPart[]): Promise<void>;
}

/** What a before-dispatch stage may return: an answer, a detachment, a conductor, or nothing (go on). */
export type StageVerdict = StageAnswer | { readonly detach: Detachment } | { readonly conduct: Conductor };

/**
 * Rewrites, holds back or records the parts of one streamed answer (a guardrail masking a secret
 * that spans chunks, a cache filling). One tap per request, made by `openStream`.
 */
export interface StreamTap {
  /** One part on its way to the caller: returns the parts to send now (none to hold it back, several to release held ones). */
  part(part: StreamPart): StreamPart[];
  /** The stream ended (completely, or with `error`): returns the parts still held, to send before the end. */
  end(error: boolean): StreamPart[];
}

/**
 * The order stages run in, whatever order modules are listed in. `govern` (who is calling, what
 * they may use, whether an attempt fits their limits: one stage at most) has fixed points in the
 * request's life; `policy`, `guard` and `cache` run before dispatch in this order, and in the same
 * order on the way back (whole responses, streamed parts), so a guardrail sees an answer before
 * the cache stores it; `observe` hears every attempt and the end of every request.
 */
export const STAGE_PHASES = ['govern', 'policy', 'guard', 'cache', 'observe'] as const;
export type StagePhase = (typeof STAGE_PHASES)[number];

/**
 * One feature's place in a request's life (see docs/architecture.md for the whole order). Every
 * hook is optional; the pipeline flattens the stages into one list per hook at start-up, so a hook
 * no stage implements costs a request nothing. Stages never call each other.
 */
export interface RequestStage extends Partial<Governance>, Partial<RequestObserver> {
  readonly name: string;
  readonly phase: StagePhase;
  /**
   * Before the request is routed. May rewrite `call.model` or `call.request`, answer it (return
   * `{ answer }`: no provider is called, later stages do not run), or refuse it (throw a GatewayError).
   */
  beforeDispatch?(context: RequestContext, call: StageCall): StageVerdict | undefined | Promise<StageVerdict | undefined>;
  /**
   * A whole (not streamed) answer, from a provider or an earlier stage, before it is encoded for
   * the caller. May return a replacement, or throw a GatewayError to refuse it.
   */
  afterResponse?(context: RequestContext, call: StageCall, response: unknown): unknown | undefined | Promise<unknown | undefined>;
  /** A streamed answer is about to start: returns a tap for its parts, or undefined to let them pass. */
  openStream?(context: RequestContext, call: StageCall): StreamTap | undefined;
  /**
   * Whether `beforeDispatch` would leave this call alone: neither change, refuse, answer nor record
   * anything. A stage answering from raw bytes (answerRaw) after it runs only when every stage
   * ahead of it says so; one that leaves this out is taken to act on every request.
   */
  passes?(context: RequestContext, call: StageCall): boolean;
  /**
   * Answers a chat request from its body's bytes, before they are decoded (a cache that has seen
   * these bytes from this caller); undefined to decode as usual. Called only for endpoints that
   * decode the body alone; it answers only when `raw.admits` the request the bytes decode to, and
   * only then changes the context. The first before-dispatch stage with this hook is asked.
   */
  answerRaw?(context: RequestContext, raw: RawChatCall): RawStageAnswer | undefined | Promise<RawStageAnswer | undefined>;
}

/** A governance implementation as the `govern` stage. */
export function governStage(name: string, governance: Governance): RequestStage {
  return {
    name,
    phase: 'govern',
    authenticate: (context) => governance.authenticate(context),
    authorize: (context, plan) => governance.authorize(context, plan),
    admit: (context, target, estimate) => governance.admit(context, target, estimate),
    allowsModel: (principal, model) => governance.allowsModel(principal, model),
  };
}

/** An observer as an `observe` stage. */
export function observeStage(name: string, observer: RequestObserver): RequestStage {
  return {
    name,
    phase: 'observe',
    ...(observer.onRequestStart === undefined ? {} : { onRequestStart: (context: RequestContext) => observer.onRequestStart!(context) }),
    ...(observer.onAttempt === undefined ? {} : { onAttempt: (context: RequestContext, outcome: Parameters<NonNullable<RequestObserver['onAttempt']>>[1]) => observer.onAttempt!(context, outcome) }),
    onRequestEnd: (context) => observer.onRequestEnd(context),
  };
}

/** The stages of every module, flattened per hook and sorted by phase once at start-up. Empty lists are undefined. */
export interface StagePlan {
  readonly governance: Governance | undefined;
  /**
   * The stage that answers chat requests from their bytes, and the before-dispatch stages ahead of
   * it (each with `passes`); undefined when no stage has `answerRaw` or one ahead of it lacks `passes`.
   */
  readonly raw: { readonly stage: RequestStage; readonly ahead: readonly RequestStage[] } | undefined;
  readonly beforeDispatch: readonly RequestStage[] | undefined;
  readonly afterResponse: readonly RequestStage[] | undefined;
  readonly openStream: readonly RequestStage[] | undefined;
  readonly observers: readonly RequestStage[];
}

/** Throws when two stages govern, or a governing stage lacks one of the four governance hooks. */
export function planStages(stages: readonly RequestStage[]): StagePlan {
  const sorted = [...stages].sort((a, b) => STAGE_PHASES.indexOf(a.phase) - STAGE_PHASES.indexOf(b.phase));
  const having = (hook: 'beforeDispatch' | 'afterResponse' | 'openStream') => {
    const found = sorted.filter((stage) => stage[hook] !== undefined);
    return found.length === 0 ? undefined : found;
  };
  const governing = sorted.filter((stage) => stage.phase === 'govern');
  if (governing.length > 1) throw new Error(`Only one stage may govern requests; found ${governing.map((stage) => stage.name).join(' and ')}.`);
  const governor = governing[0];
  if (governor !== undefined) {
    const missing = (['authenticate', 'authorize', 'admit', 'allowsModel'] as const).filter((hook) => governor[hook] === undefined);
    if (missing.length > 0) throw new Error(`The governing stage ${governor.name} lacks ${missing.join(', ')}.`);
  }
  const dispatching = having('beforeDispatch') ?? [];
  const answering = dispatching.findIndex((stage) => stage.answerRaw !== undefined);
  const ahead = dispatching.slice(0, Math.max(0, answering));
  const raw = answering === -1 || ahead.some((stage) => stage.passes === undefined) ? undefined : { stage: dispatching[answering]!, ahead };
  return {
    governance: governor as Governance | undefined,
    raw,
    beforeDispatch: having('beforeDispatch'),
    afterResponse: having('afterResponse'),
    openStream: having('openStream'),
    observers: sorted.filter((stage) => stage.onRequestStart !== undefined || stage.onAttempt !== undefined || stage.onRequestEnd !== undefined),
  };
}

/**
 * Runs the before-dispatch stages in order; the first answer (or detachment) wins. A conductor
 * does not stop the stages after it: it is returned when none of them answers.
 */
export async function runBeforeDispatch(stages: readonly RequestStage[], context: RequestContext, call: StageCall): Promise<StageVerdict | undefined> {
  let conductor: StageVerdict | undefined;
  for (const stage of stages) {
    const verdict = stage.beforeDispatch!(context, call);
    const answer = verdict instanceof Promise ? await verdict : verdict;
    if (answer === undefined) continue;
    if ('conduct' in answer) conductor ??= answer;
    else return answer;
  }
  return conductor;
}

/** Runs the after-response stages in order, each on the previous one's output. */
export async function runAfterResponse<T>(stages: readonly RequestStage[], context: RequestContext, call: StageCall, response: T): Promise<T> {
  let current = response;
  for (const stage of stages) {
    const result = stage.afterResponse!(context, call, current);
    const replaced = result instanceof Promise ? await result : result;
    if (replaced !== undefined) current = replaced as T;
  }
  return current;
}

/** The taps of the stages that want this stream, chained: each part goes through them in order. */
export function openTaps(stages: readonly RequestStage[], context: RequestContext, call: StageCall): StreamTap | undefined {
  const taps: StreamTap[] = [];
  for (const stage of stages) {
    const tap = stage.openStream!(context, call);
    if (tap !== undefined) taps.push(tap);
  }
  if (taps.length === 0) return undefined;
  if (taps.length === 1) return taps[0];
  return {
    part(part) {
      let parts = [part];
      for (const tap of taps) parts = parts.flatMap((each) => tap.part(each));
      return parts;
    },
    end(error) {
      let parts: StreamPart[] = [];
      for (const tap of taps) parts = [...parts.flatMap((each) => tap.part(each)), ...tap.end(error)];
      return parts;
    },
  };
}
