import type { GatewayRequests } from '../pipeline/capabilities.js';
import type { RequestContext } from '../pipeline/context.js';
import { GatewayError, toGatewayError, type ToolCall } from '../spec/index.js';
import { TOOL_CALL_OPERATION } from './mcp-endpoint.js';
import { toolResultText } from './tool-call.js';
import type { ToolCaller } from './tool-source.js';

/** What a tool call gave, as fed back to the model: the tool's text, or why it failed. */
export interface ToolOutcome {
  readonly content: string;
  readonly isError: boolean;
}

/** Runs one tool call of a model's answer for the caller of `parent`, within `group` when its tools were listed within one. */
export type ToolRunner = (parent: RequestContext, call: ToolCall, sequence: number, group: string | undefined) => Promise<ToolOutcome>;

function argumentsOf(call: ToolCall): Record<string, unknown> | undefined {
  if (call.arguments.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(call.arguments);
  } catch {
    throw new GatewayError('invalid_request', `The arguments of the call to \`${call.name}\` are not valid JSON.`, { param: 'arguments' });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new GatewayError('invalid_request', `The arguments of the call to \`${call.name}\` must be a JSON object.`, { param: 'arguments' });
  return parsed as Record<string, unknown>;
}

/**
 * Tool calls of agent mode: each through `callTool` with the caller's permissions, within
 * `timeoutMs`, as a request of its own (`mcp_tool_call`, its parent the model request, id
 * `<request id>.tool-<n>`). A failure of any kind (bad arguments, refusal, timeout, server down) is
 * the tool's error text for the model to read; only the caller leaving stops the loop.
 */
export function agentToolRunner(requests: () => GatewayRequests, callTool: ToolCaller, timeoutMs: () => number): ToolRunner {
  return async (parent, call, sequence, group) => {
    const timeout = new AbortController();
    const limit = timeoutMs();
    const timer = setTimeout(() => timeout.abort(new GatewayError('tool_call_failed', `The tool \`${call.name}\` did not answer within ${limit} ms.`)), limit);
    try {
      const result = await requests().perform(
        {
          id: `${parent.id}.tool-${sequence}`,
          surface: parent.surface,
          operation: TOOL_CALL_OPERATION,
          subject: call.name,
          principal: parent.principal,
          path: parent.path,
          headers: parent.headers,
          clientAddress: parent.clientAddress,
          signal: AbortSignal.any([parent.signal, timeout.signal]),
          parentId: parent.id,
        },
        (context) => callTool(context, call.name, argumentsOf(call), group),
      );
      return { content: toolResultText(result), isError: result.isError === true };
    } catch (error) {
      if (parent.signal.aborted) throw error;
      const failure = toGatewayError(error);
      return { content: `Error (${failure.code}): ${failure.message}`, isError: true };
    } finally {
      clearTimeout(timer);
    }
  };
}
