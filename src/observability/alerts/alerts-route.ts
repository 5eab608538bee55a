import type { HttpRoute } from '../../http/http-route.js';
import { sendJson } from '../../http/respond.js';
import { RECENT_ALERTS, type AlertChannel } from './alert-channel.js';

/**
 * `GET /admin/alerts`: the anomaly and budget alerts this process raised since it started, newest
 * first (at most RECENT_ALERTS), for the console's overview; `enabled` is false when alerts are off.
 * The webhook remains the durable record (to be wrapped with adminRoutes).
 */
export function alertsRoute(channel: AlertChannel | undefined): HttpRoute {
  return {
    method: 'GET',
    path: '/admin/alerts',
    description: { tag: 'alerts', summary: `The latest anomaly and budget alerts raised by this process (up to ${RECENT_ALERTS}), newest first` },
    handler: (exchange) => sendJson(exchange.response, 200, { enabled: channel !== undefined, data: channel?.recent() ?? [] }),
  };
}
