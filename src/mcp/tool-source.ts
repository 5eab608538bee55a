import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Principal, RequestContext } from '../pipeline/context.js';

/**
 * A set of tools a caller may list and call: the upstream servers' tools under namespaced names
 * (ToolCatalog), or code mode's meta-tools over them. The MCP server at `/mcp`, the tool-execute
 * endpoint and tool injection into model requests all serve a ToolSource, so they do not care which.
 */
export interface ToolSource {
  /** The tools the caller may use; within `group` only when given. */
  list(principal: Principal | undefined, group?: string): Tool[];
  /** Calls one tool for the caller. Throws GatewayError (tool_not_allowed, tool_not_found, …). */
  call(principal: Principal | undefined, name: string, args: Record<string, unknown> | undefined, signal: AbortSignal, group?: string): Promise<CallToolResult>;
}

/**
 * Calls one tool inside the request context of the call (its `mcp_tool_call` record): the catalog's
 * through runToolCall (permissions, price on the caller's budgets, metrics, arguments and result for
 * the log), or, for a key in code mode, code mode's meta-tools.
 */
export type ToolCaller = (context: RequestContext, name: string, args: Record<string, unknown> | undefined, group?: string) => Promise<CallToolResult>;
