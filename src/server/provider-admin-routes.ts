import { adminActorOf } from '../admin/admin-auth.js';
import type { AuditLog } from '../observability/audit/audit-log.js';
import type { HttpRoute } from '../http/http-route.js';
import { sendJson } from '../http/respond.js';
import { providerSchema } from '../config/provider-schema.js';
import { GatewayError } from '../spec/index.js';
import { referencesTo, shownView, withKeptSecrets } from './provider-definitions.js';
import type { StoredDefinitions } from './stored-definitions.js';
import type { ProviderAdapter } from '../providers/provider.js';

/**
 * `PUT /admin/providers/{name}`, `DELETE /admin/providers/{name}`: provider definitions (type, base
 * URL, models, keys with weights) added or changed at run time over the config file's, applied
 * without a restart and seen by every replica sharing the storage. Their views (secrets never
 * shown) are part of `GET /admin/providers`, which governance answers with each provider's limits.
 * Wrapped by `adminRoutes`: viewer and finance accounts are refused.
 */
export function providerAdminRoutes(stored: StoredDefinitions, audit: AuditLog, adapters: ReadonlyMap<string, ProviderAdapter>): HttpRoute[] {
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
        refuseKeyFiles(name, body, adapters);
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

/**
 * A key value given through the API is the secret itself: one the provider's adapter would read as
 * the path of a file on the gateway's host is refused (an admin could otherwise have the gateway
 * open any file it can read). Paths stay possible in the config file, and a key whose value the
 * body leaves out keeps the one in force, whatever it is.
 */
function refuseKeyFiles(name: string, body: unknown, adapters: ReadonlyMap<string, ProviderAdapter>): void {
  if (body === null || typeof body !== 'object') return;
  const { type, keys } = body as { type?: unknown; keys?: unknown };
  const adapter = typeof type === 'string' ? adapters.get(type) : undefined;
  if (adapter?.keyReadsFile === undefined || !Array.isArray(keys)) return;
  keys.forEach((key: unknown, index) => {
    const value = key !== null && typeof key === 'object' ? (key as { value?: unknown }).value : undefined;
    if (typeof value === 'string' && adapter.keyReadsFile!(value)) {
      throw new GatewayError('invalid_request', `providers.${name}.keys[${index}].value: through the admin API a key is the secret itself, not the path of a file on the gateway's host. Fix: give the key's contents (for ${type}: the service-account JSON), or name the file in the config file.`, { param: `providers.${name}.keys[${index}].value` });
    }
  });
}
