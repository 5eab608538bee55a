import type { RequestContext } from '../pipeline/context.js';
import type { RequestStage } from '../pipeline/stages.js';
import { GatewayError, type ChatRequest } from '../spec/index.js';
import { agentConductor } from './agent-loop.js';
import type { AgentSettings } from './agent-settings.js';
import type { ToolRunner } from './agent-tool-runner.js';
import { withInjectedTools } from './inject-tools.js';
import type { ToolPermissions } from './tool-permissions.js';
import type { ToolSource } from './tool-source.js';

/** `all` (the key's allowed tools), `none`, or a group's name (its tools within the key's set). */
export const TOOLS_HEADER = 'x-tollgate-mcp-tools';
/** `off` keeps the gateway from running tool calls on this request (the tools are still added). */
export const AGENT_HEADER = 'x-tollgate-mcp-agent';

const GROUP_NAME = /^[A-Za-z0-9_-]+$/;

function header(context: RequestContext, name: string): string | undefined {
  const value = context.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined ? undefined : text.trim();
}

/**
 * Which tools to add: undefined for none, else the group to list within (undefined group: all).
 * The header decides when present, unless the key's `mcp.inject` is false; else the key's setting,
 * else `mcp.inject.enabled`. Throws for a group the key may not use.
 */
function selection(context: RequestContext, settings: AgentSettings, permissions: ToolPermissions): { group: string | undefined } | undefined {
  const principal = context.principal;
  if (principal === undefined) return undefined;
  const keySetting = settings.keyInject.get(principal.keyId);
  const asked = header(context, TOOLS_HEADER);
  if (keySetting === false) {
    if (asked !== undefined && asked !== 'none') context.warnings.push(`${TOOLS_HEADER} ignored: MCP tool injection is off for this key (mcp.inject: false).`);
    return undefined;
  }
  const mode = asked === undefined || asked === '' ? ((keySetting ?? settings.injectByDefault) ? 'all' : 'none') : asked;
  if (mode === 'none') return undefined;
  if (mode === 'all') return { group: undefined };
  if (!GROUP_NAME.test(mode) || !permissions.hasGroup(mode)) throw new GatewayError('tool_not_found', `${TOOLS_HEADER}: no MCP tool group "${mode}" (use all, none or a group of mcp.groups).`);
  if (!permissions.keyHasGroup(principal, mode)) throw new GatewayError('tool_not_allowed', `${TOOLS_HEADER}: virtual key "${principal.keyId}" does not have the MCP tool group "${mode}".`);
  return { group: mode };
}

/** Whether `selection` would select tools or say anything (a warning, an error): false when it leaves the request alone. */
function selects(context: RequestContext, settings: AgentSettings): boolean {
  const principal = context.principal;
  if (principal === undefined) return false;
  const keySetting = settings.keyInject.get(principal.keyId);
  const asked = header(context, TOOLS_HEADER);
  if (keySetting === false) return asked !== undefined && asked !== 'none';
  const mode = asked === undefined || asked === '' ? ((keySetting ?? settings.injectByDefault) ? 'all' : 'none') : asked;
  return mode !== 'none';
}

/**
 * The `policy` stage of tool injection and agent mode: adds the caller's allowed MCP tools to its
 * chat, Messages and Responses requests (after its own tools; a name it already uses stays its
 * own), and when any added tool is auto-executable, conducts the request as an agent loop.
 */
export function toolInjectionStage(deps: {
  source: ToolSource;
  permissions: () => ToolPermissions;
  settings: () => AgentSettings;
  runTool: ToolRunner;
}): RequestStage {
  return {
    name: 'mcp-tools',
    phase: 'policy',
    passes: (context, call) => call.operation !== 'chat' || !selects(context, deps.settings()),
    beforeDispatch(context, call) {
      if (call.operation !== 'chat') return undefined;
      const settings = deps.settings();
      const selected = selection(context, settings, deps.permissions());
      if (selected === undefined) return undefined;
      const request = call.request as ChatRequest;
      if (request.textCompletion !== undefined) return undefined;
      const { request: injected, added } = withInjectedTools(request, deps.source.list(context.principal, selected.group));
      if (added.length === 0) return undefined;
      call.request = injected;
      const agent = settings.agentConfigured && header(context, AGENT_HEADER) !== 'off' && (request.n === undefined || request.n === 1) && added.some((tool) => settings.isAutoExecuted(tool.name));
      if (!agent) return undefined;
      // Only the tools added here: a caller's own tool of the same name is the caller's to run.
      const ours = new Set(added.map((tool) => tool.name));
      return { conduct: agentConductor(context, { isAutoExecuted: (tool) => ours.has(tool) && settings.isAutoExecuted(tool), maxDepth: settings.maxDepth, runTool: deps.runTool, group: selected.group }) };
    },
  };
}
