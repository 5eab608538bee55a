import type { HttpRoute } from '../http/http-route.js';
import { sendJson } from '../http/respond.js';
import type { GovernanceHooks } from './governance-hooks.js';
import type { EntityRegistry } from './registry.js';
import type { SpendStore } from './spend-store.js';
import { keyUsage } from './usage-report.js';

/** Where a key reads its own usage (the OpenAI prefix's too). */
export const USAGE_PATHS = ['/v1/usage', '/openai/v1/usage'] as const;

/** `GET /v1/usage`: the calling key's own spend and remaining budget, authenticated by the key itself. */
export function usageRoutes(hooks: GovernanceHooks, registry: EntityRegistry, spend: SpendStore, now: () => number): HttpRoute[] {
  const handler: HttpRoute['handler'] = async (exchange) => {
    const entry = hooks.keyFromHeaders({ headers: exchange.request.headers });
    const key = entry.record;
    const report = await keyUsage(entry, registry, spend, now());
    sendJson(exchange.response, 200, {
      object: 'usage',
      key: { id: key.id, name: key.name ?? null, team: key.team ?? null, customer: registry.customerOf(key)?.id ?? null, expires_at: key.expires_at ?? null, metadata: key.metadata },
      ...report,
    });
  };
  const description = { tag: 'usage', summary: "The calling virtual key's spend and remaining budget (no admin rights needed)", answer: 'Usage', security: 'virtual-key' } as const;
  return USAGE_PATHS.map((path) => ({ method: 'GET', path, handler, description }));
}
