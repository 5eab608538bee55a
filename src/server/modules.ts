import type { ModuleFactory } from '../pipeline/module.js';

/** Feature modules, built in this order at start-up. */
export const featureModules: readonly ModuleFactory[] = [];
