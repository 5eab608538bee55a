import { createServer, type Server as HttpServer } from 'node:http';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { answerStatelessly, listenOnLoopback } from './stateless-mcp.js';

/**
 * A documentation MCP server (the official SDK's McpServer) over streamable HTTP, stateless, on
 * loopback, with prompts (`summarize` taking `topic`, `secret_prompt`), resources
 * (`file:///docs/readme.md`, `file:///private/keys.txt`) and a template (`file:///notes/{name}`),
 * and one tool (`lookup`). `requests` counts the POSTs it answered.
 */
export async function startContentServer(port = 0): Promise<{ url: string; port: number; requests: number; close(): Promise<void> }> {
  const state = { requests: 0 };
  const http: HttpServer = createServer((request, response) => {
    if (request.method !== 'POST') {
      response.writeHead(405).end();
      return;
    }
    state.requests++;
    const server = new McpServer({ name: 'docs', version: '1.0.0' });
    server.registerTool('lookup', { description: 'Looks a word up', inputSchema: { word: z.string() } }, ({ word }) => ({ content: [{ type: 'text', text: `${word}: a word` }] }));
    server.registerPrompt('summarize', { description: 'Summarizes a topic', argsSchema: { topic: z.string() } }, ({ topic }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Summarize ${topic} in one line.` } }] }));
    server.registerPrompt('secret_prompt', { description: 'Not for everyone' }, () => ({ messages: [{ role: 'user', content: { type: 'text', text: 'the secret prompt' } }] }));
    server.registerResource('readme', 'file:///docs/readme.md', { mimeType: 'text/markdown', description: 'The readme' }, (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/markdown', text: '# Readme' }] }));
    server.registerResource('keys', 'file:///private/keys.txt', { mimeType: 'text/plain' }, (uri) => ({ contents: [{ uri: uri.href, text: 'private keys' }] }));
    server.registerResource('note', new ResourceTemplate('file:///notes/{name}', { list: undefined }), { mimeType: 'text/plain' }, (uri, { name }) => ({ contents: [{ uri: uri.href, text: `note ${String(name)}` }] }));
    answerStatelessly(server, request, response);
  });
  const listening = await listenOnLoopback(http, port);
  return {
    url: `http://127.0.0.1:${listening.port}/mcp`,
    port: listening.port,
    get requests() {
      return state.requests;
    },
    close: listening.close,
  };
}
