import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ErrorCode, GetPromptRequestSchema, ListPromptsRequestSchema, ListResourcesRequestSchema, ListResourceTemplatesRequestSchema, ListToolsRequestSchema, ReadResourceRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import type { HttpExchange, HttpRoute } from '../http/http-route.js';
import { sendError, sendJson } from '../http/respond.js';
import type { GatewayRequests } from '../pipeline/capabilities.js';
import type { Principal } from '../pipeline/context.js';
import { GatewayError } from '../spec/index.js';
import type { PromptsAndResources } from './prompts-resources.js';
import type { ToolCaller, ToolSource } from './tool-source.js';
import type { ToolPermissions } from './tool-permissions.js';

/** The operation name of every tool call in the request log and metrics. */
export const TOOL_CALL_OPERATION = 'mcp_tool_call';

export interface McpEndpointParts {
  requests: () => GatewayRequests;
  /** The tools each caller sees (the catalog, or code mode's meta-tools for keys in code mode). */
  tools: ToolSource;
  /** Calls one of them inside its record's context. */
  callTool: ToolCaller;
  content: PromptsAndResources;
  permissions: () => ToolPermissions;
}

/**
 * Tollgate as an MCP server over streamable HTTP, at `/mcp` (every tool the caller's key may use)
 * and `/mcp/:group` (a tool group's, for keys that have it). Stateless: each POST gets its own SDK
 * server and transport, bound to the caller its virtual key names, so any replica answers any
 * request and no session lives on in memory. Tool calls run through the pipeline's `perform`, one
 * request log record each (`operation: mcp_tool_call`).
 */
export function mcpRoutes(parts: McpEndpointParts): HttpRoute[] {
  const post = (exchange: HttpExchange) => serve(parts, exchange, exchange.params.group);
  const notAllowed = (exchange: HttpExchange) =>
    sendJson(exchange.response, 405, { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this MCP server is stateless (POST only; no server-initiated stream, no session to delete).' }, id: null }, { allow: 'POST' });
  return [
    { method: 'POST', path: '/mcp', handler: post, renderError: encodeOpenAIError },
    { method: 'POST', path: '/mcp/:group', handler: post, renderError: encodeOpenAIError },
    { method: 'GET', path: '/mcp', handler: notAllowed },
    { method: 'GET', path: '/mcp/:group', handler: notAllowed },
    { method: 'DELETE', path: '/mcp', handler: notAllowed },
    { method: 'DELETE', path: '/mcp/:group', handler: notAllowed },
  ];
}

async function serve(parts: McpEndpointParts, exchange: HttpExchange, group: string | undefined): Promise<void> {
  const requests = parts.requests();
  let principal: Principal | undefined;
  try {
    principal = await requests.caller(exchange);
    if (group !== undefined) {
      const permissions = parts.permissions();
      if (!permissions.hasGroup(group)) throw new GatewayError('tool_not_found', `No MCP tool group "${group}".`);
      if (!permissions.keyHasGroup(principal, group)) throw new GatewayError('tool_not_allowed', `The virtual key does not have the MCP tool group "${group}".`);
    }
  } catch (error) {
    const failure = GatewayError.is(error) ? error : new GatewayError('internal_error', 'The caller could not be identified.');
    const headers: Record<string, string> = { 'x-request-id': exchange.requestId };
    if (failure.status === 401) headers['www-authenticate'] = 'Bearer realm="tollgate"';
    sendError(exchange.response, failure, encodeOpenAIError, headers);
    return;
  }
  const body = await exchange.readJson();
  const server = new Server({ name: 'tollgate', version: '1' }, { capabilities: { tools: {}, prompts: {}, resources: {} } });
  const content = parts.content;
  const refusal = (error: unknown, what: string) => {
    const failure = GatewayError.is(error) ? error : new GatewayError('internal_error', `The ${what} failed.`);
    const code = failure.code === 'tool_not_allowed' || failure.code === 'tool_not_found' ? ErrorCode.InvalidParams : ErrorCode.InternalError;
    return new ToolCallError(code, failure.message, failure.code);
  };
  const guarded = <T>(what: string, run: () => Promise<T>) => run().catch((error: unknown) => Promise.reject(refusal(error, what)));
  server.setRequestHandler(ListPromptsRequestSchema, (_request, extra) => guarded('prompt list', async () => ({ prompts: await content.listPrompts(principal, extra.signal, group) })));
  server.setRequestHandler(GetPromptRequestSchema, (request, extra) => guarded('prompt', () => content.getPrompt(principal, request.params.name, request.params.arguments, AbortSignal.any([exchange.signal, extra.signal]), group)));
  server.setRequestHandler(ListResourcesRequestSchema, (_request, extra) => guarded('resource list', async () => ({ resources: await content.listResources(principal, extra.signal, group) })));
  server.setRequestHandler(ListResourceTemplatesRequestSchema, (_request, extra) => guarded('resource template list', async () => ({ resourceTemplates: await content.listResourceTemplates(principal, extra.signal, group) })));
  server.setRequestHandler(ReadResourceRequestSchema, (request, extra) => guarded('resource read', () => content.readResource(principal, request.params.uri, AbortSignal.any([exchange.signal, extra.signal]), group)));
  let calls = 0;
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: parts.tools.list(principal, group) }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const name = request.params.name;
    const id = calls === 0 ? exchange.requestId : `${exchange.requestId}-${calls}`;
    calls++;
    try {
      return await requests.perform(
        { id, surface: 'mcp', operation: TOOL_CALL_OPERATION, subject: name, principal, path: exchange.path, headers: exchange.request.headers, clientAddress: exchange.request.socket.remoteAddress, signal: AbortSignal.any([exchange.signal, extra.signal]) },
        (context) => parts.callTool(context, name, request.params.arguments, group),
      );
    } catch (error) {
      throw refusal(error, 'tool call');
    }
  });
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  exchange.response.on('close', () => {
    void transport.close().catch(() => {});
    void server.close().catch(() => {});
  });
  await server.connect(transport);
  await transport.handleRequest(exchange.request, exchange.response, body);
}

/**
 * A refused or failed tool call as the SDK's server answers it: a JSON-RPC error with this code and
 * message, and the gateway's error code as `data.code`. (An McpError would have its message
 * prefixed twice, once here and once by the client.)
 */
class ToolCallError extends Error {
  readonly data: { code: string };

  constructor(
    readonly code: number,
    message: string,
    gatewayCode: string,
  ) {
    super(message);
    this.data = { code: gatewayCode };
  }
}
