import type { CacheOverride } from '../config/cache-schema.js';
import type { IncomingHttpHeaders } from 'node:http';
import type { ChatRequest, FinishReason, GatewayError, Usage } from '../spec/index.js';
import type { Target } from './target.js';
import { RequestAbort } from '../http/request-abort.js';

/** Who is calling: the virtual key that authenticated the request and where it sits. */
export interface Principal {
  /** The virtual key's id (never its secret value). */
  readonly keyId: string;
  readonly keyName?: string;
  readonly teamId?: string;
  readonly customerId?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /** False when the key keeps its bodies out of the request log (`log_content: false`). */
  readonly logContent?: boolean;
  /** The MCP tool permissions of the key, its team and its customer, as stored (config or admin API); absent when none has any. */
  readonly mcp?: PrincipalToolRules;
  /** The key's response cache settings (`cache`, from the config or the admin API), for the cache stage. */
  readonly cache?: CacheOverride;
}

/** One level's MCP tool permissions: patterns `<server>__<tool>` with `*`, and tool group names. */
export interface ToolRules {
  readonly allow: readonly string[];
  readonly block: readonly string[];
  readonly groups: readonly string[];
}

/** The MCP tool permissions down a principal's hierarchy (each object is the stored record's own, shared, never copied). */
export interface PrincipalToolRules {
  readonly key?: ToolRules;
  readonly team?: ToolRules;
  readonly customer?: ToolRules;
}

/** What the guardrails decided on a request, one entry per rule and direction (for the request log and metrics): never the matched values. */
export interface GuardrailDecision {
  readonly rule: string;
  /** `block`, `redact` or `log`. */
  readonly action: string;
  /** `input` (the prompt) or `output` (the answer). */
  readonly direction: string;
  /** Types found (`email`, `aws_access_key`, `webhook`). */
  readonly types: readonly string[];
  readonly count: number;
}

/** One try of a request on one target. */
export interface Attempt {
  readonly target: Target;
  keyId: string | undefined;
  /** HTTP status seen (upstream's, or ours when the attempt failed before reaching it). */
  status: number;
  errorCode: string | undefined;
  errorMessage: string | undefined;
  latencyMs: number;
  /** Whether the request went to the provider: false when the gateway refused the target itself (a provider budget or limit). */
  upstream: boolean;
  /** What its admission charged the budgets (nano-USD; see Admission.settle); undefined without one, 0 when released. */
  chargedNanoUsd?: number;
}

/** `x-tollgate-cost` of a served request whose price or usage is unknown (never reported as $0). */
export const COST_UNKNOWN = 'unknown';

/** `x-tollgate-cost` (and a stream's closing cost) for `cost`: its exact USD, or `unknown` when it has no price. */
export function costHeader(cost: RequestCost | undefined): string {
  if (cost?.known !== true) return COST_UNKNOWN;
  return cost.exact ?? (cost.usd.toFixed(10).replace(/\.?0+$/, '') || '0');
}

/** The cost of a request, as settled. `usd` is for display; `known` is false when usage or price was unknown. */
export interface RequestCost {
  readonly usd: number;
  readonly known: boolean;
  /** The exact amount in femto-USD (10⁻¹⁵), for sums that must not drift. */
  readonly femtoUsd?: bigint;
  /** The exact amount as decimal USD text (`0.000123`), for headers and logs. */
  readonly exact?: string;
}

/**
 * Everything known about one request as it moves through the pipeline. Created by the surface,
 * filled by the stages, read by observers when the request ends.
 */
export interface RequestContext {
  readonly id: string;
  /** Epoch milliseconds when the request arrived. */
  readonly receivedAt: number;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  /** Inbound API: `openai`, `anthropic`, `gemini`, … */
  readonly surface: string;
  /** `chat`, `embeddings`, `models`, and the operations of the endpoints beyond chat. */
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly clientAddress: string | undefined;
  /**
   * Aborted when the caller goes away or the gateway gives up. Replaced (combined with a stage's
   * own signal) when a stage detaches the request from its caller.
   */
  signal: AbortSignal;

  requestedModel: string | undefined;
  stream: boolean;
  principal: Principal | undefined;
  /** The decoded request (chat), kept for content logging when enabled. */
  chatRequest: ChatRequest | undefined;
  attempts: Attempt[];
  /** The target whose answer reached the caller. */
  served: Target | undefined;
  usage: Usage | undefined;
  cost: RequestCost | undefined;
  /** Status sent to the caller. */
  status: number;
  error: GatewayError | undefined;
  /** Milliseconds from arrival to the first content byte of a stream. */
  timeToFirstTokenMs: number | undefined;
  /** Text of the answer, collected only when content logging is on. */
  outputText: string | undefined;
  /** Set by an observer's onRequestStart when it wants `outputText` collected for this request. */
  captureOutput?: boolean;
  /** Why generation stopped (first choice), when the answer said. */
  finishReason?: FinishReason;
  /** Human-readable notes for the caller (`x-tollgate-warning`), e.g. dropped parameters. */
  warnings: string[];
  /** Extra response headers set by stages (rate-limit headers, cost). */
  responseHeaders: Record<string, string>;
  /** performance.now() when the request ended. */
  endedAt: number | undefined;
  /** What the response cache did with the request (set by the cache stage; read by the log and metrics). */
  cache: CacheOutcome | undefined;
  /** Features' per-request state, through ContextSlot. */
  readonly slots: unknown[];
  /** The guardrails' decisions on this request, when a rule found something. */
  guardrails?: readonly GuardrailDecision[];
  /** The request this one was made for (a turn of an agent loop, a tool call it ran), in the request log as `parent_request_id`. */
  parentId: string | undefined;
  /** The session a turn belongs to (a realtime WebSocket's id); undefined for a request of its own. */
  sessionId: string | undefined;
  /** What the budgets were charged outside any attempt (a priced MCP tool call), in nano-USD; the request log adds it to the attempts' charges. */
  chargedNanoUsd?: number;
  /** The operation's input as the request log keeps it with content logging, for operations that are not chat (an MCP tool call's arguments, JSON). */
  inputText?: string;
}

/** The response cache's part in one request, as the request log and metrics record it. */
export interface CacheOutcome {
  /** `exact` or `semantic` for a hit; `miss` when looked up and not found; `bypass` when the cache was skipped. */
  readonly layer: 'exact' | 'semantic' | 'miss' | 'bypass';
  /** The entry that answered (hits). */
  readonly entryId?: string;
  /** Cosine similarity of a semantic hit (0–1). */
  readonly similarity?: number;
  /** What the answer cost when it was stored (hits). */
  readonly savedUsd?: number;
  /** An exact hit that waited for an identical request in flight rather than calling the provider (request coalescing). */
  readonly coalesced?: true;
}

/** `x-tollgate-provider` and `x-tollgate-model` of a response no provider served. */
export const NOT_SERVED = 'none';

let slotsTaken = 0;

/**
 * A place on every request context for one feature's per-request state (the router's session,
 * whether governance already counted the request). Cheaper than a WeakMap keyed by the context,
 * which costs an ephemeron entry per request that the garbage collector must then sweep.
 */
export class ContextSlot<T> {
  private readonly index = slotsTaken++;

  get(context: RequestContext): T | undefined {
    return context.slots[this.index] as T | undefined;
  }

  set(context: RequestContext, value: T | undefined): void {
    context.slots[this.index] = value;
  }
}

export interface ContextInit {
  id: string;
  surface: string;
  operation: string;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  clientAddress: string | undefined;
  /** An AbortSignal, or an exchange's RequestAbort whose signal is made when first read. */
  signal: AbortSignal | RequestAbort;
  parentId?: string;
}

export function createContext(init: ContextInit): RequestContext {
  return new Context(init);
}

/**
 * A request context. A class rather than an object literal so that `signal` can be an accessor
 * on the prototype: the exchange's AbortSignal is made only when something reads it (see
 * RequestAbort), and a cache hit reads none. Fields are all set in the constructor, in one order,
 * so every context has one hidden class from the start.
 */
class Context implements RequestContext {
  readonly id: string;
  readonly surface: string;
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly clientAddress: string | undefined;
  /** The signal as given, or as replaced (a detached request); undefined while the exchange's is not made yet. */
  private givenSignal: AbortSignal | undefined;
  private readonly lazySignal: RequestAbort | undefined;
  readonly receivedAt: number;
  readonly startedAt: number;
  requestedModel: string | undefined = undefined;
  stream = false;
  principal: Principal | undefined = undefined;
  chatRequest: ChatRequest | undefined = undefined;
  attempts: Attempt[] = [];
  served: Target | undefined = undefined;
  usage: Usage | undefined = undefined;
  cost: RequestCost | undefined = undefined;
  status = 200;
  error: GatewayError | undefined = undefined;
  timeToFirstTokenMs: number | undefined = undefined;
  outputText: string | undefined = undefined;
  warnings: string[] = [];
  responseHeaders: Record<string, string>;
  endedAt: number | undefined = undefined;
  captureOutput?: boolean = undefined;
  finishReason?: FinishReason = undefined;
  cache: CacheOutcome | undefined = undefined;
  readonly slots: unknown[] = [];
  guardrails?: readonly GuardrailDecision[] = undefined;
  parentId: string | undefined;
  sessionId: string | undefined = undefined;

  constructor(init: ContextInit) {
    this.id = init.id;
    this.surface = init.surface;
    this.operation = init.operation;
    this.method = init.method;
    this.path = init.path;
    this.headers = init.headers;
    this.clientAddress = init.clientAddress;
    const signal = init.signal;
    this.givenSignal = signal instanceof RequestAbort ? undefined : signal;
    this.lazySignal = signal instanceof RequestAbort ? signal : undefined;
    this.receivedAt = Date.now();
    this.startedAt = performance.now();
    // Every response names its request and who served it; a provider's name replaces `none` once one answers.
    this.responseHeaders = { 'x-request-id': init.id, 'x-tollgate-provider': NOT_SERVED, 'x-tollgate-model': NOT_SERVED };
    this.parentId = init.parentId;
  }

  get signal(): AbortSignal {
    return (this.givenSignal ??= this.lazySignal!.signal);
  }

  set signal(signal: AbortSignal) {
    this.givenSignal = signal;
  }
}

/** Who served the request, as the response headers say it: provider, model and how many attempts reached a provider. */
export function setServedHeaders(context: RequestContext, target: Target): void {
  context.responseHeaders['x-tollgate-provider'] = target.provider.name;
  context.responseHeaders['x-tollgate-model'] = target.model;
  let upstream = 0;
  for (const attempt of context.attempts) if (attempt.upstream) upstream++;
  context.responseHeaders['x-tollgate-attempts'] = String(upstream);
}
