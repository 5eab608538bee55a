import type { HttpRoute } from '../../http/http-route.js';
import { sendError } from '../../http/respond.js';
import { encodeOpenAIError } from '../../codecs/openai-chat/error.js';
import { GatewayError } from '../../spec/index.js';
import { bearerChecker } from '../bearer-token.js';
import type { GatewayMetrics } from './gateway-metrics.js';

/**
 * `GET /metrics`. Open on the listen address by default (scrapers rarely carry the admin token, and
 * the series hold ids, never secrets); with `metrics_token` set it needs that bearer token.
 */
export function metricsRoute(metrics: GatewayMetrics, token: string | undefined): HttpRoute {
  const authorized = token === undefined ? undefined : bearerChecker(token);
  return {
    method: 'GET',
    path: '/metrics',
    async handler(exchange) {
      if (authorized !== undefined && !authorized(exchange.request.headers)) {
        return sendError(exchange.response, new GatewayError('admin_unauthorized', 'Send the metrics token as `Authorization: Bearer <observability.metrics_token>`.'), encodeOpenAIError);
      }
      const text = await metrics.render();
      exchange.response.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
      exchange.response.end(text);
    },
  };
}
