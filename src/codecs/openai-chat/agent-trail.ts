import type { AgentStep, AgentTrail, StreamPart } from '../../spec/index.js';

/**
 * The extension field that carries agent mode's trail (docs/mcp.md, "Agent mode"): on a whole
 * `chat.completion` the trail, on a stream one step per chunk (a chunk with empty `choices`).
 */
export const AGENT_FIELD = 'tollgate_agent';

/** One step in snake_case, as the caller reads it. */
export function encodeStep(step: AgentStep): Record<string, unknown> {
  switch (step.type) {
    case 'text':
      return { type: 'text', text: step.text };
    case 'tool-call':
      return { type: 'tool_call', id: step.id, name: step.name, arguments: step.arguments };
    case 'tool-result':
      return { type: 'tool_result', tool_call_id: step.toolCallId, name: step.name, content: step.content, is_error: step.isError };
  }
}

/** `{ turns, stopped, steps }`. */
export function encodeAgentTrail(trail: AgentTrail): Record<string, unknown> {
  return { turns: trail.turns, stopped: trail.stopped, steps: trail.steps.map(encodeStep) };
}

/** A streamed step (a `gateway-tool-call` or `gateway-tool-result` part). */
export function encodeAgentStep(part: Extract<StreamPart, { type: 'gateway-tool-call' | 'gateway-tool-result' }>): Record<string, unknown> {
  if (part.type === 'gateway-tool-call') return encodeStep({ type: 'tool-call', id: part.id, name: part.name, arguments: part.arguments });
  return encodeStep({ type: 'tool-result', toolCallId: part.toolCallId, name: part.name, content: part.content, isError: part.isError });
}
