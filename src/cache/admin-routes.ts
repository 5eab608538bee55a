import type { HttpRoute } from '../http/http-route.js';
import type { RouteDescription } from '../http/route-description.js';
import { sendJson } from '../http/respond.js';
import { GatewayError } from '../spec/index.js';
import type { ExactStore } from './cache-entry.js';

export interface CacheAdminRoute extends HttpRoute {
  readonly description: RouteDescription;
}

export interface CacheAdmin {
  store(): ExactStore;
  /** Drops semantic vectors with the entries (when the semantic layer is on). */
  forget(scope: { namespace?: string; id?: string }): Promise<void>;
  enabled(): boolean;
}

/** The cache's admin API: its state, and clearing all entries, a namespace's or one entry (to be wrapped with `adminRoutes`). */
export function cacheAdminRoutes(admin: CacheAdmin): CacheAdminRoute[] {
  return [
    {
      method: 'GET',
      path: '/admin/cache',
      description: { tag: 'cache', summary: 'The response cache: whether it is on, its store and how many entries it holds', answer: 'CacheState' },
      handler: async (exchange) => {
        const store = admin.store();
        sendJson(exchange.response, 200, { enabled: admin.enabled(), store: store.kind, entries: await store.size() });
      },
    },
    {
      method: 'DELETE',
      path: '/admin/cache',
      description: { tag: 'cache', summary: 'Clear every entry of every namespace', answer: 'CacheCleared' },
      handler: async (exchange) => {
        const removed = await admin.store().clear();
        await admin.forget({});
        sendJson(exchange.response, 200, { removed });
      },
    },
    {
      method: 'DELETE',
      path: '/admin/cache/namespaces/:namespace',
      description: { tag: 'cache', summary: 'Clear a namespace and its sub-namespaces (`key:<id>`, `team:<id>`, `customer:<id>`, `global`, `anonymous`; URL-encoded)', answer: 'CacheCleared' },
      handler: async (exchange) => {
        const namespace = exchange.params.namespace!;
        const removed = await admin.store().deleteNamespace(namespace);
        await admin.forget({ namespace });
        sendJson(exchange.response, 200, { removed });
      },
    },
    {
      method: 'DELETE',
      path: '/admin/cache/entries/:id',
      description: { tag: 'cache', summary: 'Remove one entry (its id is in the request log)', status: 204 },
      handler: async (exchange) => {
        const id = exchange.params.id!;
        const removed = await admin.store().deleteEntry(id);
        await admin.forget({ id });
        if (!removed) throw new GatewayError('not_found', `No cache entry \`${id}\`.`);
        exchange.response.writeHead(204).end();
      },
    },
  ];
}

/** The answers of the cache's admin routes, for the OpenAPI document. */
export const cacheApiSchemas: Readonly<Record<string, unknown>> = {
  CacheState: {
    type: 'object',
    required: ['enabled', 'store', 'entries'],
    properties: { enabled: { type: 'boolean' }, store: { type: 'string', enum: ['sqlite', 'memory', 'redis'] }, entries: { type: 'integer' } },
  },
  CacheCleared: { type: 'object', required: ['removed'], properties: { removed: { type: 'integer', description: 'Entries removed' } } },
};
