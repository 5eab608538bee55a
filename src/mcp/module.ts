import type { GatewayConfig } from '../config/schema.js';
import { GATEWAY_REQUESTS, type GatewayRequests } from '../pipeline/capabilities.js';
import type { GatewayModule, ModuleContext } from '../pipeline/module.js';
import { mcpRoutes } from './mcp-endpoint.js';
import { PromptsAndResources } from './prompts-resources.js';
import { ToolCatalog } from './tool-catalog.js';
import { toolExecuteRoute } from './tool-execute-endpoint.js';
import { ToolPermissions } from './tool-permissions.js';

function permissionsOf(config: GatewayConfig): ToolPermissions {
  return new ToolPermissions({ groups: config.mcp.groups, virtual_keys: config.virtual_keys, teams: config.teams, customers: config.customers });
}

/**
 * The MCP gateway (docs/mcp.md): connects to the upstream MCP servers of `mcp.servers`, serves
 * their tools as one MCP server at `/mcp` and `/mcp/{group}`, and runs OpenAI tool calls at
 * `POST /v1/mcp/tool/execute`, each key seeing and calling only the tools its `mcp` permissions allow.
 * Upstream servers are read at start-up; a reload applies new permissions and groups.
 */
export function mcpModule(context: ModuleContext): GatewayModule {
  let permissions = permissionsOf(context.config);
  const catalog = new ToolCatalog(context.config.mcp, context.logger, permissions);
  let requests: GatewayRequests | undefined;
  const pipeline = () => requests!;
  const enabled = Object.keys(context.config.mcp.servers).length > 0;
  if (enabled) catalog.start();
  return {
    name: 'mcp',
    routes: [...mcpRoutes({ requests: pipeline, catalog, content: new PromptsAndResources(catalog.servers, () => permissions), permissions: () => permissions }), toolExecuteRoute(pipeline, catalog)],
    connect(capabilities) {
      requests = capabilities.require(GATEWAY_REQUESTS, 'mcp');
    },
    reconfigure(next) {
      permissions = permissionsOf(next.config);
      catalog.setPermissions(permissions);
    },
    ...(enabled ? { ready: async () => catalog.health() } : {}),
    close: () => catalog.close(),
  };
}
