import { createHash, timingSafeEqual } from 'node:crypto';
import type { HttpRoute } from '../../server/http-route.js';
import { sendError } from '../../server/respond.js';
import { GatewayError } from '../../spec/index.js';
import type { GatewayMetrics } from './gateway-metrics.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * `GET /metrics`. Open on the listen address by default (scrapers rarely carry the admin token, and
 * the series hold ids, never secrets); with `metrics_token` set it needs that bearer token.
 */
export function metricsRoute(metrics: GatewayMetrics, token: string | undefined): HttpRoute {
  const expected = token === undefined ? undefined : digest(token);
  return {
    method: 'GET',
    path: '/metrics',
    async handler(exchange) {
      if (expected !== undefined) {
        const header = exchange.request.headers.authorization;
        const presented = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
        if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
          return sendError(exchange.response, new GatewayError('admin_unauthorized', 'Send the metrics token as `Authorization: Bearer <observability.metrics_token>`.'));
        }
      }
      const text = await metrics.render();
      exchange.response.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
      exchange.response.end(text);
    },
  };
}
