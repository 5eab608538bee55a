/**
 * What the gateway did itself while answering a request in agent mode: the model's text of the
 * turns before the last, each tool call it ran, and each result it fed back to the model, in order.
 * @example { turns: 2, stopped: 'answered', steps: [{ type: 'tool-call', id: 'call_1', name: 'calc__add', arguments: '{"a":2,"b":3}' }, { type: 'tool-result', toolCallId: 'call_1', name: 'calc__add', content: '5', isError: false }] }
 */
export interface AgentTrail {
  /** Model calls made (1 when the model called no tool the gateway runs). */
  turns: number;
  stopped: AgentStop;
  steps: AgentStep[];
}

/**
 * Why the loop ended: the model answered without calling a tool (`answered`), it called a tool the
 * gateway does not run itself, returned to the caller as a normal tool call (`tool_not_auto`), or
 * the loop reached `mcp.agent.max_depth` rounds of tool calls (`max_depth`: the model's last answer
 * is returned as it is, tool calls included).
 */
export type AgentStop = 'answered' | 'tool_not_auto' | 'max_depth';

export type AgentStep =
  /** The model's text in a turn that went on to call tools. */
  | { type: 'text'; text: string }
  /** A tool call the gateway ran. `arguments` is the JSON text the model produced. */
  | { type: 'tool-call'; id: string; name: string; arguments: string }
  /** What the tool answered (its text), or why it failed (`isError`), as fed back to the model. */
  | { type: 'tool-result'; toolCallId: string; name: string; content: string; isError: boolean };
