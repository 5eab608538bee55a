import { createServer, type Server as HttpServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { answerStatelessly, listenOnLoopback } from './stateless-mcp.js';

/**
 * A calculator MCP server (the official SDK's McpServer): `add`, `read_notes`, `read_secrets`,
 * `fail` (a tool result with isError), `crash` (the process exits: stdio only), `grow` (registers
 * `extra` at run time, which makes the SDK send notifications/tools/list_changed).
 */
export function calculatorServer(options: { onCrash?: () => void } = {}): McpServer {
  const server = new McpServer({ name: 'calc', version: '1.0.0' });
  server.registerTool('add', { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } }, ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));
  server.registerTool('read_notes', { description: 'Reads the notes' }, () => ({ content: [{ type: 'text', text: 'notes: buy milk' }] }));
  server.registerTool('read_secrets', { description: 'Reads the secrets' }, () => ({ content: [{ type: 'text', text: 'the secrets' }] }));
  server.registerTool('fail', { description: 'Always fails' }, () => ({ content: [{ type: 'text', text: 'the tool failed on purpose' }], isError: true }));
  server.registerTool('crash', { description: 'Exits the process' }, () => {
    options.onCrash?.();
    return { content: [{ type: 'text', text: 'crashing' }] };
  });
  server.registerTool('grow', { description: 'Adds the tool `extra`' }, () => {
    server.registerTool('extra', { description: 'Added at run time' }, () => ({ content: [{ type: 'text', text: 'extra!' }] }));
    return { content: [{ type: 'text', text: 'grown' }] };
  });
  return server;
}

/** A search MCP server over streamable HTTP (stateless), on loopback; `search` echoes its query and the header `x-upstream-token`. */
export async function startSearchServer(port = 0): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const http: HttpServer = createServer((request, response) => {
    const server = new McpServer({ name: 'search', version: '1.0.0' });
    const token = request.headers['x-upstream-token'];
    server.registerTool('search', { description: 'Searches the web', inputSchema: { query: z.string() } }, ({ query }) => ({ content: [{ type: 'text', text: `results for ${query} (token ${typeof token === 'string' ? token : 'none'})` }] }));
    server.registerTool('fetch_page', { description: 'Fetches a page', inputSchema: { url: z.string() } }, ({ url }) => ({ content: [{ type: 'text', text: `page ${url}` }] }));
    if (request.method !== 'POST') {
      response.writeHead(405).end();
      return;
    }
    answerStatelessly(server, request, response);
  });
  const listening = await listenOnLoopback(http, port);
  return { url: `http://127.0.0.1:${listening.port}/mcp`, ...listening };
}

/** An MCP server over the older HTTP+SSE transport (the SDK's SSEServerTransport): GET /sse opens the stream, POST /messages?sessionId= carries requests; `echo` answers its text and the header `x-upstream-token` it was connected with. */
export async function startSseServer(): Promise<{ url: string; close(): Promise<void> }> {
  const { SSEServerTransport } = await import('@modelcontextprotocol/sdk/server/sse.js');
  const transports = new Map<string, InstanceType<typeof SSEServerTransport>>();
  const http: HttpServer = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method === 'GET' && url.pathname === '/sse') {
      const token = request.headers['x-upstream-token'];
      const transport = new SSEServerTransport('/messages', response);
      transports.set(transport.sessionId, transport);
      response.on('close', () => transports.delete(transport.sessionId));
      const server = new McpServer({ name: 'legacy', version: '1.0.0' });
      server.registerTool('echo', { description: 'Echoes', inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text: `${text} (token ${typeof token === 'string' ? token : 'none'})` }] }));
      void server.connect(transport);
      return;
    }
    const transport = request.method === 'POST' && url.pathname === '/messages' ? transports.get(url.searchParams.get('sessionId') ?? '') : undefined;
    if (transport === undefined) {
      response.writeHead(404).end();
      return;
    }
    void transport.handlePostMessage(request, response);
  });
  const listening = await listenOnLoopback(http);
  return { url: `http://127.0.0.1:${listening.port}/sse`, close: listening.close };
}
