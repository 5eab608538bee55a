import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

/** What an MCP server of the official SDK (McpServer or the low-level Server) offers a transport. */
interface Connectable {
  connect(transport: Transport): Promise<void>;
  close(): Promise<void>;
}

/** Answers one streamable-HTTP request with `server`, built for it: no session, JSON replies; both are closed with the response. */
export function answerStatelessly(server: Connectable, request: IncomingMessage, response: ServerResponse): void {
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  response.on('close', () => {
    void transport.close();
    void server.close();
  });
  void server.connect(transport).then(() => transport.handleRequest(request, response));
}

/** Listens on 127.0.0.1 (`port` 0: a free one); `close` ends open connections too. */
export async function listenOnLoopback(http: HttpServer, port = 0): Promise<{ port: number; close(): Promise<void> }> {
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  return {
    port: (http.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
