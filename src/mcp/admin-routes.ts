import type { HttpRoute } from '../http/http-route.js';
import type { RouteDescription } from '../http/route-description.js';
import { sendJson } from '../http/respond.js';
import { GatewayError } from '../spec/index.js';
import type { ManagedServers } from './managed-servers.js';
import type { OAuthFlows } from './oauth/oauth-flows.js';

interface DescribedRoute extends HttpRoute {
  readonly description: RouteDescription;
}

const NAME = /^[A-Za-z0-9_-]+$/;

function nameOf(raw: string | undefined): string {
  const name = raw ?? '';
  if (!NAME.test(name) || name.includes('__')) throw new GatewayError('invalid_request', 'MCP server names use letters, digits, `_` and `-`, and no `__`.', { param: 'name' });
  return name;
}

/**
 * `GET/POST/PATCH/DELETE /admin/mcp/servers[/{name}]`: the upstream MCP servers, their connection
 * state and last error; servers added here connect at once, without a restart (to be wrapped with
 * `adminRoutes`). Header and environment values are masked in every answer.
 */
export function mcpAdminRoutes(servers: ManagedServers, oauth: OAuthFlows): DescribedRoute[] {
  return [
    {
      method: 'GET',
      path: '/admin/mcp/servers',
      description: { tag: 'mcp', summary: 'Every upstream MCP server (config file and admin API), its connection state, last error and tool count; secrets masked' },
      handler: (exchange) => sendJson(exchange.response, 200, { servers: servers.list() }),
    },
    {
      method: 'GET',
      path: '/admin/mcp/servers/:name',
      description: { tag: 'mcp', summary: 'One upstream MCP server' },
      handler: (exchange) => {
        const view = servers.view(exchange.params.name ?? '');
        if (view === undefined) throw new GatewayError('not_found', `No MCP server \`${exchange.params.name}\`.`);
        sendJson(exchange.response, 200, view);
      },
    },
    {
      method: 'POST',
      path: '/admin/mcp/servers',
      description: { tag: 'mcp', summary: 'Add an upstream MCP server (`name` and the fields of `mcp.servers.<name>`); it connects at once', status: 201 },
      handler: async (exchange) => {
        const body = await exchange.readJson();
        if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new GatewayError('invalid_request', 'The body must be a JSON object: `name` and the fields of `mcp.servers.<name>`.');
        const { name, ...config } = body as Record<string, unknown>;
        if (typeof name !== 'string') throw new GatewayError('invalid_request', '`name` is required: the server name its tools are prefixed with.', { param: 'name' });
        sendJson(exchange.response, 201, await servers.create(nameOf(name), config));
      },
    },
    {
      method: 'PATCH',
      path: '/admin/mcp/servers/:name',
      description: { tag: 'mcp', summary: 'Change an upstream MCP server added through the API (the fields given replace the stored ones); it reconnects' },
      handler: async (exchange) => {
        const body = await exchange.readJson();
        sendJson(exchange.response, 200, await servers.update(nameOf(exchange.params.name), body));
      },
    },
    {
      method: 'DELETE',
      path: '/admin/mcp/servers/:name',
      description: { tag: 'mcp', summary: 'Remove an upstream MCP server added through the API; its connection is closed', status: 204 },
      handler: async (exchange) => {
        await servers.delete(nameOf(exchange.params.name));
        exchange.response.writeHead(204).end();
      },
    },
    {
      method: 'POST',
      path: '/admin/mcp/servers/:name/oauth/start',
      description: { tag: 'mcp', summary: "Start OAuth with a server's authorization server (discovery, dynamic client registration, PKCE): `authorization_url` is the page to open; it comes back to `GET /mcp/oauth/callback`" },
      handler: async (exchange) => sendJson(exchange.response, 200, await oauth.start(nameOf(exchange.params.name))),
    },
    {
      method: 'GET',
      path: '/admin/mcp/servers/:name/oauth',
      description: { tag: 'mcp', summary: "A server's OAuth state: whether it holds a token, when it expires, whether it can refresh; never a token" },
      handler: async (exchange) => sendJson(exchange.response, 200, await oauth.status(nameOf(exchange.params.name))),
    },
    {
      method: 'DELETE',
      path: '/admin/mcp/servers/:name/oauth',
      description: { tag: 'mcp', summary: "Forget a server's OAuth tokens (the next connection needs a new authorization)", status: 204 },
      handler: async (exchange) => {
        await oauth.forget(nameOf(exchange.params.name));
        exchange.response.writeHead(204).end();
      },
    },
  ];
}

/**
 * `GET /mcp/oauth/callback`: where authorization servers send the user back (`mcp.oauth.redirect_url`).
 * No admin token (it is a browser redirect): the one-time `state` an admin's start made is the check.
 */
export function oauthCallbackRoute(oauth: OAuthFlows): HttpRoute {
  return {
    method: 'GET',
    path: '/mcp/oauth/callback',
    handler: async (exchange) => {
      const server = await oauth.callback(exchange.query);
      exchange.response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(`Tollgate is authorized for the MCP server "${server}". You can close this window.\n`);
    },
  };
}
