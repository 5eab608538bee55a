import { adminActorOf } from '../admin/admin-auth.js';
import type { AuditLog } from '../observability/audit/audit-log.js';
import type { HttpRoute } from '../http/http-route.js';
import { sendJson } from '../http/respond.js';
import { providerSchema } from '../config/provider-schema.js';
import { GatewayError } from '../spec/index.js';
import { referencesTo, shownView, withKeptSecrets } from './provider-definitions.js';
import type { StoredDefinitions } from './stored-definitions.js';

/**
 * `PUT /admin/providers/{name}`, `DELETE /admin/providers/{name}`: provider definitions (type, base
 * URL, models, keys with weights) added or changed at run time over the config file's, applied
 * without a restart and seen by every replica sharing the storage. Their views (secrets never
 * shown) are part of `GET /admin/providers`, which governance answers with each provider's limits.
 * Wrapped by `adminRoutes`: viewer and finance accounts are refused.
 */
export function providerAdminRoutes(stored: StoredDefinitions, audit: AuditLog): HttpRoute[] {
  return [
    {
      method: 'PUT',
      path: '/admin/providers/:name',
      description: {
        tag: 'providers',
        summary:
          'Define or replace a provider (the fields of `providers.<name>`); applied at once, without a restart, on every replica. A key without `value` (or with `{"set": true}`) that names an existing key id keeps its stored secret; a header given as `{"set": true}` keeps its value',
        body: providerSchema,
      },
      handler: async (exchange) => {
        const body = await exchange.readJson();
        const name = exchange.params.name ?? '';
        const actor = adminActorOf(exchange.request);
        const current = stored.view('providers', name)?.definition;
        // Validated by `stored.put` with the config file's schema, so that errors name `providers.<name>.…` as a file's would.
        const view = shownView(await stored.put('providers', name, withKeptSecrets(name, body, current), actor));
        audit.append({ actor, action: 'provider.put', target: name, details: { definition: view.definition } });
        sendJson(exchange.response, 200, { name, ...view });
      },
    },
    {
      method: 'DELETE',
      path: '/admin/providers/:name',
      description: {
        tag: 'providers',
        summary: "Remove a provider's stored definition: the config file's provider of that name (if any) is in effect again. 409 `conflict` while routes or aliases name a provider that would then be gone",
      },
      handler: async (exchange) => {
        exchange.request.resume();
        const name = exchange.params.name ?? '';
        const actor = adminActorOf(exchange.request);
        const current = stored.view('providers', name);
        if (current !== undefined && current.source === 'api' && !current.in_file) {
          const users = referencesTo(stored.effective(), name);
          if (users.length > 0) throw new GatewayError('conflict', `Provider \`${name}\` is still used by ${users.join(', ')}: change or remove them first.`);
        }
        const view = await stored.revert('providers', name, actor);
        audit.append({ actor, action: 'provider.revert', target: name, details: { source: view === null ? 'removed' : 'file' } });
        sendJson(exchange.response, 200, { name, reverted: true, provider: view === null ? null : { name, ...shownView(view) } });
      },
    },
  ];
}
