import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'undici';
import { listenAndReport } from './child-ready.js';

/**
 * The practical ceiling for a Node gateway: node:http in, one keep-alive undici Pool out, the JSON
 * parsed and re-serialised in both directions, and nothing else (no auth, routing, logging or
 * accounting). Run as a child process of bench/run.ts with the upstream origin as its argument.
 */
const upstreamOrigin = process.argv[2];
if (upstreamOrigin === undefined) throw new Error('usage: bare-proxy.js <upstream origin>');

// The same connection settings Tollgate's transport uses, so the comparison is about the work done per request.
const upstream = new Pool(upstreamOrigin, {
  connections: 256,
  keepAliveTimeout: 30_000,
  connect: { noDelay: true, keepAlive: true },
});
const upstreamHeaders = { 'content-type': 'application/json', authorization: 'Bearer test-key-openai' };

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function proxy(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const requestJson: unknown = JSON.parse(await readBody(request));
  const upstreamResponse = await upstream.request({
    path: request.url ?? '/',
    method: 'POST',
    headers: upstreamHeaders,
    body: JSON.stringify(requestJson),
  });
  const responseJson: unknown = await upstreamResponse.body.json();
  const body = JSON.stringify(responseJson);
  response.writeHead(upstreamResponse.statusCode, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (request, response) => {
  proxy(request, response).catch((error: unknown) => {
    if (response.headersSent) return response.destroy();
    response.writeHead(502, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message: String(error), type: 'api_error', code: 'upstream_unreachable', param: null } }));
  });
});

listenAndReport(server);
