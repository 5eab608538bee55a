import { adminRoutes } from '../admin/admin-auth.js';
import type { GatewayConfig } from '../config/schema.js';
import { BUDGET_HOLDS, GATEWAY_REQUESTS, METRIC_COUNTERS, METRIC_HISTOGRAMS, type GatewayRequests } from '../pipeline/capabilities.js';
import { runToolCall, type ToolCallServices } from './tool-call.js';
import type { ToolCaller } from './tool-source.js';
import type { GatewayModule, ModuleContext } from '../pipeline/module.js';
import { mcpAdminRoutes, oauthCallbackRoute } from './admin-routes.js';
import { agentSettingsOf } from './agent-settings.js';
import { agentToolRunner } from './agent-tool-runner.js';
import { createCodeMode } from './code-mode/code-mode.js';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import { OAuthFlows } from './oauth/oauth-flows.js';
import { ManagedServers } from './managed-servers.js';
import { mcpRoutes, TOOL_CALL_OPERATION } from './mcp-endpoint.js';
import { PromptsAndResources } from './prompts-resources.js';
import { Sealer } from '../lib/sealer.js';
import { openMcpStore } from './server-store.js';
import { ToolCatalog } from './tool-catalog.js';
import { toolExecuteRoute } from './tool-execute-endpoint.js';
import { toolInjectionStage } from './tool-injection-stage.js';
import { ToolPermissions } from './tool-permissions.js';

function permissionsOf(config: GatewayConfig): ToolPermissions {
  return new ToolPermissions({ groups: config.mcp.groups, virtual_keys: config.virtual_keys, teams: config.teams, customers: config.customers });
}

/**
 * The MCP gateway (docs/mcp.md): connects to the upstream MCP servers of `mcp.servers` and those
 * added through `/admin/mcp/servers`, serves their tools, prompts and resources as one MCP server
 * at `/mcp` and `/mcp/{group}`, and runs OpenAI tool calls at `POST /v1/mcp/tool/execute`, each
 * key seeing and calling only the tools its `mcp` permissions allow (or code mode's four meta-tools,
 * for keys in code mode); adds a key's tools to its model requests and runs auto-executable tool
 * calls (agent mode) in a `policy` stage. A reload applies new
 * permissions, groups and servers (those changed are reconnected); `mcp.oauth` is read at start-up.
 */
export async function mcpModule(context: ModuleContext): Promise<GatewayModule> {
  const config = context.config;
  let permissions = permissionsOf(config);
  const store = openMcpStore(context.storage);
  const sealer = new Sealer(config.mcp.oauth.encryption_key);
  // Built before the catalog, which asks it for the OAuth provider of each server; it reaches the catalog only once a flow completes.
  let catalog: ToolCatalog | undefined;
  const oauth = new OAuthFlows({ redirectUrl: config.mcp.oauth.redirect_url, sealer, store, logger: context.logger, reconnect: (name) => catalog?.servers.get(name)?.reconnect(), audit: (action, server, actor) => {
      try {
        context.audit.append({ actor, action, target: server });
      } catch (error) {
        context.logger.error('audit append failed', { action, error: error instanceof Error ? error.message : String(error) });
      }
    },
  });
  const tools = new ToolCatalog(config.mcp, context.logger, permissions, (name, server) => oauth.optionsFor(name, server));
  catalog = tools;
  let configServers = config.mcp.servers;
  const managed = new ManagedServers(tools, store, sealer, () => configServers, (name, server) => oauth.optionsFor(name, server), context.logger, config.mcp.allow_api_stdio, context.audit);
  let requests: GatewayRequests | undefined;
  const pipeline = () => requests!;
  let services: ToolCallServices = { holds: undefined, calls: undefined, latency: undefined };
  tools.start();
  try {
    await managed.start(config.mcp.sync_interval_ms);
  } catch (error) {
    // The servers of the config file still serve; the poll tries the store again.
    context.logger.warn('mcp servers in storage not loaded', { error: error instanceof Error ? error.message : String(error) });
  }
  // Every call of a catalog tool (from /mcp, the execute endpoint, agent mode and code mode's sandbox) goes through runToolCall.
  const classicCall: ToolCaller = (callContext, name, args, group) => runToolCall(tools, services, callContext, name, args, group);
  const codeMode = createCodeMode(tools, classicCall, config, pipeline, TOOL_CALL_OPERATION, context.logger);
  let settings = agentSettingsOf(config);
  // Injected and run through code mode's source: a key in code mode gets the four meta-tools in its model requests too.
  const injection = toolInjectionStage({
    source: codeMode.tools,
    permissions: () => permissions,
    settings: () => settings,
    runTool: agentToolRunner(pipeline, codeMode.call, () => settings.toolTimeoutMs),
  });
  return {
    name: 'mcp',
    stages: [injection],
    routes: [
      ...mcpRoutes({ requests: pipeline, tools: codeMode.tools, callTool: codeMode.call, content: new PromptsAndResources(tools.servers, () => permissions), permissions: () => permissions }),
      toolExecuteRoute(pipeline, codeMode.call),
      ...adminRoutes(config.admin, mcpAdminRoutes(managed, oauth)),
      { ...oauthCallbackRoute(oauth), renderError: encodeOpenAIError },
    ],
    connect(capabilities) {
      requests = capabilities.require(GATEWAY_REQUESTS, 'mcp');
      // Budgets and metrics when governance and observability are loaded; tool calls work without them.
      const counters = capabilities.optional(METRIC_COUNTERS);
      const histograms = capabilities.optional(METRIC_HISTOGRAMS);
      services = {
        holds: capabilities.optional(BUDGET_HOLDS),
        calls: counters?.('tollgate_mcp_tool_calls_total', 'MCP tool calls by server, tool and outcome (ok, tool_error, refused, error).', ['server', 'tool', 'status']),
        latency: histograms?.('tollgate_mcp_tool_call_duration_seconds', 'MCP tool call latency in seconds, by server and tool.', ['server', 'tool']),
      };
    },
    async reconfigure(next) {
      permissions = permissionsOf(next.config);
      tools.setPermissions(permissions);
      codeMode.reconfigure(next.config);
      settings = agentSettingsOf(next.config);
      const previous = configServers;
      configServers = next.config.mcp.servers;
      await managed.applyConfig(previous);
    },
    ready: async () => tools.health(),
    close: async () => {
      managed.stop();
      await Promise.all([tools.close(), codeMode.close()]);
    },
  };
}
