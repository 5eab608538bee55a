import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import { askPrimary, isGatewayWorker } from '../../lib/cluster-ipc.js';
import { ContextSlot, type RequestContext } from '../../pipeline/context.js';
import type { AttemptOutcome } from '../../pipeline/hooks.js';
import { HotCounter, HotHistogram } from './hot-metrics.js';
import { LabelGuard } from './label-guard.js';
import { registerStateGauges, type StateSources } from './state-gauges.js';

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80];
const OVERHEAD_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

const TOKEN_KINDS = [
  ['input', 'inputTokens'],
  ['output', 'outputTokens'],
  ['cached_input', 'cachedInputTokens'],
  ['cache_write', 'cacheWriteTokens'],
  ['reasoning', 'reasoningTokens'],
] as const;

/** The gateway's Prometheus metrics, on a registry of their own (never prom-client's global one). */
export class GatewayMetrics {
  readonly registry = new Registry();
  // Written on every request: the hot-metrics implementations (same series, cheaper per call).
  private readonly requests: HotCounter;
  private readonly upstreamLatency: HotHistogram;
  private readonly timeToFirstToken: HotHistogram;
  private readonly requestDuration: HotHistogram;
  private readonly overhead: HotHistogram;
  private readonly tokens: HotCounter;
  private readonly cost: HotCounter;
  private readonly retries: HotCounter;
  private readonly failovers: HotCounter;
  private readonly rejections: HotCounter;
  private readonly cacheLookups: HotCounter;
  private readonly cacheSaved: HotCounter;
  private readonly cacheCoalesced: HotCounter;
  private inFlightCount = 0;
  private readonly drops: Counter<'what'>;
  private readonly alerts: Counter<'kind' | 'scope'>;
  private readonly providers: LabelGuard;
  private readonly models: LabelGuard;
  private readonly keys: LabelGuard;
  private readonly teams: LabelGuard;
  private readonly customers: LabelGuard;
  private readonly started = new ContextSlot<true>();

  /** `sources`: other features' state, read at scrape time (circuits, budgets). */
  constructor(maxLabelValues: number, sources: StateSources = {}) {
    const registers = [this.registry];
    this.providers = new LabelGuard(maxLabelValues);
    this.models = new LabelGuard(maxLabelValues);
    this.keys = new LabelGuard(maxLabelValues);
    this.teams = new LabelGuard(maxLabelValues);
    this.customers = new LabelGuard(maxLabelValues);
    const registry = this.registry;
    this.requests = new HotCounter('tollgate_requests_total', 'Requests answered, by served provider and model, HTTP status, error type and error code.', ['provider', 'model', 'status', 'error_type', 'error_code'], registry);
    this.upstreamLatency = new HotHistogram('tollgate_upstream_latency_seconds', 'Time per upstream attempt, from sending to the last byte.', ['provider', 'model', 'outcome'], LATENCY_BUCKETS, registry);
    this.timeToFirstToken = new HotHistogram('tollgate_time_to_first_token_seconds', 'Time from arrival to the first streamed content.', ['provider', 'model'], LATENCY_BUCKETS, registry);
    this.requestDuration = new HotHistogram('tollgate_request_duration_seconds', 'Time from arrival to the end of the answer.', ['provider', 'model'], LATENCY_BUCKETS, registry);
    this.overhead = new HotHistogram('tollgate_gateway_overhead_seconds', 'Request time not spent waiting on upstream attempts.', [], OVERHEAD_BUCKETS, registry);
    this.tokens = new HotCounter('tollgate_tokens_total', 'Tokens used, by type and by virtual key, team and customer.', ['type', 'virtual_key_id', 'team_id', 'customer_id'], registry);
    this.cost = new HotCounter('tollgate_cost_usd_total', 'Spend in USD (requests with a known price), by virtual key, team and customer.', ['virtual_key_id', 'team_id', 'customer_id'], registry);
    const inFlight = () => this.inFlightCount;
    new Gauge({
      name: 'tollgate_in_flight_requests',
      help: 'Requests being processed.',
      registers,
      collect() {
        this.set(inFlight());
      },
    });
    this.retries = new HotCounter('tollgate_retries_total', 'Attempts beyond the first, by the provider and model that failed.', ['provider', 'model'], registry);
    this.failovers = new HotCounter('tollgate_failovers_total', 'Requests served by another provider than the first one tried.', ['from_provider', 'to_provider'], registry);
    this.rejections = new HotCounter('tollgate_governance_rejections_total', 'Requests refused by rate limits, concurrency limits or budgets, by the level whose limit refused.', ['reason', 'level', 'virtual_key_id'], registry);
    this.cacheLookups = new HotCounter('tollgate_cache_requests_total', 'Requests the response cache looked at, by outcome: hit layer (exact, semantic), miss or bypass.', ['result'], registry);
    this.cacheSaved = new HotCounter('tollgate_cache_saved_usd_total', 'USD that response cache hits saved (what the answers cost when stored), by virtual key, team and customer.', ['virtual_key_id', 'team_id', 'customer_id'], registry);
    this.cacheCoalesced = new HotCounter('tollgate_cache_coalesced_total', 'Cache hits that waited for an identical request in flight instead of calling the provider (request coalescing), by virtual key.', ['virtual_key_id'], registry);
    this.drops = new Counter({ name: 'tollgate_log_dropped_total', help: 'Request log content or records dropped because the write queue was full (or a write failed).', labelNames: ['what'], registers });
    this.alerts = new Counter({ name: 'tollgate_alerts_total', help: 'Anomaly alerts raised.', labelNames: ['kind', 'scope'], registers });
    this.drops.inc({ what: 'content' }, 0);
    this.drops.inc({ what: 'record' }, 0);
    registerStateGauges(this.registry, sources, { providers: this.providers, models: this.models, keys: this.keys, teams: this.teams, customers: this.customers });
    if (this.clustered) {
      // Under `tollgate --workers N` the primary collects every worker's registry (prom-client's
      // cluster protocol) and sums counters and histogram buckets; constructing an AggregatorRegistry
      // installs the worker's answering side.
      AggregatorRegistry.setRegistries([this.registry]);
      new AggregatorRegistry();
    }
  }

  private readonly clustered = isGatewayWorker();

  requestStarted(context: RequestContext): void {
    this.started.set(context, true);
    this.inFlightCount++;
  }

  attemptFinished(outcome: AttemptOutcome): void {
    const provider = this.providers.value(outcome.target.provider.name);
    const model = this.models.value(outcome.target.model);
    this.upstreamLatency.observe(outcome.latencyMs / 1000, provider, model, outcome.ok ? 'ok' : 'error');
  }

  requestFinished(context: RequestContext): void {
    if (this.started.get(context) === true) {
      this.started.set(context, undefined);
      this.inFlightCount--;
    }
    // An agent loop's turn: its request's own tokens and cost are the turns' sums, counted when the
    // request finishes (as the log aggregates count it once); its upstream calls count as attempts.
    if (context.parentId !== undefined && context.operation === 'chat') return;
    const target = context.served ?? context.attempts[context.attempts.length - 1]?.target;
    const provider = this.providers.value(target?.provider.name);
    const model = this.models.value(target?.model ?? context.requestedModel);
    const errorCode = context.error?.code ?? '';
    this.requests.inc(1, provider, model, statusText(context.status), context.error?.type ?? '', errorCode);
    const totalMs = (context.endedAt ?? performance.now()) - context.startedAt;
    this.requestDuration.observe(totalMs / 1000, provider, model);
    const upstreamMs = context.attempts.reduce((sum, attempt) => sum + attempt.latencyMs, 0);
    if (context.attempts.length > 0) this.overhead.observe(Math.max(0, totalMs - upstreamMs) / 1000, '');
    if (context.timeToFirstTokenMs !== undefined && context.served !== undefined) this.timeToFirstToken.observe(context.timeToFirstTokenMs / 1000, provider, model);

    const principal = context.principal;
    const keyId = this.keys.value(principal?.keyId);
    const teamId = this.teams.value(principal?.teamId);
    const customerId = this.customers.value(principal?.customerId);
    const usage = context.usage;
    if (usage !== undefined) {
      for (const [type, field] of TOKEN_KINDS) {
        const count = usage[field];
        if (count !== undefined && count > 0) this.tokens.inc(count, type, keyId, teamId, customerId);
      }
    }
    if (context.cost?.known && context.cost.usd > 0) this.cost.inc(context.cost.usd, keyId, teamId, customerId);
    const cache = context.cache;
    if (cache !== undefined) {
      this.cacheLookups.inc(1, cache.layer, undefined, undefined, undefined);
      if (cache.savedUsd !== undefined && cache.savedUsd > 0) this.cacheSaved.inc(cache.savedUsd, keyId, teamId, customerId);
      if (cache.coalesced === true) this.cacheCoalesced.inc(1, keyId);
    }

    const attempts = context.attempts;
    for (let index = 0; index < attempts.length - 1; index++) this.retries.inc(1, this.providers.value(attempts[index]!.target.provider.name), this.models.value(attempts[index]!.target.model));
    const first = attempts[0];
    if (context.served !== undefined && first !== undefined && first.target.provider !== context.served.provider) {
      this.failovers.inc(1, this.providers.value(first.target.provider.name), provider);
    }
    if (errorCode === 'rate_limit_exceeded' || errorCode === 'concurrency_limit_exceeded' || errorCode === 'budget_exceeded') {
      this.rejections.inc(1, errorCode, refusingLevel(context.error?.headers), keyId);
    }
  }

  dropped(what: 'content' | 'record', count: number): void {
    this.drops.inc({ what }, count);
  }

  alertRaised(kind: string, scope: string): void {
    this.alerts.inc({ kind, scope });
  }

  /** This process's series; under `--workers N` every worker's, aggregated by the primary. */
  render(): Promise<string> {
    if (this.clustered) return askPrimary<string>('metrics', null);
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/**
 * The limit level that refused (`key`, `team`, `customer`, `key_provider`, `provider`), from the
 * headers governance documents for callers: `x-ratelimit-scope` (429) or `x-tollgate-budget-level` (402).
 */
function refusingLevel(headers: Readonly<Record<string, string>> | undefined): string {
  const level = headers?.['x-ratelimit-scope'] ?? headers?.['x-tollgate-budget-level'] ?? '';
  return LIMIT_LEVELS.has(level) ? level : '';
}

const LIMIT_LEVELS = new Set(['customer', 'team', 'key', 'key_provider', 'provider']);

/** Status codes as label text, without building a string per request for the common ones. */
const STATUS_TEXT = new Map<number, string>();
function statusText(status: number): string {
  let text = STATUS_TEXT.get(status);
  if (text === undefined) {
    text = String(status);
    if (STATUS_TEXT.size < 1000) STATUS_TEXT.set(status, text);
  }
  return text;
}
