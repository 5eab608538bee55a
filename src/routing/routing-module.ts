import type { GatewayModule, ModuleFactory } from '../pipeline/module.js';
import type { PlanResolver } from '../pipeline/plan-resolver.js';
import type { Target } from '../pipeline/target.js';
import type { ProviderInstance } from '../providers/instance.js';
import { HttpTransport } from '../providers/transport/http-transport.js';
import { sendJson } from '../http/respond.js';
import type { RouterEnvironment } from './clock.js';
import { HealthChecks } from './health-checks.js';
import { PROVIDER_HEALTH } from '../pipeline/capabilities.js';
import { observeStage } from '../pipeline/stages.js';
import { healthReport } from './health-snapshot.js';
import { ResilientRouter } from './resilient-router.js';
import { sharedStateLocation } from './shared-state-location.js';
import { routingViewRoute } from './routing-view-route.js';
import { adminRoutes } from '../admin/admin-auth.js';
import type { GatewayConfig } from '../config/schema.js';

/** The routing module with an injected clock, randomness or sleep (tests simulate outages with it). */
export function createRoutingModule(environment: Partial<RouterEnvironment> = {}): ModuleFactory {
  return async (context): Promise<GatewayModule> => {
    const { config } = context;
    let current: GatewayConfig = config;
    const router = new ResilientRouter({ config: config.routing, providers: config.providers, maxTimeoutOverrideMs: config.server.request_timeout_ms, environment });
    // Active checks get their own connection pool (created only when they are on): a check must
    // never wait behind, or hold up, callers' requests.
    let transport: HttpTransport | undefined;
    const scheduleChecks = (targets: readonly Target[]) => {
      if (router.state.config.health_checks.enabled) transport ??= new HttpTransport({ connectionsPerOrigin: 4 });
      if (transport === undefined) return;
      router.healthChecks ??= new HealthChecks(router.state, transport, context.logger);
      router.healthChecks.configure(targets);
    };
    scheduleChecks(registerKnownTargets(router, context.resolver, context.providers));
    context.capabilities.provide(PROVIDER_HEALTH, () => healthReport(router.health, router.state.environment.now()), 'routing');
    // Several replicas on one Redis: circuits opened anywhere are open everywhere (loaded only when configured).
    const location = sharedStateLocation(config);
    const shared = location === undefined ? undefined : await (await import('./shared-circuits.js')).SharedCircuits.open(router.state, location, context.logger);
    return {
      name: 'routing',
      router,
      stages: [observeStage('routing-health', router.observer)],
      dependencies:
        shared === undefined
          ? []
          : [
              {
                name: 'routing_shared_state',
                policy: 'fail-open',
                effect: 'each replica keeps its own circuit breakers (an outage one replica sees is not shared, half-open probes are not coordinated) until Redis is back',
                check: () => shared.check(),
              },
            ],
      reconfigure(next) {
        current = next.config;
        if (JSON.stringify(sharedStateLocation(next.config)) !== JSON.stringify(location)) context.logger.warn('routing.shared_state changed: the shared state in use is kept until a restart', {});
        router.reconfigure({ config: next.config.routing, providers: next.config.providers, maxTimeoutOverrideMs: next.config.server.request_timeout_ms });
        scheduleChecks(registerKnownTargets(router, next.resolver, next.providers));
      },
      async close() {
        router.healthChecks?.close();
        await shared?.close();
        await transport?.close().catch(() => transport?.destroy());
      },
      routes: [
        {
          method: 'GET',
          path: '/health/providers',
          handler: (exchange) => sendJson(exchange.response, 200, healthReport(router.health, router.state.environment.now())),
        },
        ...adminRoutes(config.admin, [routingViewRoute(() => current)]),
      ],
    };
  };
}

export const routingModule: ModuleFactory = createRoutingModule();

/**
 * So that `GET /health/providers` lists every configured target and key before any traffic.
 * Returns the targets, one per `provider/model`, for the active health checks.
 */
function registerKnownTargets(router: ResilientRouter, resolver: PlanResolver, providers: ReadonlyMap<string, ProviderInstance>): Target[] {
  const known = new Map<string, Target>();
  for (const model of resolver.models()) {
    try {
      for (const group of resolver.resolve(model).groups) {
        for (const target of group.targets) {
          router.health.target(target);
          if (!known.has(target.ref)) known.set(target.ref, target);
        }
      }
    } catch {
      // A model that does not resolve has nothing to report.
    }
  }
  for (const provider of providers.values()) for (const key of provider.keys) router.health.key(provider.name, key);
  return [...known.values()];
}
