import { timingSafeEqual } from 'node:crypto';
import { adminSessions, CSRF_HEADER, digestOf, sameOrigin, sameSecret, sessionIdFrom, type AdminSessions } from './admin-sessions.js';
import { GatewayError } from '../spec/index.js';
import type { IncomingHttpHeaders } from 'node:http';
import type { HttpHandler, HttpRoute, PathPrefix } from '../http/http-route.js';
import { sendError } from '../http/respond.js';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Checks `Authorization: Bearer <admin.token>` in constant time (both sides hashed to equal length
 * first), or else the console's session cookie (src/admin/admin-sessions.ts): a live session opened
 * with this token, from the same origin, and for a state-changing method the session's CSRF token in
 * `x-tollgate-csrf`. `method` is GET when unknown (a WebSocket upgrade, or a path no route matches).
 */
export function createAdminGuard(token: string | undefined, sessions: AdminSessions = adminSessions): (headers: IncomingHttpHeaders, method?: string) => GatewayError | undefined {
  const expected = token === undefined ? undefined : digestOf(token);
  return (headers, method = 'GET') => {
    if (expected === undefined) return new GatewayError('admin_disabled', 'The admin API is off: set admin.token in the config to enable it.');
    const header = headers.authorization;
    if (header === undefined) {
      const session = sessions.find(sessionIdFrom(headers));
      if (session !== undefined && timingSafeEqual(session.tokenDigest, expected) && sameOrigin(headers)) {
        if (SAFE_METHODS.has(method)) return undefined;
        const csrf = headers[CSRF_HEADER];
        if (typeof csrf === 'string' && sameSecret(csrf, session.csrf)) return undefined;
        return new GatewayError('admin_unauthorized', `A console session changes nothing without its CSRF token in \`${CSRF_HEADER}\`.`);
      }
    }
    const presented = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (presented === undefined || !timingSafeEqual(digestOf(presented), expected)) {
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
      const refused = guard(exchange.request.headers, exchange.method);
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
