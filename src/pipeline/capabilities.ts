import type { IncomingHttpHeaders } from 'node:http';
import type { CacheOverride } from '../config/cache-schema.js';
import type { HttpExchange, HttpHandler } from '../http/http-route.js';
import type { Principal, RequestContext } from './context.js';
import type { OperationEndpoint } from './endpoint.js';
import type { ChatRequest, ChatResponse, EmbeddingResponse } from '../spec/index.js';
/**
 * Facts one feature offers the others, typed and named. A module provides a capability while it is
 * built (`context.capabilities.provide`) and another takes it in `connect`, once every module is
 * built, so the order of the module list does not matter, and a capability nobody provides is a
 * start-up error naming both sides instead of a silently missing feature. Features never import
 * each other: the shapes they exchange are declared here.
 */
export class Capability<T> {
  /** Never set: carries `T` so `provide` and `require` agree on the value's type. */
  declare readonly valueType: T;

  constructor(
    readonly name: string,
    /** What it is for, shown when a module requires it and nobody provides it. */
    readonly description: string,
  ) {}
}

export class MissingCapabilityError extends Error {
  constructor(capability: Capability<unknown>, consumer: string, providers: readonly string[]) {
    super(
      `The ${consumer} module needs \`${capability.name}\` (${capability.description}), which no loaded module provides` +
        `${providers.length === 0 ? '' : ` (loaded: ${providers.join(', ')})`}. Load the module that provides it, or leave out the ${consumer} module.`,
    );
    this.name = 'MissingCapabilityError';
  }
}

export class CapabilityRegistry {
  private readonly values = new Map<Capability<unknown>, { value: unknown; provider: string }>();
  private readonly modules = new Set<string>();

  provide<T>(capability: Capability<T>, value: T, provider: string): void {
    const existing = this.values.get(capability);
    if (existing !== undefined) throw new Error(`\`${capability.name}\` is provided twice, by the ${existing.provider} and the ${provider} modules.`);
    this.values.set(capability, { value, provider });
    this.modules.add(provider);
  }

  /** The capability's value; throws MissingCapabilityError naming `consumer` when no module provides it. */
  require<T>(capability: Capability<T>, consumer: string): T {
    const found = this.values.get(capability);
    if (found === undefined) throw new MissingCapabilityError(capability, consumer, [...this.modules]);
    return found.value as T;
  }

  /** The capability's value, or undefined when no module provides it (for features that work without it). */
  optional<T>(capability: Capability<T>): T | undefined {
    return this.values.get(capability)?.value as T | undefined;
  }
}

/** Circuit state of one target (provider and model). */
export type CircuitState = 'closed' | 'open' | 'half-open';

export interface TargetHealthReport {
  target: string;
  provider: string;
  model: string;
  state: CircuitState;
  /** Why the circuit last opened, while it is not closed. */
  reason?: string;
  /** Milliseconds until an open circuit lets a probe through. */
  retryInMs?: number;
  /** Peak-EWMA latency in milliseconds (time to first content for streams); null before any success. */
  latencyMs: number | null;
  inFlight: number;
  consecutiveFailures: number;
  /** Requests and failures in the breaker's sliding window. */
  window: { requests: number; failed: number };
}

export interface KeyHealthReport {
  provider: string;
  /** The key's id, never its value. */
  keyId: string;
  state: CircuitState;
  reason?: string;
  retryInMs?: number;
  inFlight: number;
  consecutiveFailures: number;
}

export interface HealthReport {
  targets: TargetHealthReport[];
  keys: KeyHealthReport[];
}

/** Where a limit sits in the customer → team → key → provider hierarchy. */
export type LimitLevel = 'customer' | 'team' | 'key' | 'key_provider' | 'provider';

/** One budget's figures, as `GET /v1/usage` shows them. */
export interface BudgetUsage {
  level: LimitLevel;
  entity: string;
  period: string;
  rolling: boolean;
  max_usd: number;
  credit_usd: number;
  spent_usd: number;
  reserved_usd: number;
  remaining_usd: number;
  resets_at: string | null;
}

/** A budget threshold crossing (the body governance posts to its own webhook). */
export interface BudgetThresholdEvent {
  readonly type: 'budget.threshold';
  readonly level: LimitLevel;
  /** `key:<id>`, `team:<id>`, `customer:<id>`, `provider:<name>` or `key:<id>/provider:<name>`. */
  readonly scope: string;
  /** Human label, e.g. `virtual key "research"`. */
  readonly entity: string;
  readonly period: string;
  readonly rolling: boolean;
  /** Fraction of the budget crossed (0–1). */
  readonly threshold: number;
  readonly spent_usd: number;
  readonly budget_usd: number;
  /** ISO end of the budget window; null for lifetime budgets. */
  readonly resets_at: string | null;
  readonly fired_at: string;
}

export type BudgetThresholdListener = (event: BudgetThresholdEvent) => void;

/** Routing's circuit and latency report of every target and key (provided by the routing module). */
export const PROVIDER_HEALTH = new Capability<() => HealthReport>('provider health', 'the circuit state and latency of every provider target and key');
/** Every key's, team's and customer's budgets, read-only (provided by the governance module). */
export const BUDGET_SNAPSHOT = new Capability<() => Promise<BudgetUsage[]>>('budget snapshot', 'the spent and remaining amount of every budget');
/** Subscribes to budget threshold crossings (provided by the governance module). */
export const BUDGET_ALERTS = new Capability<(listener: BudgetThresholdListener) => void>('budget alert events', 'a feed of budget threshold crossings');

/**
 * Whose ledger charges to add up (tollgate reconcile): a key's, team's or customer's request
 * records, or (with `provider`) the attempts a provider served, of one key when `key` is also set.
 */
export interface ChargeScope {
  readonly key?: string;
  readonly team?: string;
  readonly customer?: string;
  readonly provider?: string;
}

/** A sum of logged ledger charges (`charged_nano_usd`) and how many records carried one. */
export interface ChargeSum {
  readonly nanoUsd: number;
  readonly records: number;
}

/** The request log's ledger charges, for reconciliation against the spend ledger. */
export interface RequestCharges {
  /** Resolves once every record enqueued so far is stored. */
  flush(): Promise<void>;
  /** The charges of `scope`'s records that arrived in [fromMs, toMs). */
  sum(scope: ChargeScope, fromMs: number, toMs: number): Promise<ChargeSum>;
  /** Which of these request ids have a stored request record. */
  logged(requestIds: readonly string[]): Promise<Set<string>>;
  /** The number of the last record accepted so far (read it in the turn whose records it must cover). */
  accepted(): number;
  /** Resolves once every record up to `mark` (an `accepted()` read) is stored or dropped for good; does not hurry the writer. */
  stored(mark: number): Promise<void>;
}

/** The request log's charges (provided by the observability module when the request log is on). */
export const REQUEST_CHARGES = new Capability<RequestCharges>('request charges', 'the ledger charges the request log recorded, for reconciling the spend ledger');

/** One request of the request log, as governance charges it again after a crash (see RequestJournal). */
export interface JournaledSpend {
  readonly virtualKeyId: string | null;
  /** The provider that served it. */
  readonly provider: string | null;
  readonly costUsd: number;
  /** What its admission charged the budgets, in nano-USD, when the log recorded it (records written since the ledger counts nano-USD). */
  readonly chargedNanoUsd?: number;
  /** Arrival (epoch ms): its budget windows are those of its admission, a moment later. */
  readonly receivedAt: number;
}

/**
 * The request log as a journal of settled requests, so the spend ledger can lose exactly the
 * requests the log loses in a crash. Records are numbered as they are enqueued, in the order
 * their requests settled; a watermark names, in the store, the stored records up to a number.
 */
export interface RequestJournal {
  /** The number of the last record enqueued so far (a counter read: call it in the same turn as the snapshot it goes with). */
  mark(): number;
  /**
   * Resolves once every record up to `mark` is stored (or dropped for good), with the watermark
   * that identifies exactly those of them in the store. Records after `mark` are never below it.
   */
  durable(mark: number): Promise<number>;
  /**
   * Request records stored after `watermark` by earlier runs of the gateway (never this run's own),
   * with a known, non-zero cost, in the order they were stored.
   */
  spendAfter(watermark: number): Promise<JournaledSpend[]>;
}

/** The request log as a journal (provided by the observability module when the request log is on a store that numbers its records). */
export const REQUEST_JOURNAL = new Capability<RequestJournal>('request journal', 'the request log read as a journal of settled requests, for crash recovery of the spend ledger');

/** One page of a stored response's input items, in OpenAI's list shape. */
export interface StoredItemsPage {
  readonly data: readonly unknown[];
  readonly first_id: string | null;
  readonly last_id: string | null;
  readonly has_more: boolean;
}

/**
 * Stored responses as the Responses surface's routes read them. `owner` is the caller's virtual key
 * id (undefined without governance): a response stored by another key is not found, never refused.
 */
export interface StoredResponses {
  /** The stored response object, or undefined when the owner has none by that id. */
  get(id: string, owner: string | undefined): Promise<Record<string, unknown> | undefined>;
  /** A page of the input items (the whole conversation the response answered), or undefined when not found. */
  inputItems(id: string, owner: string | undefined, page: { after?: string; limit: number; order: 'asc' | 'desc' }): Promise<StoredItemsPage | undefined>;
  /** Deletes it; false when not found. */
  delete(id: string, owner: string | undefined): Promise<boolean>;
  /** Cancels a background response still running: the response object after it, undefined when not found; throws GatewayError when it is not a background response. */
  cancel(id: string, owner: string | undefined): Promise<Record<string, unknown> | undefined>;
}

/** Stored responses, for the Responses API's retrieve, input items, delete and cancel routes (provided by the responses-store module). */
export const STORED_RESPONSES = new Capability<StoredResponses>('stored responses', 'the responses kept for `previous_response_id` and `GET /v1/responses/{id}`');

/**
 * Embeddings the gateway asks for itself, through its own providers: resolved, authorized and
 * admitted for the caller of `parent`, routed, priced and logged as a request of their own.
 */
export type InternalEmbedder = (parent: RequestContext, model: string, input: string[]) => Promise<EmbeddingResponse>;

/** Internal embedding calls through the pipeline (provided by the gateway itself, for the response cache's semantic layer). */
export const INTERNAL_EMBEDDINGS = new Capability<InternalEmbedder>('internal embeddings', 'embedding calls the gateway makes through its own providers');

/** A counter a feature adds to the gateway's metrics: `inc` with the label values named at creation. */
export interface MetricCounter {
  inc(labels: Readonly<Record<string, string>>, value?: number): void;
}

/** Creates a counter on the gateway's `/metrics` (e.g. `tollgate_guardrail_decisions_total`). */
export type CounterFactory = (name: string, help: string, labelNames: readonly string[]) => MetricCounter;

/** A histogram a feature adds to the gateway's metrics: `observe` with the label values named at creation. */
export interface MetricHistogram {
  observe(labels: Readonly<Record<string, string>>, value: number): void;
}

/** Creates a histogram on the gateway's `/metrics` (seconds, with the gateway's latency buckets unless given). */
export type HistogramFactory = (name: string, help: string, labelNames: readonly string[], buckets?: readonly number[]) => MetricHistogram;

/** Histograms of other features on the metrics endpoint (provided by the observability module when metrics are on). */
export const METRIC_HISTOGRAMS = new Capability<HistogramFactory>('metric histograms', 'histograms on the /metrics endpoint');

/** Counters of other features on the metrics endpoint (provided by the observability module when metrics are on). */
export const METRIC_COUNTERS = new Capability<CounterFactory>('metric counters', 'counters on the /metrics endpoint');

/** An operation the gateway runs itself for a caller, as the request log records it (see Pipeline.perform); `subject` is logged as its model. */
export interface PerformedOperation {
  readonly id: string;
  readonly surface: string;
  readonly operation: string;
  readonly subject: string;
  readonly principal: Principal | undefined;
  readonly path: string;
  readonly method?: string;
  readonly headers: IncomingHttpHeaders;
  readonly clientAddress: string | undefined;
  readonly signal: AbortSignal;
  /** The request it was made for (a model request whose tool call the gateway runs), logged as `parent_request_id`. */
  readonly parentId?: string;
}

/**
 * The pipeline as a module's routes use it: endpoints that go through the same life as every
 * route (authenticate, stages, observers), the caller of an exchange, and operations the gateway
 * runs itself for a caller (an MCP tool call), logged and counted as requests.
 */
export interface GatewayRequests {
  operationHandler<Request, Response>(endpoint: OperationEndpoint<Request, Response>): HttpHandler;
  caller(exchange: HttpExchange): Promise<Principal | undefined>;
  perform<T>(init: PerformedOperation, work: (context: RequestContext) => Promise<T>): Promise<T>;
  /**
   * A chat request the gateway makes itself for `init.principal` (a line of a batch it runs): the
   * whole life of a chat route's request, logged under `init.id` and `init.operation`. Throws GatewayError.
   */
  chat(init: PerformedOperation, request: ChatRequest): Promise<ChatResponse>;
  /** Whether `principal` may name `model` (its key's model list), as a route would decide before dispatch. */
  allowsModel(principal: Principal | undefined, model: string): boolean;
}

/** The request pipeline, for modules whose routes run requests (provided by the gateway itself; usable once it listens). */
export const GATEWAY_REQUESTS = new Capability<GatewayRequests>('gateway requests', 'the request pipeline, for routes that authenticate callers and log their operations');

/**
 * Budget room held for a while and charged later (a batch's worst case, from its submission until
 * its lines are priced). Exactly one of settle and release counts; later calls do nothing.
 */
export interface BudgetHold {
  /** Charges `usd` (what was really spent, 0 or more) to every budget the hold was taken on, and gives back the rest; returns the nano-USD charged (the record's `charged_nano_usd`). */
  settle(usd: number): number;
  /** Gives the held amount back, charging nothing. */
  release(): void;
}

export interface BudgetHoldRequest {
  /** Whose budgets (the key's, its team's, its customer's); undefined holds only the provider's own. */
  readonly principal: Principal | undefined;
  /** The provider the spend goes to (its global budgets and the key's budgets for it). */
  readonly provider: string;
  readonly usd: number;
  /** How long the hold may stay unsettled before the ledger charges it in full (a crashed gateway's); default `governance.reservation_ttl_ms`. */
  readonly ttlMs?: number;
  /** Take it whatever the budgets say (spend already incurred: a batch resumed after a restart). */
  readonly force?: boolean;
}

/**
 * Holds budget room for a caller outside a single request: throws GatewayError `budget_exceeded`
 * (402, naming the budget) when `usd` does not fit every budget of the key, its team, its customer
 * and the provider; `ledger_unavailable` when the ledger cannot answer.
 */
export type BudgetHolder = (request: BudgetHoldRequest) => Promise<BudgetHold>;

/**
 * Budget holds for spend that is no provider request (provided by the governance module): a batch's
 * worst case from its submission until its lines are priced, an MCP tool call's price while it runs.
 */
export const BUDGET_HOLDS = new Capability<BudgetHolder>('budget holds', 'budget room held for spend that is no provider request (batches, priced tool calls)');


/** A provider's definition as the admin API shows it: where it comes from, secrets shown as `{ "set": true }`. */
export interface ProviderDefinitionView {
  /** `file`: as the config file defines it; `api`: added or changed through `PUT /admin/providers/{name}`. */
  definition_source: 'file' | 'api';
  /** Whether the config file defines a provider of this name too (`DELETE` then brings it back). */
  in_file: boolean;
  /** The `providers.<name>` fields in force, keys by id, weight and models. */
  definition: Record<string, unknown>;
  /** The config file's definition, when the API changed it. */
  file_definition: Record<string, unknown> | null;
  revision: number | null;
  updated_by: string | null;
  updated_at: string | null;
}

/**
 * Provider definitions, from the config file or the admin API (provided by the gateway), for the
 * admin API's provider views (`GET /admin/providers`, owned by governance with each provider's limits).
 */
export const PROVIDER_DEFINITIONS = new Capability<(name: string) => ProviderDefinitionView | undefined>('provider definitions', "each provider's definition and where it comes from, secrets hidden");

/** Every virtual key's `cache` section, keys made through the admin API included (undefined: the key has none). */
export const KEY_CACHE_SETTINGS = new Capability<() => readonly (CacheOverride | undefined)[]>('key cache settings', "every virtual key's response cache section, for the cache's admin view");
