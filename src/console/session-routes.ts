import type { HttpExchange, HttpRoute } from '../http/http-route.js';
import { sendJson } from '../http/respond.js';
import { GatewayError } from '../spec/index.js';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import { createAdminGuard } from '../admin/admin-auth.js';
import { digestOf, sameOrigin, sameSecret, SESSION_COOKIE, SESSION_TTL_MS, sessionIdFrom, type AdminSessions } from '../admin/admin-sessions.js';

/**
 * `POST /ui/api/session` {token} logs in: the admin token, compared in constant time, opens a
 * session whose id is set as an HTTP-only, SameSite=Strict cookie; the answer holds the CSRF token
 * that state-changing admin calls carry. `GET` tells the console whether its cookie still opens a
 * session (and gives the CSRF token again after a reload); `DELETE` logs out.
 */
export function sessionRoutes(token: string | undefined, sessions: AdminSessions): HttpRoute[] {
  const guard = createAdminGuard(token, sessions);
  const cookie = (exchange: HttpExchange, value: string, maxAgeSeconds: number) => {
    const secure = (exchange.request.socket as { encrypted?: boolean }).encrypted === true ? '; Secure' : '';
    return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
  };

  async function login(exchange: HttpExchange): Promise<void> {
    if (!sameOrigin(exchange.request.headers)) throw new GatewayError('admin_unauthorized', 'Log in from the console itself.');
    const body = await exchange.readJson();
    const presented = typeof body === 'object' && body !== null ? (body as { token?: unknown }).token : undefined;
    if (typeof presented !== 'string' || presented.length === 0 || presented.length > 4096) throw new GatewayError('invalid_request', 'Send {"token": "<admin.token>"}.', { param: 'token' });
    if (token === undefined) throw new GatewayError('admin_disabled', 'The admin API is off: set admin.token in the config to enable it.');
    if (!sameSecret(presented, token)) throw new GatewayError('admin_unauthorized', 'That is not the admin token.');
    const { id, session } = sessions.open(digestOf(token));
    sendJson(exchange.response, 200, { csrf_token: session.csrf, expires_at: new Date(session.expiresAt).toISOString() }, { 'set-cookie': cookie(exchange, id, SESSION_TTL_MS / 1000), 'cache-control': 'no-store' });
  }

  function status(exchange: HttpExchange): void {
    const session = guard(exchange.request.headers, 'GET') === undefined && exchange.request.headers.authorization === undefined ? sessions.find(sessionIdFrom(exchange.request.headers)) : undefined;
    sendJson(exchange.response, 200, session === undefined ? { authenticated: false } : { authenticated: true, csrf_token: session.csrf, expires_at: new Date(session.expiresAt).toISOString() }, { 'cache-control': 'no-store' });
  }

  function logout(exchange: HttpExchange): void {
    const refused = guard(exchange.request.headers, 'DELETE');
    if (refused !== undefined) throw refused;
    sessions.close(sessionIdFrom(exchange.request.headers));
    exchange.response.writeHead(204, { 'set-cookie': cookie(exchange, '', 0), 'cache-control': 'no-store' }).end();
  }

  return [
    { method: 'POST', path: '/ui/api/session', handler: login, renderError: encodeOpenAIError },
    { method: 'GET', path: '/ui/api/session', handler: status, renderError: encodeOpenAIError },
    { method: 'DELETE', path: '/ui/api/session', handler: logout, renderError: encodeOpenAIError },
  ];
}
