import type { ModuleFactory } from '../pipeline/module.js';
import { governanceModule } from '../governance/module.js';
import { guardrailsModule } from '../guardrails/module.js';
import { mcpModule } from '../mcp/module.js';
import { observabilityModule } from '../observability/module.js';
import { responsesStoreModule } from '../responses-store/module.js';
import { routingModule } from '../routing/routing-module.js';
import { cacheModule } from '../cache/module.js';
import { batchesModule } from '../batches/module.js';

/** Feature modules, built in this order at start-up. */
export const featureModules: readonly ModuleFactory[] = [routingModule, governanceModule, observabilityModule, responsesStoreModule, guardrailsModule, cacheModule, mcpModule, batchesModule];
