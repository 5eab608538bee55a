import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { UpgradeRoute } from '../../http/http-route.js';
import { GatewayError } from '../../spec/index.js';
import { createAdminAuthenticator, mayReadContent, type AdminAccessInput, type AdminAuthentication } from '../../admin/admin-auth.js';
import { withoutContent } from './without-content.js';
import { matchesFilter, parseLogFilter, type LogFilter } from './log-filter.js';
import type { RequestRecord } from './request-record.js';

/** Past this much unsent data a slow watcher misses records rather than growing memory. */
const MAX_BUFFERED_BYTES = 1 << 20;

interface Watcher {
  socket: WebSocket;
  filter: LogFilter;
  /** A `finance` session watches records without their logged content. */
  content: boolean;
}

/**
 * `GET /admin/logs/tail` over WebSocket: every record written to the request log that matches the
 * query-string filters (the same as `GET /admin/logs`), one JSON text message per record.
 * Needs `Authorization: Bearer <admin.token>` (or a console session's cookie) on the upgrade request.
 */
export class LiveTail {
  /** Created with the first watcher: `ws` is loaded only by gateways someone tails. */
  private server: Promise<WebSocketServer> | undefined;
  private readonly watchers = new Set<Watcher>();
  private readonly authenticate: (headers: IncomingMessage['headers']) => AdminAuthentication;
  /** Messages skipped because a watcher could not keep up. */
  skipped = 0;
  /** Told when the first watcher comes and when the last one goes (see cluster-tail.ts). */
  private watchingListener: ((watching: boolean) => void) | undefined;

  constructor(admin: AdminAccessInput) {
    this.authenticate = createAdminAuthenticator(admin);
  }

  get watching(): number {
    return this.watchers.size;
  }

  /** `listener(true)` when the first watcher connects, `listener(false)` when the last one leaves. */
  onWatching(listener: (watching: boolean) => void): void {
    this.watchingListener = listener;
  }

  route(): UpgradeRoute {
    return { path: '/admin/logs/tail', handler: (request, socket, head, refuse) => this.upgrade(request, socket, head, refuse) };
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
        watcher.socket.send(JSON.stringify(watcher.content ? record : withoutContent(record)));
      }
    }
  }

  close(): void {
    for (const watcher of this.watchers) watcher.socket.close(1001, 'gateway shutting down');
    for (const watcher of this.watchers) watcher.socket.terminate();
    this.watchers.clear();
    void this.server?.then((server) => server.close());
  }

  /** `refuse` answers in the admin API's envelope, with the gateway's error headers. */
  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, refuse: (error: GatewayError) => void): void {
    const { principal, error: refused } = this.authenticate(request.headers);
    if (refused !== undefined) return refuse(refused);
    const content = mayReadContent(principal);
    let filter: LogFilter;
    try {
      const url = request.url ?? '/';
      const queryAt = url.indexOf('?');
      filter = parseLogFilter(new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1)));
      if (!content && filter.text !== undefined) throw new GatewayError('admin_forbidden', 'The `finance` role cannot search logged content (`q`).', { param: 'q' });
    } catch (error) {
      return refuse(GatewayError.is(error) ? error : new GatewayError('invalid_request', 'Invalid filter.'));
    }
    this.server ??= import('ws').then(({ WebSocketServer: Server }) => new Server({ noServer: true, maxPayload: 4096 }));
    this.server.then(
      (server) => this.accept(server, request, socket, head, filter, content),
      (error: unknown) => refuse(new GatewayError('internal_error', 'The live tail is unavailable: the WebSocket library failed to load.', { status: 503, cause: error })),
    );
  }

  private accept(server: WebSocketServer, request: IncomingMessage, socket: Duplex, head: Buffer, filter: LogFilter, content: boolean): void {
    if (socket.destroyed) return;
    server.handleUpgrade(request, socket, head, (webSocket) => {
      const watcher: Watcher = { socket: webSocket, filter, content };
      this.watchers.add(watcher);
      if (this.watchers.size === 1) this.watchingListener?.(true);
      const leave = () => {
        if (this.watchers.delete(watcher) && this.watchers.size === 0) this.watchingListener?.(false);
      };
      webSocket.on('close', leave);
      webSocket.on('error', leave);
      webSocket.on('message', () => {
        // The tail only sends; anything received is ignored.
      });
    });
  }
}
