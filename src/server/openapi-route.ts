import type { HttpRoute } from '../http/http-route.js';
import { openApiDocument } from '../http/openapi.js';
import { sendJson } from '../http/respond.js';

/**
 * `GET /admin/openapi.json`: the admin API's OpenAPI document, made from every module's described
 * routes and their answer schemas (to be wrapped with adminRoutes). Built on first request, once.
 */
export function openApiRoute(routes: () => readonly HttpRoute[], schemas: () => Readonly<Record<string, unknown>>): HttpRoute {
  let document: Record<string, unknown> | undefined;
  const route: HttpRoute = {
    method: 'GET',
    path: '/admin/openapi.json',
    description: { tag: 'meta', summary: 'This document' },
    handler(exchange) {
      document ??= openApiDocument([...routes(), route], schemas());
      sendJson(exchange.response, 200, document);
    },
  };
  return route;
}
