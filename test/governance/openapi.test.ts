import assert from 'node:assert/strict';
import { test } from 'node:test';
import { governanceAdminRoutes } from '../../src/governance/admin-routes.js';
import type { GovernanceService } from '../../src/governance/governance-service.js';
import { MemorySpendStore } from '../../src/governance/memory-spend-store.js';
import { governanceOpenApi } from '../../src/governance/openapi.js';
import { EntityRegistry } from '../../src/governance/registry.js';

test('the OpenAPI description lists every governance admin route with its method, and /v1/usage', () => {
  const routes = governanceAdminRoutes({ service: {} as GovernanceService, registry: new EntityRegistry(), spend: new MemorySpendStore(), now: Date.now, providers: () => ({}) });
  const paths = governanceOpenApi().paths as Record<string, Record<string, unknown>>;
  const described = new Set(Object.entries(paths).flatMap(([path, item]) => Object.keys(item).filter((method) => method !== 'parameters').map((method) => `${method.toUpperCase()} ${path}`)));
  const served = routes.filter((route) => route.path !== '/admin/openapi.json').map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`);
  assert.ok(served.length > 20);
  assert.deepEqual(served.filter((route) => !described.has(route)), []);
  assert.deepEqual([...described].filter((route) => !served.includes(route) && route !== 'GET /v1/usage'), []);
});
