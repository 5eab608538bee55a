import { fileURLToPath } from 'node:url';
import type { HttpExchange, HttpRoute } from '../http/http-route.js';
import { sendError } from '../http/respond.js';
import { GatewayError } from '../spec/index.js';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import { adminSessions, type AdminSessions } from '../admin/admin-sessions.js';
import type { AdminAccessInput } from '../admin/admin-auth.js';
import { loadStaticFiles, type StaticFile } from './static-files.js';
import { sessionRoutes } from './session-routes.js';

/** Where `npm run build` puts the console (vite's outDir): dist/console, beside dist/src. */
const BUILT_CONSOLE = fileURLToPath(new URL('../../console/', import.meta.url));

/** The console talks only to the admin API (same origin) and its live tail (WebSocket, same origin). */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

const NOT_BUILT = Buffer.from('<!doctype html><title>Tollgate</title><p>The console is not built: run <code>npm run build</code>.</p>\n');

export interface ConsoleOptions {
  /** The config's `admin` section (the token and the accounts), or the admin token alone. */
  admin: AdminAccessInput;
  /** The built console's folder (dist/console by default). */
  root?: string;
  sessions?: AdminSessions;
}

/**
 * The web console: `GET /` redirects to `/ui/`; `/ui/assets/…` are the built files; any other
 * `/ui/…` path answers index.html (the console routes in the browser); `/ui/api/session` logs in and out.
 */
export async function consoleRoutes(options: ConsoleOptions): Promise<HttpRoute[]> {
  const files = await loadStaticFiles(options.root ?? BUILT_CONSOLE);
  const index = files.get('index.html');

  const send = (exchange: HttpExchange, file: StaticFile) => {
    exchange.response.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': file.contentType,
      'content-length': String(file.body.length),
      'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    exchange.response.end(exchange.method === 'HEAD' ? undefined : file.body);
  };
  const sendIndex = (exchange: HttpExchange) => send(exchange, index ?? { body: NOT_BUILT, contentType: 'text/html; charset=utf-8', immutable: false });

  const serve = (exchange: HttpExchange) => {
    const rest = exchange.params.rest ?? '';
    // Decoded already: a `..`, a backslash or a NUL names nothing of ours, whatever follows.
    if (rest.split('/').some((segment) => segment === '..' || segment === '.') || rest.includes('\\') || rest.includes('\u0000')) {
      return sendError(exchange.response, new GatewayError('route_not_found', 'No such console file.'), encodeOpenAIError);
    }
    const file = files.get(rest);
    if (file !== undefined) return send(exchange, file);
    if (rest.startsWith('assets/') || rest.startsWith('api/')) return sendError(exchange.response, new GatewayError('route_not_found', 'No such console file.'), encodeOpenAIError);
    return sendIndex(exchange);
  };

  return [
    {
      method: 'GET',
      path: '/',
      handler: (exchange) => {
        exchange.response.writeHead(302, { location: '/ui/', 'cache-control': 'no-cache' }).end();
      },
    },
    { method: 'GET', path: '/ui', handler: sendIndex },
    { method: 'GET', path: '/ui/*rest', handler: serve },
    ...sessionRoutes(options.admin, options.sessions ?? adminSessions),
  ];
}
