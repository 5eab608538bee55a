import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { BudgetHold, BudgetHolder, MetricCounter, MetricHistogram } from '../pipeline/capabilities.js';
import type { RequestContext } from '../pipeline/context.js';
import { GatewayError } from '../spec/index.js';
import { SEPARATOR, type ToolCatalog } from './tool-catalog.js';

/** The header naming the model request a tool call was made for (`parent_request_id` in the request log). */
export const PARENT_HEADER = 'x-tollgate-parent-request-id';
const PARENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Label value of a tool or server no upstream knows (a refused or mistyped name), so callers cannot grow the metrics without bound. */
const UNKNOWN = '(unknown)';

/** What a tool call needs besides the catalog: the budgets (governance) and the metrics (observability), when those modules are loaded. */
export interface ToolCallServices {
  holds: BudgetHolder | undefined;
  calls: MetricCounter | undefined;
  latency: MetricHistogram | undefined;
}

/** A tool result as text: its text parts, other parts (images, resources) as JSON. */
export function toolResultText(result: CallToolResult): string {
  const parts = (result.content ?? []).map((part) => (part.type === 'text' ? part.text : JSON.stringify(part)));
  if (parts.length === 0 && result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  return parts.join('\n');
}

/**
 * One tool call inside its request context (`operation: mcp_tool_call`), the same from `/mcp`,
 * `/v1/mcp/tool/execute` and agent mode: permission check, then the price (when the server sets
 * one) reserved on the caller's budgets (`budget_exceeded` refuses the call), the call, the exact
 * cost on the context (`x-tollgate-cost`, the record's `cost_usd`) and the charge settled; a call
 * that fails is charged nothing. The arguments and the result's text go on the context for the
 * request log (stored only with content logging on); the calls counter and latency histogram get the
 * server, tool and outcome.
 */
export async function runToolCall(catalog: ToolCatalog, services: ToolCallServices, context: RequestContext, name: string, args: Record<string, unknown> | undefined, group?: string): Promise<CallToolResult> {
  const started = performance.now();
  // A caller that runs a model's tool calls itself names the model request they came from.
  const parent = context.headers[PARENT_HEADER];
  if (context.parentId === undefined && typeof parent === 'string' && PARENT_ID.test(parent)) context.parentId = parent;
  // Kept on the context for the request log, which stores them only with content logging on (and capped).
  context.inputText = JSON.stringify(args ?? {});
  let status = 'error';
  try {
    const refused = catalog.refusal(context.principal, name, group);
    if (refused !== undefined) {
      status = 'refused';
      throw refused;
    }
    const cost = catalog.costOf(name);
    // The price is held on the caller's key, team and customer budgets (no provider's: a tool call is no provider request).
    const hold: BudgetHold | undefined = cost === undefined || services.holds === undefined ? undefined : await services.holds({ principal: context.principal, provider: '', usd: cost.usd });
    let result: CallToolResult;
    try {
      result = await catalog.call(context.principal, name, args, context.signal, group);
    } catch (error) {
      hold?.release();
      throw error;
    }
    if (cost !== undefined) {
      context.cost = cost;
      context.responseHeaders['x-tollgate-cost'] = cost.exact!;
      if (hold !== undefined) context.chargedNanoUsd = hold.settle(cost.usd);
    } else {
      context.responseHeaders['x-tollgate-cost'] = '0';
    }
    context.outputText = toolResultText(result);
    status = result.isError === true ? 'tool_error' : 'ok';
    return result;
  } catch (error) {
    if (GatewayError.is(error) && error.code === 'budget_exceeded') status = 'refused';
    throw error;
  } finally {
    const labels = labelsOf(catalog, name);
    services.calls?.inc({ ...labels, status });
    services.latency?.observe(labels, (performance.now() - started) / 1000);
  }
}

/** The server and tool labels of `name`, or UNKNOWN for what no connected server lists. */
function labelsOf(catalog: ToolCatalog, name: string): { server: string; tool: string } {
  const split = name.indexOf(SEPARATOR);
  const server = split <= 0 ? undefined : catalog.servers.get(name.slice(0, split));
  if (server === undefined) return { server: UNKNOWN, tool: UNKNOWN };
  const tool = name.slice(split + SEPARATOR.length);
  return { server: server.name, tool: server.tools.some((listed) => listed.name === tool) ? name : UNKNOWN };
}
