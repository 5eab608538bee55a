import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import type { UpgradeRoute } from '../http/http-route.js';
import { connectRealtime, type RealtimeUpstream } from '../pipeline/realtime-attempt.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { OpenedSession } from '../pipeline/session.js';
import { GatewayError } from '../spec/index.js';
import { RealtimeRelay } from './realtime-relay.js';

const PREFIXES = ['/v1', '/openai/v1'];
/** The subprotocol OpenAI's browser SDK carries the key in (browsers cannot set `Authorization` on a WebSocket). */
const KEY_PROTOCOL = 'openai-insecure-api-key.';
/** The subprotocol that asks for the beta interface, as the header `OpenAI-Beta: realtime=v1` does. */
const BETA_PROTOCOL = 'openai-beta.realtime-v1';

export interface RealtimeLimits {
  /** `realtime.max_session_seconds`. */
  maxSessionSeconds: number;
  /** `realtime.max_message_bytes`. */
  maxMessageBytes: number;
}

export interface RealtimeSurface {
  routes: UpgradeRoute[];
  /** Open sessions. */
  readonly sessions: number;
  /** Closes every open session (1001) and stops taking new ones. */
  close(): void;
}

/**
 * OpenAI's realtime API, `GET /v1/realtime?model=…` (and `/openai/v1/realtime`) upgraded to a
 * WebSocket and relayed to the provider serving the model (OpenAI's or Azure's realtime endpoint;
 * the adapter says where). The caller's virtual key comes in `Authorization` or in the
 * `openai-insecure-api-key.<key>` subprotocol, which is never sent on; the provider key is the
 * gateway's and never reaches the caller. The upgrade is answered only once the provider's session
 * is open, so a refusal (a key, a model, a budget, a provider down after its fallbacks) is an HTTP
 * error in OpenAI's envelope.
 */
export function realtimeSurface(pipeline: Pipeline, limits: RealtimeLimits): RealtimeSurface {
  let server: Promise<WebSocketServer> | undefined;
  /** The gateway's headers of each upgrade's answer (`x-request-id`, provider, model). */
  const answerHeaders = new WeakMap<IncomingMessage, Readonly<Record<string, string>>>();
  const relays = new Set<RealtimeRelay>();
  let closing = false;

  const webSocketServer = (): Promise<WebSocketServer> =>
    (server ??= import('ws').then(({ WebSocketServer: Server }) => {
      const created = new Server({
        noServer: true,
        maxPayload: limits.maxMessageBytes,
        perMessageDeflate: false,
        clientTracking: false,
        // `realtime` when offered (OpenAI's browser SDK), never the key's own subprotocol.
        handleProtocols: (offered) => (offered.has('realtime') ? 'realtime' : ([...offered].find((protocol) => !protocol.startsWith(KEY_PROTOCOL)) ?? false)),
      });
      created.on('headers', (lines: string[], request: IncomingMessage) => {
        for (const [name, value] of Object.entries(answerHeaders.get(request) ?? {})) lines.push(`${name}: ${value}`);
      });
      return created;
    }));

  const upgrade = async (request: IncomingMessage, socket: Duplex, head: Buffer, refuse: (error: GatewayError) => void, requestId: string): Promise<void> => {
    if (closing) return refuse(new GatewayError('shutting_down', 'The gateway is draining for shutdown and takes no new requests.'));
    const url = new URL(request.url ?? '/', 'http://gateway');
    const model = url.searchParams.get('model') ?? url.searchParams.get('deployment');
    if (model === null || model.length === 0) return refuse(new GatewayError('invalid_request', 'Name the model in the query: `/v1/realtime?model=<model>`.', { param: 'model' }));
    const { headers, beta } = callerHeaders(request.headers);
    const abort = new AbortController();
    const onGone = (): void => abort.abort(new GatewayError('client_disconnected', 'The caller left before the realtime session opened.'));
    socket.once('close', onGone);
    let session: OpenedSession<RealtimeUpstream>;
    try {
      const [opened] = await Promise.all([
        pipeline.openSession<RealtimeUpstream>(
          { id: requestId, surface: 'openai', operation: 'realtime', path: url.pathname, headers, clientAddress: request.socket.remoteAddress, model, signal: abort.signal },
          async (target, signal) => {
            const upstream = await connectRealtime(target, { maxMessageBytes: limits.maxMessageBytes, headers: beta ? { 'OpenAI-Beta': 'realtime=v1' } : {} }, signal);
            return { connection: upstream, keyId: upstream.keyId };
          },
        ),
        webSocketServer(),
      ]);
      session = opened;
    } catch (error) {
      socket.off('close', onGone);
      if (!socket.destroyed) refuse(GatewayError.is(error) ? error : new GatewayError('internal_error', 'The realtime session could not be opened.', { cause: error }));
      return;
    }
    socket.off('close', onGone);
    const upstream = session.connection.socket;
    if (socket.destroyed || closing) {
      upstream.close(1000);
      return;
    }
    const wss = await webSocketServer();
    answerHeaders.set(request, session.responseHeaders);
    wss.handleUpgrade(request, socket, head, (client) => {
      const relay = new RealtimeRelay(client, session, limits.maxSessionSeconds * 1000, (ended) => relays.delete(ended));
      relays.add(relay);
    });
  };

  return {
    routes: PREFIXES.map((prefix) => ({
      path: `${prefix}/realtime`,
      handler: (request, socket, head, refuse, requestId) => {
        void upgrade(request, socket, head, refuse, requestId).catch((error: unknown) => {
          if (!socket.destroyed) refuse(new GatewayError('internal_error', 'The realtime session could not be opened.', { cause: error }));
        });
      },
    })),
    get sessions() {
      return relays.size;
    },
    close() {
      closing = true;
      for (const relay of [...relays]) relay.shutdown();
      void server?.then((created) => created.close());
    },
  };
}

/**
 * The upgrade's headers as the pipeline reads them: a key sent in the subprotocol becomes
 * `authorization` (unless one was sent there too), and whether the caller asked for the beta interface.
 */
function callerHeaders(headers: IncomingHttpHeaders): { headers: IncomingHttpHeaders; beta: boolean } {
  const offered = (headers['sec-websocket-protocol'] ?? '').split(',').map((protocol) => protocol.trim());
  const keyProtocol = offered.find((protocol) => protocol.startsWith(KEY_PROTOCOL));
  const betaHeader = headers['openai-beta'];
  const beta = offered.includes(BETA_PROTOCOL) || (typeof betaHeader === 'string' && /\brealtime=v1\b/.test(betaHeader));
  // The subprotocols go no further than this: one of them may be the key.
  const { 'sec-websocket-protocol': _protocols, ...rest } = headers;
  if (keyProtocol === undefined || headers.authorization !== undefined) return { headers: rest, beta };
  return { headers: { ...rest, authorization: `Bearer ${keyProtocol.slice(KEY_PROTOCOL.length)}` }, beta };
}
