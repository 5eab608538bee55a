import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HttpRoute } from '../../src/http/http-route.js';
import type { ModuleFactory } from '../../src/pipeline/module.js';
import { featureModules } from '../../src/server/modules.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { admin, ADMIN_TOKEN } from './helpers.js';

interface Operation {
  parameters?: { name: string; in: string }[];
  requestBody?: { required: boolean; content: { 'application/json': { schema: { type?: string; properties?: Record<string, unknown>; additionalProperties?: unknown; required?: string[] } } } };
}

/** Every route each feature module hands the gateway, by module, as the gateway registers them. */
const registered = new Map<string, readonly HttpRoute[]>();
const capturing = (factory: ModuleFactory): ModuleFactory => async (context) => {
  const module = await factory(context);
  registered.set(module.name, module.routes ?? []);
  return module;
};

let running: RunningGateway;
let document: { paths: Record<string, Record<string, Operation>> };

before(async () => {
  running = await startGateway(
    {
      admin: { token: ADMIN_TOKEN },
      providers: { mock: { type: 'mock', models: ['mock-small'] } },
      customers: [{ id: 'c1', budgets: [{ max_usd: 5 }] }],
      teams: [{ id: 't1', customer: 'c1', budgets: [{ max_usd: 5 }] }],
      virtual_keys: [{ id: 'k1', value: 'vk-test-openapi', team: 't1', models: ['*'], budgets: [{ max_usd: 5 }] }],
    },
    { modules: featureModules.map(capturing), reloadConfig: () => Promise.reject(new Error('not reloaded in this test')) },
  );
  const served = await admin(running.url, 'GET', '/admin/openapi.json');
  assert.equal(served.status, 200);
  document = served.body as typeof document;
});

after(() => running.close());

/** The governance module's routes under /admin and the usage paths, as `METHOD /path/{param}`. */
function governanceRoutes(): { method: string; path: string; documented: string }[] {
  const routes = registered.get('governance');
  assert.ok(routes !== undefined && routes.length > 20, 'the governance module registers its admin routes');
  return routes
    .filter((route) => route.path.startsWith('/admin/') || route.path.endsWith('/v1/usage'))
    .map((route) => ({ method: route.method, path: route.path, documented: route.path.replace(/:(\w+)/g, '{$1}') }));
}

test('every admin and usage route the gateway registers, from every module, appears in the served OpenAPI document with its method, and nothing else does', () => {
  const everyModule = [...registered.values()].flat().filter((route) => route.path.startsWith('/admin/') || route.path.endsWith('/v1/usage'));
  assert.ok(everyModule.some((route) => route.path === '/admin/logs') && everyModule.some((route) => route.path === '/admin/audit/verify'), 'observability registers its admin routes');
  // The gateway's own admin routes: reloading the config, routes and providers changed at run time and this document.
  const gatewayOwn = ['POST /admin/reload', 'GET /admin/routes', 'GET /admin/routes/{name}', 'PUT /admin/routes/{name}', 'DELETE /admin/routes/{name}', 'PUT /admin/providers/{name}', 'DELETE /admin/providers/{name}', 'GET /admin/openapi.json'];
  const served = [...everyModule.map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`), ...gatewayOwn];
  const described = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).filter((key) => key !== 'parameters').map((method) => `${method.toUpperCase()} ${path}`));
  assert.deepEqual(served.filter((route) => !described.includes(route)), []);
  assert.deepEqual(described.filter((route) => !served.includes(route)), []);
  assert.ok(described.includes('GET /v1/usage') && described.includes('PATCH /admin/keys/{id}'));
  assert.ok(document.paths['/admin/logs']!.get!.parameters!.some((parameter) => parameter.name === 'provider'), 'query parameters are described');
});

test('a route that takes a body has its schema in the document (the zod schema it parses with); one that takes none has none', async () => {
  const ids: Record<string, string> = { '/admin/keys': 'k1', '/admin/teams': 't1', '/admin/customers': 'c1', '/admin/providers': 'mock' };
  const bodies = governanceRoutes().filter((route) => route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH');
  assert.ok(bodies.length >= 15);
  let takingBodies = 0;
  for (const route of bodies) {
    const path = route.path.replace(/^(\/admin\/\w+)\/:(\w+)/, (_, collection: string) => `${collection}/${ids[collection]}`);
    // A field no schema has: a route that parses its body refuses it, naming it.
    const answer = await admin(running.url, route.method, path, { not_a_field: 1 });
    const operation = document.paths[route.documented]![route.method.toLowerCase()]!;
    if (answer.status === 400) {
      takingBodies++;
      assert.match(answer.text, /not_a_field/, `${route.method} ${route.path}`);
      const schema = operation.requestBody?.content['application/json'].schema;
      assert.ok(schema !== undefined, `${route.method} ${route.path} takes a body but the document shows none`);
      assert.equal(schema.type, 'object');
      assert.equal(schema.additionalProperties, false, `${route.method} ${route.path}: the document says which fields it refuses`);
      assert.ok(Object.keys(schema.properties ?? {}).length > 0);
      assert.equal(schema.properties!.not_a_field, undefined);
    } else assert.equal(operation.requestBody, undefined, `${route.method} ${route.path} (${answer.status}) takes no body but the document shows one`);
  }
  assert.ok(takingBodies >= 10, `${takingBodies} routes took a body`);
});

test('body schemas in the document say what the parser requires and allows', () => {
  const schemaOf = (method: string, path: string) => document.paths[path]![method]!.requestBody!.content['application/json'].schema;
  const topUp = schemaOf('post', '/admin/keys/{id}/top-up');
  assert.deepEqual(topUp.required, ['amount_usd']);
  assert.deepEqual(topUp.properties!.amount_usd, { type: 'number', exclusiveMinimum: 0 });
  const create = schemaOf('post', '/admin/keys');
  assert.equal(create.properties!.value, undefined, 'the gateway makes secrets: a create body has no `value`');
  assert.ok(create.properties!.budgets !== undefined && create.properties!.models !== undefined);
  // PATCH takes any of the fields, none required.
  assert.equal(schemaOf('patch', '/admin/teams/{id}').required, undefined);
  assert.equal(document.paths['/admin/keys/{id}/rotate']!.post!.requestBody!.required, false);
});
