import type { AgentTrail } from '../../spec/index.js';
import { toolInputOf } from './encode-response.js';
import type { AnthropicContentBlock } from './wire-types.js';

/**
 * Agent mode's tool calls and results in the Anthropic dialect: the `mcp_tool_use` and
 * `mcp_tool_result` blocks Anthropic's own MCP connector answers with, so a client tells a call the
 * gateway ran from a `tool_use` it must run itself. `server_name` is `tollgate`; `name` is the tool's
 * full name (`<server>__<tool>`).
 */
export const AGENT_SERVER_NAME = 'tollgate';

export interface McpToolUseBlock {
  [field: string]: unknown;
  type: 'mcp_tool_use';
  id: string;
  name: string;
  server_name: string;
  input: Record<string, unknown>;
}

export interface McpToolResultBlock {
  [field: string]: unknown;
  type: 'mcp_tool_result';
  tool_use_id: string;
  is_error: boolean;
  content: { type: 'text'; text: string }[];
}

export function mcpToolUseBlock(id: string, name: string, argumentsText: string): McpToolUseBlock {
  return { type: 'mcp_tool_use', id, name, server_name: AGENT_SERVER_NAME, input: toolInputOf(argumentsText) };
}

export function mcpToolResultBlock(toolUseId: string, content: string, isError: boolean): McpToolResultBlock {
  return { type: 'mcp_tool_result', tool_use_id: toolUseId, is_error: isError, content: [{ type: 'text', text: content }] };
}

/** The trail as content blocks, before the final answer's own: earlier turns' text, then calls and results. */
export function agentBlocks(trail: AgentTrail): (AnthropicContentBlock | McpToolUseBlock | McpToolResultBlock)[] {
  return trail.steps.map((step) => {
    if (step.type === 'text') return { type: 'text', text: step.text };
    if (step.type === 'tool-call') return mcpToolUseBlock(step.id, step.name, step.arguments);
    return mcpToolResultBlock(step.toolCallId, step.content, step.isError);
  });
}
