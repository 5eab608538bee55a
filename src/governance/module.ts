import { adminRoutes } from '../admin/admin-auth.js';
import type { AuditSink } from '../admin/audit-sink.js';
import type { GatewayModule, ModuleFactory } from '../pipeline/module.js';
import { governanceAdminRoutes } from './admin-routes.js';
import { blockedRequestAudit } from './blocked-request-audit.js';
import { BudgetAlerts, type WebhookSender } from './budget-alerts.js';
import { GovernanceHooks } from './governance-hooks.js';
import { GovernanceService } from './governance-service.js';
import { MemorySpendStore } from './memory-spend-store.js';
import { EntityRegistry } from './registry.js';
import { seedEntities } from './seed.js';
import type { SpendStore } from './spend-store.js';
import { openGovernanceStore } from './storage/open-governance-store.js';
import type { GovernanceStore } from './storage/governance-store.js';
import { usageRoutes } from './usage-route.js';

/** How often ended rate-limit windows are deleted from storage. */
const PRUNE_INTERVAL_MS = 10 * 60_000;

export interface GovernanceModuleOptions {
  /** The clock (epoch ms); injectable so tests can cross calendar boundaries. */
  now?: () => number;
  /** The reservation ledger; in memory by default. */
  spend?: SpendStore;
  /** Durable state; on the gateway's storage by default. */
  store?: GovernanceStore;
  /** Overrides ModuleContext.audit (tests). */
  audit?: AuditSink;
  /** Overrides the webhook HTTP call (tests). */
  sendWebhook?: WebhookSender;
  alertRetryBaseMs?: number;
}

/**
 * Governance as a gateway module: virtual keys and the customer → team → key hierarchy,
 * model/provider allow-lists, budgets and rate limits with atomic reservations, persistence,
 * budget alerts, the admin API and `GET /v1/usage`.
 */
export function createGovernanceModule(options: GovernanceModuleOptions = {}): ModuleFactory {
  return async (context) => {
    const now = options.now ?? Date.now;
    const settings = context.config.governance;
    const audit = options.audit ?? context.audit;
    const store = options.store ?? (await openGovernanceStore(context.storage));
    const spend = options.spend ?? new MemorySpendStore();
    const registry = new EntityRegistry();
    let hooks: GovernanceHooks | undefined;
    const service = new GovernanceService({ registry, spend, store, audit, logger: context.logger, now, onProviderLimitsChanged: (name) => hooks?.refreshProvider(name) });
    service.load(await seedEntities(context.config, store, now()));
    await spend.restore(await store.loadCounters(now()));

    const alerts = new BudgetAlerts({ settings: settings.alerts, store, spend, audit, logger: context.logger, now, send: options.sendWebhook, retryBaseMs: options.alertRetryBaseMs });
    alerts.load(await store.loadAlerts(now()));

    hooks = new GovernanceHooks({
      registry,
      store: spend,
      resolver: context.resolver,
      providers: context.config.providers,
      now,
      unpricedRequestUsd: settings.unpriced_request_usd,
      reservationTtlMs: Math.max(settings.reservation_ttl_ms, context.config.server.request_timeout_ms + 60_000),
      onSettled: (infos, lines) => {
        if (infos.some((info) => info.metric === 'usd')) void alerts.check(infos, lines).catch(() => {});
      },
    });

    let stopped = false;
    let lastPrune = 0;
    const timer = setInterval(() => {
      const time = now();
      const prune = time - lastPrune >= PRUNE_INTERVAL_MS;
      if (prune) lastPrune = time;
      void Promise.resolve(spend.sweep(time))
        .then(() => service.flush())
        .then(() => (prune ? store.pruneCounters(time) : undefined))
        .catch(() => {});
    }, settings.flush_interval_ms);
    timer.unref();

    const module: GatewayModule = {
      name: 'governance',
      governance: hooks,
      observers: [blockedRequestAudit(audit)],
      routes: [...usageRoutes(hooks, registry, spend, now), ...adminRoutes(context.config.admin.token, governanceAdminRoutes({ service, registry, spend, now, providers: context.config.providers }))],
      async close() {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
        await service.flush().catch(() => {});
        await alerts.drain();
      },
    };
    return module;
  };
}

/** The governance module with the real clock and the in-memory ledger. */
export const governanceModule: ModuleFactory = createGovernanceModule();
