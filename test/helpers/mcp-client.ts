import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** An official-SDK MCP client connected to the gateway at `origin` (`path`, `/mcp` by default), with a virtual key or none. */
export async function connectMcp(origin: string, key: string | undefined, path = '/mcp', name = 'test-agent'): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  const headers: Record<string, string> = key === undefined ? {} : { authorization: `Bearer ${key}` };
  await client.connect(new StreamableHTTPClientTransport(new URL(`${origin}${path}`), { requestInit: { headers } }));
  return client;
}
