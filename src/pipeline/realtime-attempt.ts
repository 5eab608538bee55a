import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { pickKey } from '../providers/instance.js';
import { attemptScrubber, type SecretScrubber } from '../providers/secret-scrubber.js';
import { chatCodecOf } from '../providers/instance.js';
import { upstreamError } from '../providers/upstream-error.js';
import { GatewayError } from '../spec/index.js';
import type { Target } from './target.js';

/** Error bodies of a refused handshake are read up to this much. */
const MAX_REFUSAL_BYTES = 64 * 1024;

export interface RealtimeConnectOptions {
  /** Largest message the upstream may send (`realtime.max_message_bytes`). */
  maxMessageBytes: number;
  /** Headers the caller chose that select the API's version (`OpenAI-Beta: realtime=v1`), sent as they are. */
  headers: Record<string, string>;
}

/** An open realtime WebSocket to a provider, and what must never come back out of it. */
export interface RealtimeUpstream {
  /** Paused until the caller's side is ready; what arrived meanwhile is in `early`. */
  socket: WebSocket;
  /** Messages the provider sent before the caller's socket was accepted (`session.created`), in order; no longer filled once `socket` has another `message` listener. */
  early: Array<[data: Buffer, binary: boolean]>;
  /** Stops collecting `early` messages (the relay reads them, then listens itself). */
  takeOver(): void;
  keyId: string | undefined;
  scrubber: SecretScrubber;
}

/**
 * Opens one realtime session on a target: the adapter says where (`wss://…`) and with which key
 * headers; the handshake is bounded by the provider's timeout. A refusal (a 401, 404 or 429 instead
 * of the upgrade) is mapped as any upstream error, with the key scrubbed from it, so the pipeline can
 * fall back to the next target before the caller's session starts. Throws GatewayError.
 */
export async function connectRealtime(target: Target, options: RealtimeConnectOptions, signal: AbortSignal): Promise<RealtimeUpstream> {
  const provider = target.provider;
  const adapter = provider.adapter;
  if (adapter.realtimeTarget === undefined || adapter.local !== undefined) {
    throw new GatewayError('operation_not_supported', `Provider \`${provider.name}\` (${adapter.type}) does not serve realtime sessions.`, { param: 'model' });
  }
  const key = target.key ?? pickKey(provider, target.model);
  const { url, headers } = adapter.realtimeTarget(target.model, key, provider.settings);
  const all = { ...options.headers, ...headers };
  const scrubber = attemptScrubber(adapter, key, { url, method: 'GET', headers: all });
  const { WebSocket: Client } = await import('ws');
  const timeoutMs = target.timeouts?.firstByteMs ?? provider.timeoutMs;
  return new Promise<RealtimeUpstream>((resolve, reject) => {
    let settled = false;
    const socket = new Client(url, { headers: all, maxPayload: options.maxMessageBytes, handshakeTimeout: timeoutMs, perMessageDeflate: false, followRedirects: false });
    const fail = (error: GatewayError): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.terminate();
      reject(scrubber.scrubError(error));
    };
    const onAbort = (): void => fail(GatewayError.is(signal.reason) ? signal.reason : new GatewayError('client_disconnected', 'The caller left before the realtime session opened.'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('open', () => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('unexpected-response');
      // The provider speaks first (`session.created`): kept until the caller's socket is accepted.
      const early: Array<[Buffer, boolean]> = [];
      const collect = (data: Buffer | ArrayBuffer | Buffer[], binary: boolean): void => {
        early.push([Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data), binary]);
      };
      socket.on('message', collect);
      socket.pause();
      resolve({ socket, early, takeOver: () => socket.off('message', collect), keyId: key?.id, scrubber });
    });
    socket.once('unexpected-response', (_request, response: IncomingMessage) => {
      readRefusal(response).then(
        (body) => fail(upstreamError(chatCodecOf(provider, target.model), response.statusCode ?? 502, body, response.headers, scrubber)),
        () => fail(new GatewayError('upstream_error', `The provider refused the realtime session with status ${response.statusCode ?? 'unknown'}.`, { upstreamStatus: response.statusCode ?? 502 })),
      );
    });
    socket.on('error', (error: Error & { code?: string }) => {
      const timedOut = /timed out|timeout/i.test(error.message);
      fail(
        timedOut
          ? new GatewayError('upstream_timeout', `The provider did not open the realtime session within ${timeoutMs} ms.`, { retryable: true })
          : new GatewayError('upstream_unreachable', `The provider's realtime endpoint could not be reached: ${error.code ?? error.message}.`, { retryable: true }),
      );
    });
  });
}

/** The body of a refused handshake, bounded. */
function readRefusal(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REFUSAL_BYTES) {
        response.destroy();
        resolve(Buffer.concat(chunks).toString('utf8'));
        return;
      }
      chunks.push(chunk);
    });
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
  });
}
