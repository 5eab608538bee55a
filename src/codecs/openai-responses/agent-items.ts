import type { AgentTrail } from '../../spec/index.js';
import { messageItem } from './response-object.js';
import { outputItemId } from './wire.js';

/**
 * Agent mode's tool calls in the Responses dialect: `mcp_call` output items, as OpenAI's own remote
 * MCP tool answers with (`server_label` is `tollgate`, `name` the tool's full `<server>__<tool>`),
 * with the tool's text as `output`, or as `error` when it failed. The call's own id (the model's
 * tool call id) is kept as `call_id`, which OpenAI's item does not have.
 */
export const AGENT_SERVER_LABEL = 'tollgate';

export function mcpCallItem(id: string, callId: string, name: string, args: string, result: { content: string; isError: boolean } | undefined): Record<string, unknown> {
  return {
    id,
    type: 'mcp_call',
    status: result === undefined ? 'in_progress' : result.isError ? 'failed' : 'completed',
    server_label: AGENT_SERVER_LABEL,
    name,
    arguments: args,
    call_id: callId,
    output: result === undefined || result.isError ? null : result.content,
    error: result?.isError === true ? result.content : null,
  };
}

/** The trail as output items, before the final answer's own: earlier turns' text as messages, each call with its result. */
export function agentItems(trail: AgentTrail, responseId: string, firstIndex: number): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = [];
  const results = new Map<string, { content: string; isError: boolean }>();
  for (const step of trail.steps) if (step.type === 'tool-result') results.set(step.toolCallId, step);
  for (const step of trail.steps) {
    const index = firstIndex + items.length;
    if (step.type === 'text') items.push(messageItem(outputItemId('msg', responseId, index), step.text, 'completed'));
    else if (step.type === 'tool-call') items.push(mcpCallItem(outputItemId('mcp', responseId, index), step.id, step.name, step.arguments, results.get(step.id)));
  }
  return items;
}
