import type { AuditSink } from './audit-sink.js';
import type { GatewayConfig } from '../config/schema.js';
import type { ProviderInstance } from '../providers/instance.js';
import type { HttpRoute, UpgradeRoute } from '../http/http-route.js';
import type { Logger } from '../lib/logger.js';
import type { Storage } from '../storage/storage.js';
import type { CapabilityRegistry } from './capabilities.js';
import type { CostCalculator } from './cost.js';
import type { Router } from './hooks.js';
import type { RequestStage } from './stages.js';
import type { PlanResolver } from './plan-resolver.js';

/** What a feature module gets to build itself at start-up. */
export interface ModuleContext {
  readonly config: GatewayConfig;
  readonly storage: Storage;
  readonly logger: Logger;
  readonly providers: ReadonlyMap<string, ProviderInstance>;
  readonly resolver: PlanResolver;
  readonly costs: CostCalculator | undefined;
  /** The audit log (append only). */
  readonly audit: AuditSink;
  /** Where the config came from (for audit entries). */
  readonly configSource: string;
  /** What modules offer each other: provide while building; take in `connect`. */
  readonly capabilities: CapabilityRegistry;
}

/**
 * An outside service a module depends on (Redis, PostgreSQL, the request log's store), with what
 * the gateway does while it is down. `fail-closed`: requests that need it are refused and `/ready`
 * answers 503; `fail-open`: requests are served without it (degraded, `/ready` stays 200);
 * `buffer`: what it would store is kept in memory and written once it is back (`/ready` stays 200).
 */
export interface DependencyCheck {
  readonly name: string;
  readonly policy: 'fail-closed' | 'fail-open' | 'buffer';
  /** What callers see while it is down, in one sentence (served at `GET /ready`). */
  readonly effect: string;
  /** Throws (with the reason) while it is down. */
  check(): Promise<void>;
}

/**
 * A feature plugged into the gateway at start-up (governance, observability, …): the pipeline
 * hooks it implements, the HTTP routes it adds, and its lifecycle.
 */
export interface GatewayModule {
  readonly name: string;
  /** How a request walks its plan's targets (one module has it; the default routing module otherwise). */
  readonly router?: Router;
  /**
   * The module's places in a request's life: governance, policies, guards, caches and observers
   * alike (see RequestStage and docs/architecture.md); sorted by phase at start-up.
   */
  readonly stages?: readonly RequestStage[];
  readonly routes?: readonly HttpRoute[];
  /** Named JSON Schemas of the module's answers, which its routes' descriptions refer to (OpenAPI components). */
  readonly apiSchemas?: Readonly<Record<string, unknown>>;
  /** Paths that take HTTP upgrades (WebSocket endpoints). */
  readonly upgrades?: readonly UpgradeRoute[];
  /**
   * Called once every module is built, to take what other modules provide
   * (`capabilities.require` throws a start-up error naming what is missing).
   */
  connect?(capabilities: CapabilityRegistry): void | Promise<void>;
  /**
   * Applies a reloaded config (SIGHUP, `POST /admin/reload`) without a restart, keeping runtime
   * state (health, spend). Modules without it keep their start-up settings.
   */
  reconfigure?(context: ModuleContext): void | Promise<void>;
  /** Throws when the module cannot serve (readiness; a fail-closed dependency named after the module). */
  ready?(): Promise<void>;
  /** The outside services it depends on, each with its failure policy (readiness). */
  readonly dependencies?: readonly DependencyCheck[];
  /** Flushes and releases resources on shutdown. */
  close?(): Promise<void>;
}

export type ModuleFactory = (context: ModuleContext) => GatewayModule | Promise<GatewayModule>;
