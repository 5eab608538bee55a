import { createHash, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../spec/index.js';
import type { IncomingHttpHeaders } from 'node:http';
import type { HttpHandler, HttpRoute, PathPrefix } from '../http/http-route.js';
import { sendError } from '../http/respond.js';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Checks `Authorization: Bearer <admin.token>` in constant time (both sides hashed to equal length first). */
export function createAdminGuard(token: string | undefined): (headers: IncomingHttpHeaders) => GatewayError | undefined {
  const expected = token === undefined ? undefined : digest(token);
  return (headers) => {
    if (expected === undefined) return new GatewayError('admin_disabled', 'The admin API is off: set admin.token in the config to enable it.');
    const header = headers.authorization;
    const presented = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
      return new GatewayError('admin_unauthorized', 'Send the admin token as `Authorization: Bearer <admin.token>`.');
    }
    return undefined;
  };
}

/** Wraps admin handlers with the token check; admin errors use the OpenAI envelope. */
export function adminRoutes(token: string | undefined, routes: readonly HttpRoute[]): HttpRoute[] {
  const guard = createAdminGuard(token);
  return routes.map((route) => {
    const handler: HttpHandler = (exchange) => {
      const refused = guard(exchange.request.headers);
      if (refused !== undefined) {
        exchange.request.resume();
        return sendError(exchange.response, refused, encodeOpenAIError);
      }
      return route.handler(exchange);
    };
    return { ...route, handler, renderError: route.renderError ?? encodeOpenAIError };
  });
}

/**
 * Every path under `/admin`, routed or not: the token is checked before the server answers 404 or
 * 405 or takes an upgrade, so that a caller without it learns nothing of which admin paths exist.
 */
export function adminPathPrefix(token: string | undefined): PathPrefix {
  return { prefix: '/admin', renderError: encodeOpenAIError, authorize: createAdminGuard(token) };
}
