import type { GatewayConfig } from '../config/schema.js';
import { GATEWAY_REQUESTS, type GatewayRequests } from '../pipeline/capabilities.js';
import type { GatewayModule, ModuleContext } from '../pipeline/module.js';
import { agentSettingsOf } from './agent-settings.js';
import { agentToolRunner } from './agent-tool-runner.js';
import { createCodeMode } from './code-mode/code-mode.js';
import { mcpRoutes, TOOL_CALL_OPERATION } from './mcp-endpoint.js';
import { toolInjectionStage } from './tool-injection-stage.js';
import { ToolCatalog } from './tool-catalog.js';
import { toolExecuteRoute } from './tool-execute-endpoint.js';
import { ToolPermissions } from './tool-permissions.js';

function permissionsOf(config: GatewayConfig): ToolPermissions {
  return new ToolPermissions({ groups: config.mcp.groups, virtual_keys: config.virtual_keys, teams: config.teams, customers: config.customers });
}

/**
 * The MCP gateway (docs/mcp.md): connects to the upstream MCP servers of `mcp.servers`, serves
 * their tools as one MCP server at `/mcp` and `/mcp/{group}`, and runs OpenAI tool calls at
 * `POST /v1/mcp/tool/execute`, each key seeing and calling only the tools its `mcp` permissions allow;
 * adds a key's tools to its model requests and runs auto-executable tool calls (agent mode) in a `policy` stage.
 * Upstream servers are read at start-up; a reload applies new permissions and groups.
 */
export function mcpModule(context: ModuleContext): GatewayModule {
  let permissions = permissionsOf(context.config);
  const catalog = new ToolCatalog(context.config.mcp, context.logger, permissions);
  let requests: GatewayRequests | undefined;
  const pipeline = () => requests!;
  const enabled = Object.keys(context.config.mcp.servers).length > 0;
  if (enabled) catalog.start();
  const codeMode = createCodeMode(catalog, context.config, pipeline, TOOL_CALL_OPERATION, context.logger);
  let settings = agentSettingsOf(context.config);
  // Injected and run through code mode's source: a key in code mode gets the four meta-tools in its model requests too.
  const injection = toolInjectionStage({
    source: codeMode.tools,
    permissions: () => permissions,
    settings: () => settings,
    runTool: agentToolRunner(pipeline, codeMode.tools, () => settings.toolTimeoutMs),
  });
  return {
    name: 'mcp',
    ...(enabled ? { stages: [injection] } : {}),
    routes: [...mcpRoutes({ requests: pipeline, tools: codeMode.tools, permissions: () => permissions }), toolExecuteRoute(pipeline, codeMode.tools)],
    connect(capabilities) {
      requests = capabilities.require(GATEWAY_REQUESTS, 'mcp');
    },
    reconfigure(next) {
      permissions = permissionsOf(next.config);
      catalog.setPermissions(permissions);
      codeMode.reconfigure(next.config);
      settings = agentSettingsOf(next.config);
    },
    ...(enabled ? { ready: async () => catalog.health() } : {}),
    close: async () => {
      await Promise.all([catalog.close(), codeMode.close()]);
    },
  };
}
