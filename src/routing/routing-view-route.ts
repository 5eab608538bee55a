import type { GatewayConfig } from '../config/schema.js';
import type { HttpRoute } from '../http/http-route.js';
import { sendJson } from '../http/respond.js';

/**
 * `GET /admin/routing`: the providers, models, routes, weights, fallbacks and aliases in force (as of
 * the latest reload), for the console. Never a secret: provider keys appear by id, weight and models
 * only; `headers` and `options` (which may hold credentials) are left out, and a base URL loses any
 * user, password and query. Circuit and health state are at `GET /health/providers`.
 */
export function routingViewRoute(config: () => GatewayConfig): HttpRoute {
  return {
    method: 'GET',
    path: '/admin/routing',
    description: { tag: 'routing', summary: 'Providers (keys by id only), models, routes with weights and fallbacks, aliases and the routing settings' },
    handler: (exchange) => sendJson(exchange.response, 200, routingView(config())),
  };
}

export function routingView(config: GatewayConfig) {
  return {
    providers: Object.entries(config.providers).map(([name, provider]) => ({
      name,
      type: provider.type,
      base_url: provider.base_url === undefined ? null : publicUrl(provider.base_url),
      models: provider.models ?? null,
      keys: provider.keys.map((key, index) => ({ id: key.id ?? `${name}-${index}`, weight: key.weight, models: key.models ?? null })),
      timeout_ms: provider.timeout_ms,
      max_retries: provider.max_retries,
    })),
    routes: Object.entries(config.routes).map(([name, route]) => ({ name, strategy: route.strategy, targets: route.targets, fallbacks: route.fallbacks })),
    aliases: config.aliases,
    settings: {
      retry: config.routing.retry,
      circuit_breaker: config.routing.circuit_breaker,
      health_checks: { enabled: config.routing.health_checks.enabled },
    },
  };
}

function publicUrl(text: string): string {
  try {
    const url = new URL(text);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    return url.toString();
  } catch {
    return '(invalid URL)';
  }
}
