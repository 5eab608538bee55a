import { ConfigError } from '../config/config-error.js';
import type { GatewayConfig } from '../config/schema.js';
import { GatewayError } from '../spec/index.js';
import type { HttpRoute } from '../http/http-route.js';
import { sendJson } from '../http/respond.js';

/** `POST /admin/reload`: reads the config file again and applies it (admin token required). */
export function reloadRoute(load: () => Promise<GatewayConfig>, reload: (config: GatewayConfig) => Promise<{ providers: string[]; routes: string[]; restartRequired: string[] }>): HttpRoute {
  return {
    method: 'POST',
    path: '/admin/reload',
    description: { tag: 'config', summary: 'Reads the config file again and applies it without a restart' },
    async handler(exchange) {
      exchange.request.resume();
      try {
        const report = await reload(await load());
        sendJson(exchange.response, 200, { reloaded: true, providers: report.providers, routes: report.routes, restart_required: report.restartRequired });
      } catch (error) {
        if (error instanceof ConfigError) throw new GatewayError('invalid_request', `The config was not reloaded; the running config stays in effect. ${error.message}`);
        throw error;
      }
    },
  };
}
