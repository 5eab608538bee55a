import { createServer } from 'node:http';
import { listenAndReport } from './child-ready.js';
import { CHAT_RESPONSE_BODY } from './payload.js';

/**
 * The upstream every target ends at: answers `POST /v1/chat/completions` with one fixed OpenAI
 * chat completion, as fast as node:http can. It drains the request body but does not parse it, so
 * the upstream costs the same for every target. Run as a child process of bench/run.ts.
 */
const responseBody = Buffer.from(CHAT_RESPONSE_BODY);
const notFoundBody = Buffer.from(JSON.stringify({ error: { message: 'Unknown path.', type: 'invalid_request_error', code: 'unknown_url', param: null } }));

const server = createServer({ keepAliveTimeout: 120_000, requestTimeout: 0 }, (request, response) => {
  request.resume();
  request.once('end', () => {
    const found = request.method === 'POST' && request.url === '/v1/chat/completions';
    const body = found ? responseBody : notFoundBody;
    response.writeHead(found ? 200 : 404, { 'content-type': 'application/json', 'content-length': body.length });
    response.end(body);
  });
});

listenAndReport(server);
