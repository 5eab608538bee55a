import type { GatewayConfig } from '../config/schema.js';
import { BUDGET_HOLDS, GATEWAY_REQUESTS, type BudgetHolder, type GatewayRequests } from '../pipeline/capabilities.js';
import type { GatewayModule, ModuleContext } from '../pipeline/module.js';
import { HttpTransport } from '../providers/transport/http-transport.js';
import { batchRoutes, type BatchesContext } from './batch-endpoints.js';
import { BatchPoller } from './batch-poller.js';
import { BatchRunner } from './batch-runner.js';
import { fileRoutes } from './file-endpoints.js';
import type { FilesSettings } from './files-context.js';
import { openBatchStore } from './open-batch-store.js';

const PREFIXES = ['/v1', '/openai/v1'];

function settingsOf(context: ModuleContext): FilesSettings {
  const config: GatewayConfig = context.config;
  return {
    files: config.files,
    batches: config.batches,
    providerConfigs: config.providers,
    providers: context.providers,
    resolver: context.resolver,
    costs: context.costs,
    unpricedRequestUsd: config.governance.unpriced_request_usd,
    idleTimeoutMs: config.server.body_idle_timeout_ms,
  };
}

/**
 * OpenAI's Files and Batch APIs (docs/files-and-batches.md): files kept at the provider or by the
 * gateway, each owned by the virtual key that uploaded it; batches run natively at the provider or
 * by the gateway itself through its pipeline, their worst case held on the caller's budgets from
 * submission until their lines are priced.
 */
export async function batchesModule(context: ModuleContext): Promise<GatewayModule> {
  let settings = settingsOf(context);
  const store = await openBatchStore(context.storage);
  let requests: GatewayRequests | undefined;
  let holds: BudgetHolder | undefined;
  const runner = new BatchRunner({ store, requests: () => requests!, concurrency: () => settings.batches.concurrency, logger: context.logger });
  const shared: BatchesContext = { store, settings: () => settings, requests: () => requests!, holds: () => holds, runner, nativeHolds: new Map(), logger: context.logger };
  // Its own connection pools: the poll runs outside any request, on no request's transport.
  const transport = new HttpTransport();
  const poller = new BatchPoller(shared, transport, context.logger);
  return {
    name: 'batches',
    routes: [...fileRoutes(shared, PREFIXES), ...batchRoutes(shared, PREFIXES)],
    connect(capabilities) {
      requests = capabilities.require(GATEWAY_REQUESTS, 'batches');
      holds = capabilities.optional(BUDGET_HOLDS);
      // Batches an earlier run left unfinished go on once the gateway is up (their lines wait for the pipeline if need be).
      setImmediate(() => void runner.resume().catch((error: unknown) => context.logger.error('batches: could not resume gateway-run batches', { error: (error as Error)?.message })));
      poller.start();
    },
    reconfigure(next) {
      settings = settingsOf(next);
    },
    async close() {
      await poller.stop();
      await transport.close();
      await runner.close();
      // Holds of native batches still running are given back; their spend is charged when a retrieve after the restart settles them.
      for (const hold of shared.nativeHolds.values()) hold.release();
    },
  };
}
