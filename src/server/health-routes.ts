import type { HttpRoute } from '../http/http-route.js';
import { sendJson } from '../http/respond.js';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/** `GET /health` (the process is up) and `GET /ready` (config loaded, storage and modules reachable, not draining). */
export function healthRoutes(checks: readonly ReadinessCheck[], isDraining: () => boolean, details: () => Record<string, unknown> = () => ({})): HttpRoute[] {
  return [
    { method: 'GET', path: '/health', handler: (exchange) => sendJson(exchange.response, 200, { status: 'ok', ...details() }) },
    {
      method: 'GET',
      path: '/ready',
      async handler(exchange) {
        if (isDraining()) return sendJson(exchange.response, 503, { status: 'draining' });
        const results: Record<string, string> = {};
        let ready = true;
        await Promise.all(
          checks.map(async ({ name, check }) => {
            try {
              await check();
              results[name] = 'ok';
            } catch (error) {
              ready = false;
              results[name] = (error as Error).message ?? 'failed';
            }
          }),
        );
        sendJson(exchange.response, ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks: results });
      },
    },
  ];
}
