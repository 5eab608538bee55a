import type { HttpExchange, HttpRoute } from '../http/http-route.js';
import { sendJson } from '../http/respond.js';
import { GatewayError } from '../spec/index.js';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import { adminEnabled, createAdminAuthenticator, type AdminAccess, type AdminAccessInput } from '../admin/admin-auth.js';
import { accountBinding, digestOf, sameOrigin, sameSecret, SESSION_COOKIE, SESSION_TTL_MS, sessionIdFrom, type AdminSessions } from '../admin/admin-sessions.js';
import { DECOY_PASSWORD_HASH, verifyPassword } from '../admin/password-hash.js';
import { LoginRateLimit } from './login-rate-limit.js';

const MAX_SECRET = 4096;

/**
 * `POST /ui/api/session` logs in, with `{token}` (the admin token, compared in constant time) or
 * `{user, password}` (a configured account, its scrypt hash checked): it opens a session whose id is
 * set as an HTTP-only, SameSite=Strict cookie; the answer holds the CSRF token that state-changing
 * admin calls carry, and the session's role. Failed logins are limited per address and per user.
 * `GET` tells the console whether its cookie still opens a session (and gives the CSRF token and
 * role again after a reload); `DELETE` logs out.
 */
export function sessionRoutes(input: AdminAccessInput, sessions: AdminSessions, limit: LoginRateLimit = new LoginRateLimit()): HttpRoute[] {
  const access: AdminAccess = typeof input === 'object' ? input : { token: input };
  const authenticate = createAdminAuthenticator(access, sessions);
  const users = new Map((access.users ?? []).map((user) => [user.name, user]));
  const cookie = (exchange: HttpExchange, value: string, maxAgeSeconds: number) => {
    const secure = (exchange.request.socket as { encrypted?: boolean }).encrypted === true ? '; Secure' : '';
    return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`;
  };

  async function login(exchange: HttpExchange): Promise<void> {
    if (!sameOrigin(exchange.request.headers)) throw new GatewayError('admin_unauthorized', 'Log in from the console itself.');
    const body = await exchange.readJson();
    const fields = typeof body === 'object' && body !== null ? (body as { token?: unknown; user?: unknown; password?: unknown }) : {};
    const text = (value: unknown) => (typeof value === 'string' && value.length > 0 && value.length <= MAX_SECRET ? value : undefined);
    const token = text(fields.token);
    const user = text(fields.user)?.slice(0, 64);
    const password = text(fields.password);
    if (token === undefined && (user === undefined || password === undefined)) {
      throw new GatewayError('invalid_request', 'Send {"token": "<admin.token>"} or {"user": "<name>", "password": "<password>"}.', { param: token === undefined && fields.user !== undefined ? 'password' : 'token' });
    }
    if (!adminEnabled(access)) throw new GatewayError('admin_disabled', 'The admin API is off: set admin.token (or admin.users) in the config to enable it.');
    const address = exchange.request.socket.remoteAddress ?? 'unknown';
    const named = token === undefined ? user : undefined;
    const wait = limit.retryAfterMs(address, named);
    if (wait > 0) throw new GatewayError('admin_login_rate_limited', `Too many failed logins: try again in ${Math.ceil(wait / 1000)} s.`, { retryAfterMs: wait });

    let opened;
    if (token !== undefined) {
      if (access.token === undefined || !sameSecret(token, access.token)) {
        limit.fail(address, undefined);
        throw new GatewayError('admin_unauthorized', 'That is not the admin token.');
      }
      opened = { ...sessions.open(digestOf(access.token)), role: 'admin', user: null };
    } else {
      const account = users.get(user!);
      // An unknown name costs the same scrypt work as a known one: the answer's timing tells nothing.
      const good = await verifyPassword(password!, account?.password_hash ?? DECOY_PASSWORD_HASH);
      if (account === undefined || !good) {
        limit.fail(address, user);
        throw new GatewayError('admin_unauthorized', 'Unknown user or wrong password.');
      }
      opened = { ...sessions.open(accountBinding(account.name, account.password_hash), account.name), role: account.role, user: account.name };
    }
    const { id, session, role } = opened;
    sendJson(exchange.response, 200, { csrf_token: session.csrf, expires_at: new Date(session.expiresAt).toISOString(), role, user: opened.user }, { 'set-cookie': cookie(exchange, id, SESSION_TTL_MS / 1000), 'cache-control': 'no-store' });
  }

  function status(exchange: HttpExchange): void {
    const headers = exchange.request.headers;
    const principal = headers.authorization === undefined ? authenticate(headers, 'GET').principal : undefined;
    const session = principal === undefined ? undefined : sessions.find(sessionIdFrom(headers));
    sendJson(
      exchange.response,
      200,
      session === undefined ? { authenticated: false } : { authenticated: true, csrf_token: session.csrf, expires_at: new Date(session.expiresAt).toISOString(), role: principal!.role, user: principal!.user ?? null },
      { 'cache-control': 'no-store' },
    );
  }

  function logout(exchange: HttpExchange): void {
    const headers = exchange.request.headers;
    // Any role may log itself out: the session's CSRF token is what is checked, not its rights.
    const id = sessionIdFrom(headers);
    const session = headers.authorization === undefined && authenticate(headers, 'GET').principal !== undefined ? sessions.find(id) : undefined;
    const csrf = headers['x-tollgate-csrf'];
    if (session === undefined || typeof csrf !== 'string' || !sameSecret(csrf, session.csrf)) throw new GatewayError('admin_unauthorized', 'Log out with the session cookie and its CSRF token in `x-tollgate-csrf`.');
    sessions.close(id);
    exchange.response.writeHead(204, { 'set-cookie': cookie(exchange, '', 0), 'cache-control': 'no-store' }).end();
  }

  return [
    { method: 'POST', path: '/ui/api/session', handler: login, renderError: encodeOpenAIError },
    { method: 'GET', path: '/ui/api/session', handler: status, renderError: encodeOpenAIError },
    { method: 'DELETE', path: '/ui/api/session', handler: logout, renderError: encodeOpenAIError },
  ];
}
