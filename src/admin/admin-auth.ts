import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { accountBinding, adminSessions, CSRF_HEADER, digestOf, sameOrigin, sameSecret, sessionIdFrom, type AdminSession, type AdminSessions } from './admin-sessions.js';
import { GatewayError } from '../spec/index.js';
import type { HttpHandler, HttpRoute, PathPrefix } from '../http/http-route.js';
import { sendError } from '../http/respond.js';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import type { ADMIN_ROLES } from '../config/schema.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `admin` may do everything; `viewer` reads; `finance` reads costs and usage but no logged content. */
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** Who an admin request acts as: the admin token (role `admin`, no user) or a console account. */
export interface AdminPrincipal {
  readonly role: AdminRole;
  readonly user?: string;
}

/** The config's `admin` section: the token, and the console's accounts. */
export interface AdminAccess {
  readonly token?: string | undefined;
  readonly users?: readonly { readonly name: string; readonly password_hash: string; readonly role: AdminRole }[];
}

/** A bare string is the admin token alone (no accounts). */
export type AdminAccessInput = AdminAccess | string | undefined;

export type AdminAuthentication = { principal: AdminPrincipal; error?: undefined } | { principal?: undefined; error: GatewayError };

const TOKEN_PRINCIPAL: AdminPrincipal = Object.freeze({ role: 'admin' });

function accessOf(input: AdminAccessInput): AdminAccess {
  return typeof input === 'object' ? input : { token: input };
}

/** Whether the admin API is on: an admin token or at least one console account. */
export function adminEnabled(input: AdminAccessInput): boolean {
  const access = accessOf(input);
  return access.token !== undefined || (access.users?.length ?? 0) > 0;
}

/**
 * Checks `Authorization: Bearer <admin.token>` in constant time (both sides hashed to equal length
 * first), or else the console's session cookie (src/admin/admin-sessions.ts): a live session opened
 * with this token or by a configured account whose password has not changed since, from the same
 * origin, and for a state-changing method the session's CSRF token in `x-tollgate-csrf` and the
 * `admin` role. `method` is GET when unknown (a WebSocket upgrade, or a path no route matches).
 */
export function createAdminAuthenticator(input: AdminAccessInput, sessions: AdminSessions = adminSessions): (headers: IncomingHttpHeaders, method?: string) => AdminAuthentication {
  const access = accessOf(input);
  const expected = access.token === undefined ? undefined : digestOf(access.token);
  const accounts = new Map((access.users ?? []).map((user) => [user.name, { binding: accountBinding(user.name, user.password_hash), principal: Object.freeze({ role: user.role, user: user.name }) }]));
  const enabled = adminEnabled(access);

  const principalOf = (session: AdminSession): AdminPrincipal | undefined => {
    if (session.user === undefined) return expected !== undefined && timingSafeEqual(session.tokenDigest, expected) ? TOKEN_PRINCIPAL : undefined;
    const account = accounts.get(session.user);
    return account !== undefined && timingSafeEqual(session.tokenDigest, account.binding) ? account.principal : undefined;
  };

  return (headers, method = 'GET') => {
    if (!enabled) return { error: new GatewayError('admin_disabled', 'The admin API is off: set admin.token (or admin.users) in the config to enable it.') };
    const header = headers.authorization;
    if (header === undefined) {
      const session = sessions.find(sessionIdFrom(headers));
      const principal = session === undefined ? undefined : principalOf(session);
      if (session !== undefined && principal !== undefined && sameOrigin(headers)) {
        if (SAFE_METHODS.has(method)) return { principal };
        const csrf = headers[CSRF_HEADER];
        if (typeof csrf !== 'string' || !sameSecret(csrf, session.csrf)) return { error: new GatewayError('admin_unauthorized', `A console session changes nothing without its CSRF token in \`${CSRF_HEADER}\`.`) };
        if (principal.role !== 'admin') return { error: new GatewayError('admin_forbidden', `The \`${principal.role}\` role reads; it changes nothing.`) };
        return { principal };
      }
    }
    const presented = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (presented === undefined || expected === undefined || !timingSafeEqual(digestOf(presented), expected)) {
      return { error: new GatewayError('admin_unauthorized', 'Send the admin token as `Authorization: Bearer <admin.token>`.') };
    }
    return { principal: TOKEN_PRINCIPAL };
  };
}

/** The same check, answering only the refusal (for path prefixes and upgrades). */
export function createAdminGuard(input: AdminAccessInput, sessions: AdminSessions = adminSessions): (headers: IncomingHttpHeaders, method?: string) => GatewayError | undefined {
  const authenticate = createAdminAuthenticator(input, sessions);
  return (headers, method) => authenticate(headers, method).error;
}

/** Who each admin request in flight acts as (set by `adminRoutes` before the handler runs). */
const principals = new WeakMap<IncomingMessage, AdminPrincipal>();

/**
 * The audit log's actor for an admin request: `user:<name>` for a console account, `admin` for the
 * admin token (and outside admin routes). Passed down explicitly: an AsyncLocalStorage would turn on
 * Node 20's promise hooks for every request the gateway serves.
 */
export function adminActorOf(request: IncomingMessage): string {
  const principal = principals.get(request);
  return principal?.user === undefined ? 'admin' : `user:${principal.user}`;
}

/** The principal `adminRoutes` found for this request; undefined outside admin routes. */
export function adminPrincipalOf(request: IncomingMessage): AdminPrincipal | undefined {
  return principals.get(request);
}

/**
 * Whether the principal may read logged content (request and response bodies, prompts, tool
 * arguments, error messages quoting them): everyone but `finance`. Unknown callers may not.
 */
export function mayReadContent(principal: AdminPrincipal | undefined): boolean {
  return principal !== undefined && principal.role !== 'finance';
}

/** Wraps admin handlers with the token or session check; admin errors use the OpenAI envelope. */
export function adminRoutes(input: AdminAccessInput, routes: readonly HttpRoute[]): HttpRoute[] {
  const authenticate = createAdminAuthenticator(input);
  return routes.map((route) => {
    const handler: HttpHandler = (exchange) => {
      const { principal, error } = authenticate(exchange.request.headers, exchange.method);
      if (error !== undefined) {
        exchange.request.resume();
        return sendError(exchange.response, error, encodeOpenAIError);
      }
      principals.set(exchange.request, principal);
      return route.handler(exchange);
    };
    return { ...route, handler, renderError: route.renderError ?? encodeOpenAIError };
  });
}

/**
 * Every path under `/admin`, routed or not: the token is checked before the server answers 404 or
 * 405 or takes an upgrade, so that a caller without it learns nothing of which admin paths exist.
 */
export function adminPathPrefix(input: AdminAccessInput): PathPrefix {
  return { prefix: '/admin', renderError: encodeOpenAIError, authorize: createAdminGuard(input) };
}
