import { Counter, Histogram } from 'prom-client';
import { adminEnabled, adminRoutes } from '../admin/admin-auth.js';
import type { GatewayConfig } from '../config/schema.js';
import type { RequestContext } from '../pipeline/context.js';
import { observeStage, type RequestStage } from '../pipeline/stages.js';
import type { DependencyCheck, GatewayModule, ModuleFactory } from '../pipeline/module.js';
import type { HttpRoute, UpgradeRoute } from '../http/http-route.js';
import { BUDGET_ALERTS, type CapabilityRegistry, BUDGET_SNAPSHOT, PROVIDER_HEALTH, REQUEST_CHARGES, REQUEST_JOURNAL, METRIC_COUNTERS, METRIC_HISTOGRAMS, type BudgetUsage, type HealthReport } from '../pipeline/capabilities.js';
import { createHash } from 'node:crypto';
import { AlertChannel } from './alerts/alert-channel.js';
import { alertsRoute } from './alerts/alerts-route.js';
import { AnomalyDetector } from './alerts/anomaly-detector.js';
import { budgetAlertOf } from './alerts/budget-alert.js';
import { SoftActions } from './alerts/soft-actions.js';
import { AuditLog } from './audit/audit-log.js';
import { auditRoutes } from './audit/audit-routes.js';
import { LiveTail } from './log/live-tail.js';
import { logRoutes } from './log/log-routes.js';
import { isNumbered } from './log/log-store.js';
import { isGatewayWorker } from '../lib/cluster-ipc.js';
import { shareTailAcrossWorkers } from './log/cluster-tail.js';
import { LogWriter } from './log/log-writer.js';
import { requestJournal } from './log/request-journal.js';
import { openLogStore } from './log/open-log-store.js';
import type { RequestRecord } from './log/request-record.js';
import { scheduleRetention } from './log/retention.js';
import { GatewayMetrics } from './metrics/gateway-metrics.js';
import { metricsRoute } from './metrics/metrics-route.js';
import { observabilityObserver } from './request-observer.js';


/** Buckets (seconds) of the histograms other features add, unless they give theirs: from 5 ms to 2 minutes. */
const TOOL_LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/**
 * Observability: the request log (store, batched writer, query API, export, retention), Prometheus
 * metrics, the audit API and anomaly alerts, built from `observability` in the config.
 */
export const observabilityModule: ModuleFactory = async (context) => {
  const settings = context.config.observability;
  // Filled in `connect`, once every module is built: routing's health and governance's budgets, when loaded.
  let health: (() => HealthReport) | undefined;
  let budgets: (() => Promise<BudgetUsage[]>) | undefined;
  const metrics = settings.metrics ? new GatewayMetrics(settings.max_label_values, { health: () => health?.(), budgets: () => budgets?.() }) : undefined;
  const connections: ((capabilities: CapabilityRegistry) => void)[] = [];
  const routes: HttpRoute[] = [];
  const adminOnly: HttpRoute[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  const upgrades: UpgradeRoute[] = [];
  const listeners: ((request: RequestContext, record: RequestRecord) => void)[] = [];
  const stages: RequestStage[] = [];
  const dependencies: DependencyCheck[] = [];

  let write: ((records: RequestRecord[]) => void) | undefined;
  if (settings.request_log) {
    const store = await openLogStore(context.storage, context.logger);
    // Read before this run writes anything: the journal's records of earlier runs end here.
    const baseline = isNumbered(store) ? await store.lastId() : undefined;
    const writer = new LogWriter({
      store,
      logger: context.logger,
      queueSize: settings.queue_size,
      batchSize: settings.batch_size,
      flushIntervalMs: settings.flush_interval_ms,
      onDrop: metrics === undefined ? undefined : (what, count) => metrics.dropped(what, count),
      journalBaseline: baseline,
    });
    if (isNumbered(store) && baseline !== undefined) context.capabilities.provide(REQUEST_JOURNAL, requestJournal(store, writer, baseline), 'observability');
    context.capabilities.provide(
      REQUEST_CHARGES,
      {
        flush: () => writer.flush(),
        sum: (scope, fromMs, toMs) => store.chargeSum(scope, fromMs, toMs),
        logged: (requestIds) => store.loggedRequestIds(requestIds),
        accepted: () => writer.positions.accepted,
        stored: (mark) => writer.positions.settledThrough(mark),
      },
      'observability',
    );
    const tail = new LiveTail(context.config.admin);
    upgrades.push(tail.route());
    // Under `--workers`, a watcher on one worker sees every worker's records (cluster-tail.ts).
    const share = isGatewayWorker() ? shareTailAcrossWorkers(tail) : undefined;
    write = (records) => {
      writer.enqueue(records);
      tail.publish(records);
      share?.(records);
    };
    closers.push(() => tail.close());
    dependencies.push({
      name: 'request_log',
      policy: 'buffer',
      effect: 'records wait in memory (up to observability.queue_size, then content and records are dropped and counted) and are written once the store is back',
      check: async () => writer.check(),
    });
    adminOnly.push(...logRoutes(store, () => writer.flush()));
    const stopRetention = scheduleRetention(store, settings.retention_days, context.logger);
    closers.push(stopRetention, async () => {
      await writer.close();
      await store.close?.();
    });
  }
  if (metrics !== undefined) {
    routes.push(metricsRoute(metrics, settings.metrics_token));
    context.capabilities.provide(METRIC_COUNTERS, (name, help, labelNames) => new Counter({ name, help, labelNames: [...labelNames], registers: [metrics.registry] }), 'observability');
    context.capabilities.provide(
      METRIC_HISTOGRAMS,
      (name, help, labelNames, buckets = TOOL_LATENCY_BUCKETS) => {
        const histogram = new Histogram({ name, help, labelNames: [...labelNames], buckets: [...buckets], registers: [metrics.registry] });
        return { observe: (labels, value) => histogram.observe(labels, value) };
      },
      'observability',
    );
  }
  let channel: AlertChannel | undefined;
  if (settings.alerts.enabled) {
    const alerts = new AlertChannel(context.logger, settings.alerts.webhook, metrics === undefined ? undefined : (kind, scope) => metrics.alertRaised(kind, scope));
    channel = alerts;
    const actions = settings.alerts.soft_actions.length === 0 ? undefined : new SoftActions(settings.alerts.soft_actions);
    if (actions !== undefined) stages.push(actions);
    const detector = new AnomalyDetector(settings.alerts, (alert) => {
      alerts.send(alert);
      actions?.onAlert(alert);
    });
    listeners.push((request, record) =>
      detector.observe({
        keyId: record.virtual_key_id,
        teamId: record.team_id,
        customerId: record.customer_id,
        costUsd: record.cost_usd,
        promptHash: record.virtual_key_id === null || request.chatRequest === undefined ? undefined : createHash('sha256').update(JSON.stringify(request.chatRequest.messages)).digest('base64'),
      }),
    );
    connections.push((capabilities) => capabilities.optional(BUDGET_ALERTS)?.((event) => alerts.send(budgetAlertOf(event))));
    closers.push(() => alerts.settle());
  }
  adminOnly.push(alertsRoute(channel));
  if (context.audit instanceof AuditLog) adminOnly.push(...auditRoutes(context.audit));
  context.audit.append({ actor: 'config', action: 'config.load', target: context.configSource, details: configSummary(context.config) });

  const observer = observabilityObserver({ write, metrics, listeners, logContent: settings.log_content, maxContentBytes: settings.max_content_bytes });
  // Without `otlp` no tracing observer exists, so requests pay nothing for tracing, and the
  // OpenTelemetry SDK is not even loaded (it is the largest part of the gateway's start-up memory).
  const tracing = settings.otlp === undefined ? undefined : (await import('./tracing/start-tracing.js')).startTracing(settings.otlp, context.logger);
  if (tracing !== undefined) closers.unshift(() => tracing.close());
  const module: GatewayModule = {
    name: 'observability',
    stages: [...stages, observeStage('request-log', observer), ...(tracing === undefined ? [] : [observeStage('tracing', tracing.observer)])],
    routes: [...routes, ...adminRoutes(context.config.admin, adminOnly)],
    upgrades,
    dependencies,
    connect(capabilities) {
      health = capabilities.optional(PROVIDER_HEALTH);
      budgets = capabilities.optional(BUDGET_SNAPSHOT);
      for (const connection of connections) connection(capabilities);
    },
    async close() {
      for (const close of closers.reverse()) await close();
    },
  };
  return module;
};

/** What the audit log keeps about a loaded config: its shape, never its values (keys, tokens). */
function configSummary(config: GatewayConfig): Record<string, unknown> {
  return {
    providers: Object.entries(config.providers).map(([name, provider]) => ({ name, type: provider.type, keys: provider.keys.map((key, index) => key.id ?? `${name}-${index}`) })),
    routes: Object.keys(config.routes),
    aliases: Object.keys(config.aliases),
    storage: config.storage.type,
    admin_api: adminEnabled(config.admin),
    // Names and roles of the console's accounts: who may act, never their password hashes.
    admin_users: config.admin.users.map((user) => ({ name: user.name, role: user.role })),
    observability: { request_log: config.observability.request_log, log_content: config.observability.log_content, metrics: config.observability.metrics, alerts: config.observability.alerts.enabled },
  };
}
