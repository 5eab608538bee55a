import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { UpgradeRoute } from '../../http/http-route.js';
import { GatewayError } from '../../spec/index.js';
import { bearerChecker } from '../bearer-token.js';
import { matchesFilter, parseLogFilter, type LogFilter } from './log-filter.js';
import type { RequestRecord } from './request-record.js';

/** Past this much unsent data a slow watcher misses records rather than growing memory. */
const MAX_BUFFERED_BYTES = 1 << 20;

interface Watcher {
  socket: WebSocket;
  filter: LogFilter;
}

function refuse(socket: Duplex, status: string, message: string): void {
  const body = JSON.stringify({ error: { message } });
  socket.end(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/**
 * `GET /admin/logs/tail` over WebSocket: every record written to the request log that matches the
 * query-string filters (the same as `GET /admin/logs`), one JSON text message per record.
 * Needs `Authorization: Bearer <admin.token>` on the upgrade request.
 */
export class LiveTail {
  /** Created with the first watcher: `ws` is loaded only by gateways someone tails. */
  private server: Promise<WebSocketServer> | undefined;
  private readonly watchers = new Set<Watcher>();
  private readonly authorized: (headers: IncomingMessage['headers']) => boolean;
  /** Messages skipped because a watcher could not keep up. */
  skipped = 0;

  constructor(adminToken: string | undefined) {
    this.authorized = bearerChecker(adminToken);
  }

  get watching(): number {
    return this.watchers.size;
  }

  route(): UpgradeRoute {
    return { path: '/admin/logs/tail', handler: (request, socket, head) => this.upgrade(request, socket, head) };
  }

  publish(records: readonly RequestRecord[]): void {
    if (this.watchers.size === 0) return;
    for (const watcher of this.watchers) {
      for (const record of records) {
        if (!matchesFilter(record, watcher.filter)) continue;
        if (watcher.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          this.skipped++;
          continue;
        }
        watcher.socket.send(JSON.stringify(record));
      }
    }
  }

  close(): void {
    for (const watcher of this.watchers) watcher.socket.close(1001, 'gateway shutting down');
    for (const watcher of this.watchers) watcher.socket.terminate();
    this.watchers.clear();
    void this.server?.then((server) => server.close());
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.authorized(request.headers)) return refuse(socket, '401 Unauthorized', 'Send the admin token as `Authorization: Bearer <admin.token>`.');
    let filter: LogFilter;
    try {
      const url = request.url ?? '/';
      const queryAt = url.indexOf('?');
      filter = parseLogFilter(new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1)));
    } catch (error) {
      return refuse(socket, '400 Bad Request', GatewayError.is(error) ? error.message : 'Invalid filter.');
    }
    this.server ??= import('ws').then(({ WebSocketServer: Server }) => new Server({ noServer: true, maxPayload: 4096 }));
    this.server.then(
      (server) => this.accept(server, request, socket, head, filter),
      () => refuse(socket, '503 Service Unavailable', 'The live tail is unavailable.'),
    );
  }

  private accept(server: WebSocketServer, request: IncomingMessage, socket: Duplex, head: Buffer, filter: LogFilter): void {
    if (socket.destroyed) return;
    server.handleUpgrade(request, socket, head, (webSocket) => {
      const watcher: Watcher = { socket: webSocket, filter };
      this.watchers.add(watcher);
      webSocket.on('close', () => this.watchers.delete(watcher));
      webSocket.on('error', () => this.watchers.delete(watcher));
      webSocket.on('message', () => {
        // The tail only sends; anything received is ignored.
      });
    });
  }
}
