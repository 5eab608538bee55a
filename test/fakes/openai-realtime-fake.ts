import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * OpenAI's realtime API on loopback (https://platform.openai.com/docs/api-reference/realtime):
 * `GET /v1/realtime?model=` (OpenAI, `Authorization: Bearer`) and
 * `GET /openai/realtime?api-version=&deployment=` (Azure, `api-key`) upgraded to a WebSocket.
 * It speaks the documented events: `session.created` on connect; for a `response.create` (or, as
 * server voice activity detection does, on its own after `input_audio_buffer.commit`)
 * `response.created`, an audio delta, a transcript delta and `response.done` with the usage.
 * Test-only client events: `test.echo_key` (an `error` event quoting the credentials it received),
 * `test.big` (a message of `bytes`), `test.flood` (`count` messages of `bytes`, as fast as the socket
 * takes them), `test.close` (closes with `code`).
 */
export interface RealtimeFake {
  url: string;
  /** Every accepted or refused handshake: path with query, and headers. */
  handshakes: { url: string; headers: IncomingHttpHeaders }[];
  /** Client events the fake received, by type, in order. */
  received: string[];
  /** Sockets open now. */
  readonly open: number;
  /** Bytes the fake's sockets have queued, not yet taken by the peer (the gateway). */
  readonly buffered: number;
  /** Handshakes answered with this status instead (e.g. 401) while set. */
  refuseWith: number | undefined;
  /** The usage each `response.done` reports. */
  usage: Record<string, unknown>;
  close(): Promise<void>;
}

export const DEFAULT_REALTIME_USAGE = {
  total_tokens: 150,
  input_tokens: 100,
  output_tokens: 50,
  input_token_details: { cached_tokens: 20, text_tokens: 60, audio_tokens: 40, cached_tokens_details: { text_tokens: 10, audio_tokens: 10 } },
  output_token_details: { text_tokens: 10, audio_tokens: 40 },
};

export async function startRealtimeFake(): Promise<RealtimeFake> {
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  let responses = 0;
  let events = 0;
  const fake: RealtimeFake = {
    url: '',
    handshakes: [],
    received: [],
    get open() {
      return sockets.size;
    },
    get buffered() {
      let total = 0;
      for (const socket of sockets) total += socket.bufferedAmount;
      return total;
    },
    refuseWith: undefined,
    usage: DEFAULT_REALTIME_USAGE,
    close: async () => {
      for (const socket of sockets) socket.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((_request, response) => {
    response.writeHead(426, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message: 'Upgrade required', type: 'invalid_request_error' } }));
  });
  server.on('upgrade', (request, socket, head) => {
    fake.handshakes.push({ url: request.url ?? '', headers: request.headers });
    const path = (request.url ?? '').split('?')[0];
    if (fake.refuseWith !== undefined || (path !== '/v1/realtime' && path !== '/openai/realtime')) {
      const status = fake.refuseWith ?? 404;
      const body = JSON.stringify({ error: { message: `Refused (${status}) the key ${String(request.headers.authorization ?? request.headers['api-key'])}`, type: 'invalid_request_error', code: 'invalid_api_key' } });
      socket.end(`HTTP/1.1 ${status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (client) => {
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      const send = (event: Record<string, unknown>): void => client.send(JSON.stringify({ event_id: `event_${++events}`, ...event }));
      const respond = (): void => {
        const id = `resp_${++responses}`;
        send({ type: 'response.created', response: { id, object: 'realtime.response', status: 'in_progress', output: [], usage: null } });
        send({ type: 'response.audio.delta', response_id: id, item_id: `item_${id}`, output_index: 0, content_index: 0, delta: Buffer.alloc(4800, 7).toString('base64') });
        send({ type: 'response.audio_transcript.delta', response_id: id, item_id: `item_${id}`, output_index: 0, content_index: 0, delta: 'Hello there.' });
        send({ type: 'response.done', response: { id, object: 'realtime.response', status: 'completed', status_details: null, output: [], usage: fake.usage } });
      };
      send({ type: 'session.created', session: { id: 'sess_fake', object: 'realtime.session', model: new URL(request.url ?? '/', 'http://fake').searchParams.get('model') ?? 'deployment' } });
      client.on('message', (data, binary) => {
        if (binary) return;
        let event: { type?: string; bytes?: number; code?: number; count?: number };
        try {
          event = JSON.parse(data.toString()) as typeof event;
        } catch {
          return send({ type: 'error', error: { type: 'invalid_request_error', code: 'invalid_json', message: 'Not JSON.' } });
        }
        fake.received.push(event.type ?? '');
        switch (event.type) {
          case 'response.create':
            return respond();
          case 'input_audio_buffer.commit':
            // Server voice activity detection: the server answers without being asked.
            send({ type: 'input_audio_buffer.committed', item_id: `item_in_${responses}` });
            return respond();
          case 'test.echo_key':
            return send({ type: 'error', error: { type: 'invalid_request_error', code: 'echo', message: `You sent ${String(request.headers.authorization ?? request.headers['api-key'])}` } });
          case 'test.big':
            return send({ type: 'test.big', padding: 'x'.repeat(event.bytes ?? 0) });
          case 'test.flood':
            for (let index = 0; index < (event.count ?? 0); index++) send({ type: 'test.flood', index, padding: 'x'.repeat(event.bytes ?? 0) });
            return undefined;
          case 'test.close':
            return client.close(event.code ?? 1000, 'fake closed');
          default:
            return undefined;
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
