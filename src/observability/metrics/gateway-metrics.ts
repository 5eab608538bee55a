import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestContext } from '../../pipeline/context.js';
import type { AttemptOutcome } from '../../pipeline/hooks.js';
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
  private readonly requests: Counter<'provider' | 'model' | 'status' | 'error_type' | 'error_code'>;
  private readonly upstreamLatency: Histogram<'provider' | 'model' | 'outcome'>;
  private readonly timeToFirstToken: Histogram<'provider' | 'model'>;
  private readonly requestDuration: Histogram<'provider' | 'model'>;
  private readonly overhead: Histogram;
  private readonly tokens: Counter<'type' | 'virtual_key_id' | 'team_id' | 'customer_id'>;
  private readonly cost: Counter<'virtual_key_id' | 'team_id' | 'customer_id'>;
  private readonly inFlight: Gauge;
  private readonly retries: Counter<'provider' | 'model'>;
  private readonly failovers: Counter<'from_provider' | 'to_provider'>;
  private readonly rejections: Counter<'reason' | 'level' | 'virtual_key_id'>;
  private readonly drops: Counter<'what'>;
  private readonly alerts: Counter<'kind' | 'scope'>;
  private readonly providers: LabelGuard;
  private readonly models: LabelGuard;
  private readonly keys: LabelGuard;
  private readonly teams: LabelGuard;
  private readonly customers: LabelGuard;
  private readonly started = new WeakSet<RequestContext>();

  /** `sources`: other features' state, read at scrape time (circuits, budgets). */
  constructor(maxLabelValues: number, sources: StateSources = {}) {
    const registers = [this.registry];
    this.providers = new LabelGuard(maxLabelValues);
    this.models = new LabelGuard(maxLabelValues);
    this.keys = new LabelGuard(maxLabelValues);
    this.teams = new LabelGuard(maxLabelValues);
    this.customers = new LabelGuard(maxLabelValues);
    this.requests = new Counter({ name: 'tollgate_requests_total', help: 'Requests answered, by served provider and model, HTTP status, error type and error code.', labelNames: ['provider', 'model', 'status', 'error_type', 'error_code'], registers });
    this.upstreamLatency = new Histogram({ name: 'tollgate_upstream_latency_seconds', help: 'Time per upstream attempt, from sending to the last byte.', labelNames: ['provider', 'model', 'outcome'], buckets: LATENCY_BUCKETS, registers });
    this.timeToFirstToken = new Histogram({ name: 'tollgate_time_to_first_token_seconds', help: 'Time from arrival to the first streamed content.', labelNames: ['provider', 'model'], buckets: LATENCY_BUCKETS, registers });
    this.requestDuration = new Histogram({ name: 'tollgate_request_duration_seconds', help: 'Time from arrival to the end of the answer.', labelNames: ['provider', 'model'], buckets: LATENCY_BUCKETS, registers });
    this.overhead = new Histogram({ name: 'tollgate_gateway_overhead_seconds', help: 'Request time not spent waiting on upstream attempts.', buckets: OVERHEAD_BUCKETS, registers });
    this.tokens = new Counter({ name: 'tollgate_tokens_total', help: 'Tokens used, by type and by virtual key, team and customer.', labelNames: ['type', 'virtual_key_id', 'team_id', 'customer_id'], registers });
    this.cost = new Counter({ name: 'tollgate_cost_usd_total', help: 'Spend in USD (requests with a known price), by virtual key, team and customer.', labelNames: ['virtual_key_id', 'team_id', 'customer_id'], registers });
    this.inFlight = new Gauge({ name: 'tollgate_in_flight_requests', help: 'Requests being processed.', registers });
    this.retries = new Counter({ name: 'tollgate_retries_total', help: 'Attempts beyond the first, by the provider and model that failed.', labelNames: ['provider', 'model'], registers });
    this.failovers = new Counter({ name: 'tollgate_failovers_total', help: 'Requests served by another provider than the first one tried.', labelNames: ['from_provider', 'to_provider'], registers });
    this.rejections = new Counter({ name: 'tollgate_governance_rejections_total', help: 'Requests refused by rate limits, concurrency limits or budgets, by the level whose limit refused.', labelNames: ['reason', 'level', 'virtual_key_id'], registers });
    this.drops = new Counter({ name: 'tollgate_log_dropped_total', help: 'Request log content or records dropped because the write queue was full (or a write failed).', labelNames: ['what'], registers });
    this.alerts = new Counter({ name: 'tollgate_alerts_total', help: 'Anomaly alerts raised.', labelNames: ['kind', 'scope'], registers });
    this.drops.inc({ what: 'content' }, 0);
    this.drops.inc({ what: 'record' }, 0);
    registerStateGauges(this.registry, sources, { providers: this.providers, models: this.models, keys: this.keys, teams: this.teams, customers: this.customers });
  }

  requestStarted(context: RequestContext): void {
    this.started.add(context);
    this.inFlight.inc();
  }

  attemptFinished(outcome: AttemptOutcome): void {
    const provider = this.providers.value(outcome.target.provider.name);
    const model = this.models.value(outcome.target.model);
    this.upstreamLatency.observe({ provider, model, outcome: outcome.ok ? 'ok' : 'error' }, outcome.latencyMs / 1000);
  }

  requestFinished(context: RequestContext): void {
    if (this.started.delete(context)) this.inFlight.dec();
    const target = context.served ?? context.attempts[context.attempts.length - 1]?.target;
    const provider = this.providers.value(target?.provider.name);
    const model = this.models.value(target?.model ?? context.requestedModel);
    const errorCode = context.error?.code ?? '';
    this.requests.inc({ provider, model, status: String(context.status), error_type: context.error?.type ?? '', error_code: errorCode });
    const totalMs = (context.endedAt ?? performance.now()) - context.startedAt;
    this.requestDuration.observe({ provider, model }, totalMs / 1000);
    const upstreamMs = context.attempts.reduce((sum, attempt) => sum + attempt.latencyMs, 0);
    if (context.attempts.length > 0) this.overhead.observe(Math.max(0, totalMs - upstreamMs) / 1000);
    if (context.timeToFirstTokenMs !== undefined && context.served !== undefined) this.timeToFirstToken.observe({ provider, model }, context.timeToFirstTokenMs / 1000);

    const scope = {
      virtual_key_id: this.keys.value(context.principal?.keyId),
      team_id: this.teams.value(context.principal?.teamId),
      customer_id: this.customers.value(context.principal?.customerId),
    };
    const usage = context.usage;
    if (usage !== undefined) {
      for (const [type, field] of TOKEN_KINDS) {
        const count = usage[field];
        if (count !== undefined && count > 0) this.tokens.inc({ type, ...scope }, count);
      }
    }
    if (context.cost?.known && context.cost.usd > 0) this.cost.inc(scope, context.cost.usd);

    for (const attempt of context.attempts.slice(0, -1)) this.retries.inc({ provider: this.providers.value(attempt.target.provider.name), model: this.models.value(attempt.target.model) });
    const first = context.attempts[0];
    if (context.served !== undefined && first !== undefined && first.target.provider !== context.served.provider) {
      this.failovers.inc({ from_provider: this.providers.value(first.target.provider.name), to_provider: provider });
    }
    if (errorCode === 'rate_limit_exceeded' || errorCode === 'concurrency_limit_exceeded' || errorCode === 'budget_exceeded') {
      this.rejections.inc({ reason: errorCode, level: refusingLevel(context.error?.headers), virtual_key_id: scope.virtual_key_id });
    }
  }

  dropped(what: 'content' | 'record', count: number): void {
    this.drops.inc({ what }, count);
  }

  alertRaised(kind: string, scope: string): void {
    this.alerts.inc({ kind, scope });
  }

  render(): Promise<string> {
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
