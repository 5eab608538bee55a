import type { ProviderConfig } from '../config/provider-schema.js';
import { routingSchema, type RoutingConfig } from '../config/routing-schema.js';
import { ContextSlot, type RequestContext } from '../pipeline/context.js';
import type { RequestObserver, Router } from '../pipeline/hooks.js';
import type { RoutePlan } from '../pipeline/target.js';
import type { UpstreamTimeouts } from '../providers/transport/http-transport.js';
import { systemEnvironment, type RouterEnvironment } from './clock.js';
import type { HealthChecks } from './health-checks.js';
import { HealthRegistry } from './health-registry.js';
import { providerTimeouts, TIMEOUT_HEADER, timeoutOverride } from './request-timeouts.js';
import type { RouterState } from './router-state.js';
import { ResilientSession } from './routing-session.js';

export interface ResilientRouterOptions {
  /** `routing` from the config; defaults apply to what is missing. */
  config?: RoutingConfig;
  /** `providers` from the config, for per-provider timeouts. */
  providers?: Record<string, ProviderConfig>;
  /** Upper bound for `x-tollgate-timeout-ms` (the server's request timeout). */
  maxTimeoutOverrideMs?: number;
  environment?: Partial<RouterEnvironment>;
}

/**
 * The router with memory: strategies over eligible targets, key rotation, retries with backoff and
 * `Retry-After`, circuit breakers and latency per target and key. `observer` must be registered
 * with the pipeline: it is how the router learns each attempt's outcome.
 */
export class ResilientRouter implements Router {
  readonly state: RouterState;
  readonly observer: RequestObserver;
  private readonly sessions = new ContextSlot<ResilientSession>();
  private maxTimeoutOverrideMs: number;
  private sessionsOpen = 0;
  /** The active health checks, when the routing module runs them (`routing.health_checks`). */
  healthChecks: HealthChecks | undefined;

  constructor(options: ResilientRouterOptions = {}) {
    const config = options.config ?? routingSchema.parse({});
    this.state = {
      config,
      health: new HealthRegistry(config),
      environment: { ...systemEnvironment, ...options.environment },
      timeouts: providerTimeouts(options.providers ?? {}),
    };
    this.maxTimeoutOverrideMs = options.maxTimeoutOverrideMs ?? 600_000;
    this.observer = {
      onAttempt: (context, outcome) => this.sessions.get(context)?.settle(outcome),
      onRequestEnd: (context) => {
        const session = this.sessions.get(context);
        if (session === undefined) return;
        session.end();
        this.sessions.set(context, undefined);
        this.sessionsOpen--;
      },
    };
  }

  start(context: RequestContext, plan: RoutePlan): ResilientSession {
    const override = timeoutOverride(context.headers[TIMEOUT_HEADER], this.maxTimeoutOverrideMs);
    const session = new ResilientSession(this.state, context, plan, override);
    this.sessions.set(context, session);
    this.sessionsOpen++;
    return session;
  }

  /** Requests started and not yet ended (a count that must return to 0: nothing is kept per request). */
  get openSessions(): number {
    return this.sessionsOpen;
  }

  /**
   * Applies a reloaded config (SIGHUP or `POST /admin/reload`) without losing health: thresholds,
   * retry settings and provider timeouts change; circuits, latency and in-flight counts stay. Routes
   * and providers themselves live in the resolver and provider instances, which the reload rebuilds.
   */
  reconfigure(options: { config: RoutingConfig; providers: Record<string, ProviderConfig>; maxTimeoutOverrideMs?: number }): void {
    this.state.config = options.config;
    this.state.timeouts = providerTimeouts(options.providers);
    if (options.maxTimeoutOverrideMs !== undefined) this.maxTimeoutOverrideMs = options.maxTimeoutOverrideMs;
    this.state.health.reconfigure(options.config);
  }

  get health(): HealthRegistry {
    return this.state.health;
  }

  /** Timeouts for a provider as configured (without request overrides). */
  timeoutsOf(provider: string): UpstreamTimeouts | undefined {
    return this.state.timeouts.get(provider);
  }
}
