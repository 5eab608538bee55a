import type { Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import type { ChatRequest, Tool } from '../spec/index.js';

/** An MCP tool as a function tool of the canonical request (every codec renders it in its dialect). */
export function functionTool(tool: McpTool): Tool {
  return { name: tool.name, ...(tool.description === undefined ? {} : { description: tool.description }), parameters: tool.inputSchema as Record<string, unknown> };
}

/**
 * The request with `tools` added after the caller's own. A tool whose name the caller already
 * uses is left out: the caller's definition wins. Returns the tools actually added.
 */
export function withInjectedTools(request: ChatRequest, tools: readonly McpTool[]): { request: ChatRequest; added: Tool[] } {
  const taken = new Set((request.tools ?? []).map((tool) => tool.name));
  const added: Tool[] = [];
  for (const tool of tools) if (!taken.has(tool.name)) added.push(functionTool(tool));
  if (added.length === 0) return { request, added };
  return { request: { ...request, tools: [...(request.tools ?? []), ...added] }, added };
}
