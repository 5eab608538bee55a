import { adminActorOf } from '../admin/admin-auth.js';
import type { AuditLog } from '../observability/audit/audit-log.js';
import type { HttpRoute } from '../http/http-route.js';
import { sendJson } from '../http/respond.js';
import { routeSchema } from '../config/schema.js';
import { GatewayError } from '../spec/index.js';
import type { StoredDefinitions } from './stored-definitions.js';

/**
 * `GET /admin/routes`, `PUT /admin/routes/{name}`, `DELETE /admin/routes/{name}`: route definitions
 * (targets with weights, strategy, fallbacks) changed at run time over the config file's, applied
 * without a restart and seen by every replica sharing the storage. Wrapped by `adminRoutes`: viewer
 * and finance accounts read only.
 */
export function routeAdminRoutes(stored: StoredDefinitions, audit: AuditLog): HttpRoute[] {
  return [
    {
      method: 'GET',
      path: '/admin/routes',
      description: { tag: 'routing', summary: 'Every route in force: its definition, whether it comes from the config file or the admin API, and the file\'s own definition when changed' },
      handler: (exchange) => sendJson(exchange.response, 200, { routes: stored.list('routes') }),
    },
    {
      method: 'GET',
      path: '/admin/routes/:name',
      description: { tag: 'routing', summary: 'One route in force' },
      handler: (exchange) => {
        const view = stored.view('routes', exchange.params.name ?? '');
        if (view === undefined) throw new GatewayError('not_found', `No route \`${exchange.params.name}\`.`);
        sendJson(exchange.response, 200, view);
      },
    },
    {
      method: 'PUT',
      path: '/admin/routes/:name',
      description: { tag: 'routing', summary: 'Define or replace a route (the fields of `routes.<name>`: `targets` with weights, `strategy`, `fallbacks`, `cache`); applied at once, without a restart, on every replica', body: routeSchema },
      handler: async (exchange) => {
        // Validated by `stored.put` with the same schema, so that errors name `routes.<name>.…` as a config file's would.
        const body = await exchange.readJson();
        const name = exchange.params.name ?? '';
        const actor = adminActorOf(exchange.request);
        const view = await stored.put('routes', name, body, actor);
        audit.append({ actor, action: 'route.put', target: name, details: { definition: view.definition } });
        sendJson(exchange.response, 200, view);
      },
    },
    {
      method: 'DELETE',
      path: '/admin/routes/:name',
      description: { tag: 'routing', summary: "Remove a route's stored definition: the config file's route of that name (if any) is in effect again" },
      handler: async (exchange) => {
        exchange.request.resume();
        const name = exchange.params.name ?? '';
        const actor = adminActorOf(exchange.request);
        const view = await stored.revert('routes', name, actor);
        audit.append({ actor, action: 'route.revert', target: name, details: { source: view === null ? 'removed' : 'file' } });
        sendJson(exchange.response, 200, { name, reverted: true, route: view });
      },
    },
  ];
}
