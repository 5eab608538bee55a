import { adminRoutes } from '../admin/admin-auth.js';
import type { AuditSink } from '../pipeline/audit-sink.js';
import type { GatewayModule, ModuleContext, ModuleFactory } from '../pipeline/module.js';
import { governanceAdminRoutes } from './admin-routes.js';
import { BlockedRequestAudit } from './blocked-request-audit.js';
import { BUDGET_ALERTS, BUDGET_HOLDS, BUDGET_SNAPSHOT, KEY_CACHE_SETTINGS, PROVIDER_DEFINITIONS, REQUEST_CHARGES, REQUEST_JOURNAL, type CapabilityRegistry, type ProviderDefinitionView, type RequestCharges } from '../pipeline/capabilities.js';
import { reconcileRoutes } from './reconcile-route.js';
import { governStage, observeStage } from '../pipeline/stages.js';
import { budgetSnapshot } from './budget-snapshot.js';
import { governanceApiSchemas } from './openapi.js';
import { BudgetAlerts, type WebhookSender } from './budget-alerts.js';
import { GovernanceHooks } from './governance-hooks.js';
import { GovernanceService } from './governance-service.js';
import { MemorySpendStore } from './memory-spend-store.js';
import { openSpendStore, type OpenedSpendStore } from './open-spend-store.js';
import { EntityFeed } from './entity-feed.js';
import { SettlementNoteKeeper } from './settlement-notes.js';
import { hasSettlementNotes } from './spend-store.js';
import { EntitySync } from './entity-sync.js';
import { EntityRegistry } from './registry.js';
import { seedEntities } from './seed.js';
import type { SpendStore } from './spend-store.js';
import { openGovernanceStore } from './storage/open-governance-store.js';
import type { GovernanceStore } from './storage/governance-store.js';
import { unpricedModels } from './unpriced-models.js';
import { usageRoutes } from './usage-route.js';

/** How often ended rate-limit windows are deleted from storage. */
const PRUNE_INTERVAL_MS = 10 * 60_000;

export interface GovernanceModuleOptions {
  /** The clock (epoch ms); injectable so tests can cross calendar boundaries. */
  now?: () => number;
  /** The reservation ledger; `governance.spend_store` (memory by default) when absent. */
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
    const ledger: OpenedSpendStore =
      options.spend === undefined
        ? await openSpendStore(context.config.governance.spend_store, context.logger, context.configSource)
        : { store: options.spend, keptByFlush: options.spend instanceof MemorySpendStore, ready: async () => {}, close: async () => {} };
    try {
      return await assemble(context, ledger, options);
    } catch (error) {
      await ledger.close().catch(() => {});
      throw error;
    }
  };
}

async function assemble(context: ModuleContext, ledger: OpenedSpendStore, options: GovernanceModuleOptions): Promise<GatewayModule> {
  const now = options.now ?? Date.now;
  const audit = options.audit ?? context.audit;
  const spend = ledger.store;
  const settings = context.config.governance;
  /** The config in effect (replaced on reload). */
  let config = context.config;
  const store = options.store ?? (await openGovernanceStore(context.storage));
  const registry = new EntityRegistry(settings.require_keys);
  let hooks: GovernanceHooks | undefined;
  const sync = new EntitySync(registry, store, context.logger, (name) => hooks?.refreshProvider(name));
  const feed = new EntityFeed({ sync, storage: context.storage, channel: ledger.channel, intervalMs: settings.sync_interval_ms, logger: context.logger });
  const service = new GovernanceService({ registry, spend, store, audit, logger: context.logger, now, written: () => feed.written() });
  await seedEntities(context.config, store, now());
  await sync.sync();
  context.capabilities.provide(BUDGET_SNAPSHOT, () => budgetSnapshot(registry, spend, now()), 'governance');
  context.capabilities.provide(KEY_CACHE_SETTINGS, () => [...registry.keys.values()].map((entry) => entry.record.cache), 'governance');
  await spend.restore(await store.loadCounters(now()));

  const alerts = new BudgetAlerts({ settings: settings.alerts, store, spend, audit, logger: context.logger, now, send: options.sendWebhook, retryBaseMs: options.alertRetryBaseMs });
  alerts.load(await store.loadAlerts(now()));
  context.capabilities.provide(BUDGET_ALERTS, (listener) => alerts.subscribe(listener), 'governance');

  let lastUnmeteredWarning = 0;
  /** With a shared ledger and the request log on: settlement notes until their records are stored. */
  let notes: SettlementNoteKeeper | undefined;
  hooks = new GovernanceHooks({
    registry,
    store: spend,
    now,
    ...hookSettings(context),
    onUnmetered: (error) => {
      const time = Date.now();
      if (time - lastUnmeteredWarning < 60_000) return;
      lastUnmeteredWarning = time;
      context.logger.warn('governance: the spend ledger is unreachable; requests are served unmetered (spend_store.when_unavailable: serve)', { error: (error as Error)?.message });
    },
    onSettled: (infos, lines) => {
      if (infos.some((info) => info.metric === 'usd')) void alerts.check(infos, lines).catch(() => {});
    },
    onSettledReservation: (id) => notes?.settled(id),
  });
  const governanceHooks = hooks;
  context.capabilities.provide(BUDGET_HOLDS, (request) => governanceHooks.hold(request), 'governance');
  warnUnpriced(context);

  let stopped = false;
  let lastPrune = 0;
  const startTimer = (intervalMs: number) => {
    const timer = setInterval(() => {
      const time = now();
      const prune = time - lastPrune >= PRUNE_INTERVAL_MS;
      if (prune) lastPrune = time;
      if (prune) alerts.prune(time);
      void Promise.resolve(spend.sweep(time))
        .then(() => service.flush())
        .then(() => (prune ? store.pruneCounters(time) : undefined))
        .catch(() => {});
    }, intervalMs);
    timer.unref();
    return timer;
  };
  let timer = startTimer(settings.flush_interval_ms);

  await feed.start();
  const blocked = new BlockedRequestAudit(audit, { now });
  let charges: RequestCharges | undefined;
  let definitionOf: ((name: string) => ProviderDefinitionView | undefined) | undefined;
  const reconciliation = reconcileRoutes({ spend, keptByFlush: ledger.keptByFlush, store, flushLedger: () => service.flush().catch(() => {}), charges: () => charges });
  return {
    name: 'governance',
    apiSchemas: governanceApiSchemas(),
    stages: [governStage('governance', governanceHooks), observeStage('blocked-request-audit', blocked)],
    routes: [
      ...usageRoutes(governanceHooks, registry, spend, now),
      ...adminRoutes(context.config.admin, [...governanceAdminRoutes({ service, registry, spend, now, providers: () => config.providers, definitionOf: (name) => definitionOf?.(name) }), ...reconciliation]),
    ],
    async reconfigure(next) {
      const previous = config;
      // Storage first (as at start-up), then the sync that every replica runs on the change, which swaps without an await: a request sees the old entities or the new ones.
      const before = sync.revision;
      await seedEntities(next.config, store, now());
      await feed.written();
      governanceHooks.reconfigure(hookSettings(next));
      registry.requireKeys = next.config.governance.require_keys;
      warnUnpriced(next);
      alerts.reconfigure(next.config.governance.alerts);
      if (next.config.governance.sync_interval_ms !== previous.governance.sync_interval_ms) feed.restartTimer(next.config.governance.sync_interval_ms);
      if (next.config.governance.flush_interval_ms !== previous.governance.flush_interval_ms && !stopped) {
        clearInterval(timer);
        timer = startTimer(next.config.governance.flush_interval_ms);
      }
      if (JSON.stringify(next.config.governance.spend_store) !== JSON.stringify(previous.governance.spend_store)) {
        context.logger.warn('governance.spend_store changed: the ledger in use is kept until a restart', {});
      }
      config = next.config;
      context.logger.info('governance: config reloaded', { entity_revision: sync.revision, entities_changed: sync.revision !== before, keys: registry.keyCount });
    },
    connect: (capabilities) => {
      charges = capabilities.optional(REQUEST_CHARGES);
      definitionOf = capabilities.optional(PROVIDER_DEFINITIONS);
      if (charges !== undefined && hasSettlementNotes(spend)) notes = new SettlementNoteKeeper(spend, charges);
      return connectJournal(capabilities, ledger, store, service, governanceHooks, context);
    },
    dependencies: [
      {
        name: 'governance',
        policy: settings.spend_store.when_unavailable === 'serve' ? 'fail-open' : 'fail-closed',
        effect:
          settings.spend_store.when_unavailable === 'serve'
            ? 'requests are served unmetered (budgets and rate limits are not checked) until the spend ledger is back'
            : 'requests that need a budget or rate-limit reservation are refused with 503 ledger_unavailable until the spend ledger is back',
        check: () => ledger.ready(),
      },
    ],
    async close() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await feed.stop();
      blocked.close();
      await notes?.close();
      await service.flush().catch(() => {});
      await alerts.drain();
      await governanceHooks.settled();
      await ledger.close();
    },
  };
}

/**
 * With the memory ledger and a request log that serves as a journal: charges the requests the log
 * kept after the counters last saved (a crash lost them from the ledger only), then has every
 * flush save the journal's watermark with the counters, so a crash loses the same requests from
 * both. Runs before the gateway listens. Without a journal the stored watermark is cleared: the
 * counters saved from now on no longer say which records they include.
 */
async function connectJournal(capabilities: CapabilityRegistry, ledger: OpenedSpendStore, store: GovernanceStore, service: GovernanceService, hooks: GovernanceHooks, context: ModuleContext): Promise<void> {
  const journal = ledger.keptByFlush ? capabilities.optional(REQUEST_JOURNAL) : undefined;
  const saved = await store.loadJournalWatermark();
  if (journal === undefined) {
    if (saved !== undefined) await store.saveCounters([], null);
    return;
  }
  await service.useJournal(journal, saved, async () => {
    // No watermark (a first start, or counters saved without a journal): nothing says which records the counters lack.
    if (saved === undefined) return;
    try {
      const spends = await journal.spendAfter(saved);
      const charged = await hooks.replay(spends);
      if (spends.length > 0) context.logger.warn('governance: charged requests the request log kept and the spend counters lost (the last run ended without saving them)', { requests: spends.length, charged });
    } catch (error) {
      context.logger.error('governance: could not read the request log to charge requests a crash lost from the spend counters; budgets lack them', { error: (error as Error).message });
    }
  });
}

/** Flags models without a price once per start-up or reload (never per request). */
function warnUnpriced(context: ModuleContext): void {
  const models = unpricedModels(context.resolver, context.costs);
  if (models.length === 0) return;
  context.logger.warn('governance: models without a price are served with their cost recorded as unknown and charged governance.unpriced_request_usd against budgets; price them in `pricing`', {
    unpriced_request_usd: context.config.governance.unpriced_request_usd,
    models: models.slice(0, 50),
    count: models.length,
  });
}

/** The parts of the hooks a config reload may change. */
function hookSettings(context: ModuleContext) {
  const { config } = context;
  return {
    resolver: context.resolver,
    providers: config.providers,
    unpricedRequestUsd: config.governance.unpriced_request_usd,
    reservedOutputTokens: config.governance.reserved_output_tokens,
    reservationTtlMs: Math.max(config.governance.reservation_ttl_ms, config.server.request_timeout_ms + 60_000),
    whenUnavailable: config.governance.spend_store.when_unavailable ?? 'refuse',
  };
}

/** The governance module with the real clock and the ledger `governance.spend_store` chooses. */
export const governanceModule: ModuleFactory = createGovernanceModule();
