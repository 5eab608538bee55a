import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Principal } from '../pipeline/context.js';

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
