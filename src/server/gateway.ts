import { ConfigError, type ConfigIssue } from '../config/config-error.js';
import type { GatewayConfig } from '../config/schema.js';
import { Pipeline } from '../pipeline/pipeline.js';
import type { CostCalculator } from '../pipeline/cost.js';
import { CapabilityRegistry, GATEWAY_REQUESTS, INTERNAL_EMBEDDINGS, PROVIDER_DEFINITIONS, STORED_RESPONSES } from '../pipeline/capabilities.js';
import type { GatewayModule, ModuleFactory } from '../pipeline/module.js';
import { observeStage } from '../pipeline/stages.js';
import { accessLogObserver } from '../observability/access-log.js';
import { openAuditLog, type AuditLog } from '../observability/audit/audit-log.js';
import { buildProviderInstances } from '../providers/build-instances.js';
import { createAdapterRegistry } from '../providers/registry.js';
import { HttpTransport } from '../providers/transport/http-transport.js';
import { ModelResolver } from '../routing/model-resolver.js';
import { routingModule } from '../routing/routing-module.js';
import { openStorage } from '../storage/storage.js';
import { anthropicRoutes } from '../surfaces/anthropic-surface.js';
import { bedrockRoutes } from '../surfaces/bedrock-surface.js';
import { geminiRoutes } from '../surfaces/gemini-surface.js';
import { openaiAudioRoutes } from '../surfaces/openai-audio-surface.js';
import { openaiImageUploadRoutes } from '../surfaces/openai-image-upload-surface.js';
import { realtimeSurface } from '../surfaces/realtime-surface.js';
import { openaiRoutes } from '../surfaces/openai-surface.js';
import { passthroughRoutes } from '../surfaces/passthrough-surface.js';
import { responsesRoutes } from '../surfaces/responses-surface.js';
import { healthRoutes } from './health-routes.js';
import { HttpServer } from './http-server.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { featureModules } from './modules.js';
import { RouteTable } from './route-table.js';
import { createCostCalculator, type PricedCostCalculator } from './cost-calculator.js';
import { adminRoutes } from '../admin/admin-auth.js';
import { consoleRoutes } from '../console/console-routes.js';
import { openApiRoute } from './openapi-route.js';
import { reloadRoute } from './reload-route.js';
import { pathPrefixes } from './path-prefixes.js';
import { readTlsFiles } from './tls-files.js';
import { StoredDefinitions } from './stored-definitions.js';
import { definitionSections } from './definition-sections.js';
import { routeAdminRoutes } from './route-admin-routes.js';
import { providerAdminRoutes } from './provider-admin-routes.js';
import { shownView } from './provider-definitions.js';

/** How often a replica looks for routes and providers changed through another replica's admin API. */
const STORED_DEFINITIONS_POLL_MS = 500;

export interface GatewayOptions {
  /** Where the config came from, for messages and audit entries. */
  configSource?: string;
  logger?: Logger;
  /** Feature modules; the built-in list by default. */
  modules?: readonly ModuleFactory[];
  /** Reads the config again for `POST /admin/reload` (the CLI passes its file loader). */
  reloadConfig?: () => Promise<GatewayConfig>;
}

/** What a reload changed, and what it could not change without a restart. */
export interface ReloadReport {
  providers: string[];
  routes: string[];
  /** Sections that differ but only take effect after a restart. */
  restartRequired: string[];
}

export interface Gateway {
  /** The config in effect (the latest reloaded one, with the routes and providers stored through the admin API over it). */
  readonly config: GatewayConfig;
  readonly pipeline: Pipeline;
  readonly logger: Logger;
  listen(port?: number, host?: string): Promise<{ port: number; host: string; url: string }>;
  /**
   * Applies a new config without a restart: providers, keys, models, aliases, routes, prices and
   * each module's own settings. `next` is the config file's: routes and providers stored through
   * `PUT /admin/routes/{name}` and `PUT /admin/providers/{name}` are laid over it. Throws ConfigError and keeps the old config when the result is invalid.
   */
  reload(next: GatewayConfig): Promise<ReloadReport>;
  /** The price catalog in effect: the maintained data's version and date, the project file's date (also in `GET /health`). */
  readonly pricing: PricingSummary;
  /** Drains in-flight requests (up to `server.shutdown_grace_ms`), then closes modules and storage. */
  close(): Promise<void>;
}

const STORAGE_DOWN =
  'not ready: the load balancer should send new requests elsewhere; requests that reach this replica are still answered (budgets are counted by the spend ledger), the request log keeps its records and writes them once storage is back, admin changes fail with 500';

/** The catalog's provenance as `/health` and the start-up log show it. */
export interface PricingSummary {
  /** e.g. `@pydantic/genai-prices@0.1.8` or `file:/var/lib/tollgate/prices.json`. */
  source: string;
  /** The maintained data's date, YYYY-MM-DD (null when unknown). */
  source_date: string | null;
  source_models: number;
  /** data/pricing.json's `as_of`. */
  project_file_date: string | null;
  overrides: number;
  /** How long building the catalog took at start-up (or the last reload), in ms. */
  build_ms: number;
}

function pricingSummary(pricing: PricedCostCalculator['pricing']): PricingSummary {
  return {
    source: pricing.source,
    source_date: pricing.source_date ?? null,
    source_models: pricing.source_models,
    project_file_date: pricing.project_file_date ?? null,
    overrides: pricing.overrides,
    build_ms: pricing.build_ms,
  };
}

/** Sections read once at start-up. */
const RESTART_ONLY = ['server', 'storage', 'logging', 'admin'] as const;

/** Builds the whole gateway from a validated config. Throws ConfigError for problems only visible once built. */
export async function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  // Lines reach stdout within 10 ms, a system call per batch rather than per request.
  const logger = options.logger ?? createLogger({ level: config.logging.level, coalesceMs: 10 });
  const source = options.configSource ?? 'config';
  const issues: ConfigIssue[] = [];
  const adapters = createAdapterRegistry();
  const providers = buildProviderInstances(config.providers, adapters, issues);
  const resolver = new ModelResolver({ providers, aliases: config.aliases, routes: config.routes }, issues);
  let costs: PricedCostCalculator = createCostCalculator(config, issues);
  if (issues.length > 0) throw new ConfigError(source, issues);

  const tls = config.server.tls === undefined ? undefined : await readTlsFiles(config.server.tls, source);
  const storage = await openStorage(config.storage);
  const modules: GatewayModule[] = [];
  const capabilities = new CapabilityRegistry();
  let audit: AuditLog | undefined;
  // The pipeline is built from the modules' stages, after them: modules' calls reach it through this, once it exists.
  let built: Pipeline | undefined;
  const running = () => {
    if (built === undefined) throw new Error('The request pipeline is used before the gateway is built.');
    return built;
  };
  // Built after the modules (it applies configs through them); the admin API's provider views read it once it exists.
  let storedDefinitions: StoredDefinitions | undefined;
  capabilities.provide(
    PROVIDER_DEFINITIONS,
    (name) => {
      const view = storedDefinitions?.view('providers', name);
      return view === undefined ? undefined : shownView(view);
    },
    'gateway',
  );
  capabilities.provide(INTERNAL_EMBEDDINGS, (parent, model, input) => running().embedFor(parent, model, input), 'gateway');
  capabilities.provide(
    GATEWAY_REQUESTS,
    {
      operationHandler: (endpoint) => (exchange) => running().operationHandler(endpoint)(exchange),
      caller: (exchange) => running().caller(exchange),
      perform: (init, work) => running().perform(init, work),
      chat: (init, request) => running().chatFor(init, request),
      allowsModel: (principal, model) => running().allowsModel(principal, model),
    },
    'gateway',
  );
  try {
    audit = await openAuditLog(storage, logger);
    const moduleContext = { config, storage, logger, providers, resolver, costs, audit, configSource: source, capabilities };
    for (const factory of options.modules ?? featureModules) modules.push(await factory(moduleContext));
    // Routing is part of the core: a module list without a router gets the default one.
    if (!modules.some((module) => module.router)) modules.unshift(await routingModule(moduleContext));
    // In order, each awaited: a module may read storage here (governance replays the request journal) before the gateway listens.
    for (const module of modules) await module.connect?.(capabilities);
  } catch (error) {
    for (const module of modules.reverse()) await module.close?.().catch(() => {});
    await audit?.close().catch(() => {});
    await storage.close();
    throw error;
  }

  const auditLog = audit;
  const transport = new HttpTransport();
  const stages = modules.flatMap((module) => module.stages ?? []);
  if (config.logging.requests) stages.unshift(observeStage('access-log', accessLogObserver(logger)));
  const pipeline = new Pipeline({
    resolver,
    router: modules.find((module) => module.router)!.router!,
    stages,
    costs,
    transport,
  });
  built = pipeline;

  let http: HttpServer | undefined;
  const routes = new RouteTable();
  for (const prefix of pathPrefixes(config.admin)) routes.addPrefix(prefix);
  routes.addAll(openaiRoutes({ pipeline }));
  routes.addAll(openaiAudioRoutes({ pipeline, upload: { maxBytes: config.audio.max_upload_bytes, idleTimeoutMs: config.server.body_idle_timeout_ms } }));
  routes.addAll(openaiImageUploadRoutes({ pipeline, upload: { maxBytes: config.images.max_upload_bytes, idleTimeoutMs: config.server.body_idle_timeout_ms } }));
  routes.addAll(responsesRoutes({ pipeline, storedResponses: capabilities.optional(STORED_RESPONSES) }));
  routes.addAll(anthropicRoutes({ pipeline }));
  routes.addAll(geminiRoutes({ pipeline }));
  routes.addAll(bedrockRoutes({ pipeline }));
  routes.addAll(passthroughRoutes({ pipeline }));
  routes.addAll(
    healthRoutes(
      [
        { name: 'storage', check: () => storage.ping(), policy: 'fail-closed', effect: STORAGE_DOWN },
        ...modules.filter((module) => module.ready).map((module) => ({ name: module.name, check: () => module.ready!() })),
        ...modules.flatMap((module) => module.dependencies ?? []).map((dependency) => ({ name: dependency.name, check: () => dependency.check(), policy: dependency.policy, effect: dependency.effect })),
      ],
      () => http?.isDraining ?? false,
      () => ({ pricing: pricingSummary(costs.pricing) }),
    ),
  );
  for (const module of modules) routes.addAll(module.routes ?? []);
  routes.addAll(await consoleRoutes({ admin: config.admin }));
  let current = config;
  let reloading: Promise<ReloadReport> | undefined;
  const applyConfig = async (next: GatewayConfig, audited: boolean): Promise<ReloadReport> => {
    while (reloading !== undefined) await reloading.catch(() => undefined);
    const run = (async () => {
      const nextIssues: ConfigIssue[] = [];
      const nextProviders = buildProviderInstances(next.providers, adapters, nextIssues);
      const nextResolver = new ModelResolver({ providers: nextProviders, aliases: next.aliases, routes: next.routes }, nextIssues);
      const nextCosts = createCostCalculator(next, nextIssues);
      if (nextIssues.length > 0) throw new ConfigError(source, nextIssues);
      const context = { config: next, storage, logger, providers: nextProviders, resolver: nextResolver, costs: nextCosts, audit: auditLog, configSource: source, capabilities };
      pipeline.reconfigure({ resolver: nextResolver, costs: nextCosts });
      costs = nextCosts;
      for (const module of modules) await module.reconfigure?.(context);
      const restartRequired = RESTART_ONLY.filter((section) => JSON.stringify(current[section]) !== JSON.stringify(next[section]));
      current = next;
      const report = { providers: [...nextProviders.keys()], routes: Object.keys(next.routes), restartRequired };
      if (audited) auditLog.append({ actor: 'config', action: 'config.reload', target: source, details: { providers: report.providers, routes: report.routes, restart_required: restartRequired } });
      logger.info(audited ? 'config reloaded' : 'routes applied', { config: source, providers: report.providers, routes: report.routes, restart_required: restartRequired });
      return report;
    })();
    reloading = run;
    try {
      return await run;
    } finally {
      reloading = undefined;
    }
  };
  // Routes and providers changed through the admin API, over the file's: a reload keeps them, replicas follow them.
  const stored = new StoredDefinitions(config, definitionSections(storage, config), applyConfig, logger);
  storedDefinitions = stored;
  const reload = (next: GatewayConfig): Promise<ReloadReport> => stored.reloadFile(next, (effective) => applyConfig(effective, true));
  const described = modules.flatMap((module) => module.routes ?? []);
  const routeAdmin = adminRoutes(config.admin, [...routeAdminRoutes(stored, auditLog), ...providerAdminRoutes(stored, auditLog, adapters)]);
  routes.addAll(routeAdmin);
  described.push(...routeAdmin);
  if (options.reloadConfig !== undefined) {
    const reloading = adminRoutes(config.admin, [reloadRoute(options.reloadConfig, reload)]);
    routes.addAll(reloading);
    described.push(...reloading);
  }
  const apiSchemas = Object.assign({}, ...modules.map((module) => module.apiSchemas ?? {})) as Record<string, unknown>;
  routes.addAll(adminRoutes(config.admin, [openApiRoute(() => described, () => apiSchemas)]));
  const realtime = realtimeSurface(pipeline, { maxSessionSeconds: config.realtime.max_session_seconds, maxMessageBytes: config.realtime.max_message_bytes });
  const upgrades = [...modules.flatMap((module) => module.upgrades ?? []), ...realtime.routes];
  http = new HttpServer({
    routes,
    logger,
    maxBodyBytes: config.server.max_body_bytes,
    requestTimeoutMs: config.server.request_timeout_ms,
    headerTimeoutMs: config.server.header_timeout_ms,
    bodyIdleTimeoutMs: config.server.body_idle_timeout_ms,
    upgrades,
    ...(tls === undefined ? {} : { tls }),
  });
  const server = http;
  try {
    await stored.sync();
  } catch (error) {
    logger.error('stored routes and providers could not be read; the config file\'s are in effect', { error: error instanceof Error ? error.message : String(error) });
  }
  if (storage.kind !== 'memory') stored.start(STORED_DEFINITIONS_POLL_MS);

  let closing: Promise<void> | undefined;
  return {
    get config() {
      return current;
    },
    get pricing() {
      return pricingSummary(costs.pricing);
    },
    pipeline,
    logger,
    reload,
    async listen(port = config.server.port, host = config.server.host) {
      const address = await server.listen(port, host);
      const shownHost = address.host.includes(':') ? `[${address.host}]` : address.host;
      return { ...address, url: `${tls === undefined ? 'http' : 'https'}://${shownHost}:${address.port}` };
    },
    close() {
      closing ??= (async () => {
        // Realtime sessions have no natural end to wait for: told now (1001), as a drained stream is cut at the grace's end.
        realtime.close();
        await stored.close();
        await server.drain(config.server.shutdown_grace_ms);
        for (const module of modules.reverse()) {
          try {
            await module.close?.();
          } catch (error) {
            logger.error('module failed to close', { module: module.name, error });
          }
        }
        await auditLog.close().catch((error: unknown) => logger.error('audit log failed to close', { error }));
        await transport.close().catch(() => transport.destroy());
        await storage.close();
        logger.flush();
      })();
      return closing;
    },
  };
}
