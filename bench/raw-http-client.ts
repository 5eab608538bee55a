import { connect, type Socket } from 'node:net';

/** Undefined when the request succeeded (HTTP 200, whole body read), otherwise what went wrong. */
export type Outcome = string | undefined;

const CRLF_CRLF = Buffer.from('\r\n\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/**
 * The load generator's HTTP/1.1 client: keep-alive connections over plain `net` sockets, each
 * sending a ready-made request and reading one response (status line, Content-Length or chunked
 * body) before it sends the next. Nothing else: no header objects, no body streams, no pool
 * scheduler (10–12 µs of CPU per request against undici Pool's 19–32 µs, measured against one node:http
 * server). The benchmark measures the servers, and a general client spent a fifth of the 2-core machine on the load generator's own
 * side, so the cheapest server looked no faster than the one it was compared with.
 */
export class RawHttpClient {
  private readonly idle: Connection[] = [];
  private readonly queue: { request: Buffer; done(outcome: Outcome): void }[] = [];
  private readonly all = new Set<Connection>();
  private readonly host: string;
  private readonly port: number;
  private readonly head: string;

  constructor(
    origin: string,
    path: string,
    headers: Record<string, string>,
    private readonly maxConnections: number,
  ) {
    const url = new URL(origin);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.head = `POST ${path} HTTP/1.1\r\nhost: ${url.host}\r\n${Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('')}`;
  }

  /** The bytes of one request with this body (build once and reuse when the body does not change). */
  request(body: string): Buffer {
    const bytes = Buffer.from(body);
    return Buffer.concat([Buffer.from(`${this.head}content-length: ${bytes.length}\r\n\r\n`), bytes]);
  }

  send(request: Buffer): Promise<Outcome> {
    return new Promise((done) => {
      const connection = this.idle.pop() ?? (this.all.size < this.maxConnections ? this.open() : undefined);
      if (connection === undefined) this.queue.push({ request, done });
      else connection.send(request, done);
    });
  }

  close(): void {
    for (const connection of this.all) connection.socket.destroy();
    this.all.clear();
    this.idle.length = 0;
  }

  private open(): Connection {
    const connection = new Connection(connect({ host: this.host, port: this.port, noDelay: true }), (free) => {
      const next = this.queue.shift();
      if (next !== undefined) free.send(next.request, next.done);
      else this.idle.push(free);
    }, (dead) => {
      this.all.delete(dead);
      const index = this.idle.indexOf(dead);
      if (index !== -1) this.idle.splice(index, 1);
      // Requests waiting for a connection get a new one.
      const next = this.queue.shift();
      if (next !== undefined) this.open().send(next.request, next.done);
    });
    this.all.add(connection);
    return connection;
  }
}

class Connection {
  private buffered: Buffer | undefined;
  private done: ((outcome: Outcome) => void) | undefined;

  constructor(
    readonly socket: Socket,
    private readonly onFree: (connection: Connection) => void,
    private readonly onDead: (connection: Connection) => void,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    const fail = (error?: Error) => {
      const done = this.done;
      this.done = undefined;
      this.onDead(this);
      done?.(`transport error: ${error?.message ?? 'the server closed the connection'}`);
    };
    socket.once('error', fail);
    socket.once('close', () => fail());
  }

  send(request: Buffer, done: (outcome: Outcome) => void): void {
    this.done = done;
    this.buffered = undefined;
    this.socket.write(request);
  }

  private receive(chunk: Buffer): void {
    const data = this.buffered === undefined ? chunk : Buffer.concat([this.buffered, chunk]);
    const response = parseResponse(data);
    if (response === undefined) {
      this.buffered = data;
      return;
    }
    this.buffered = undefined;
    const done = this.done;
    this.done = undefined;
    if (response.close) this.socket.destroy();
    else this.onFree(this);
    done?.(response.status === 200 ? undefined : `HTTP ${response.status}: ${response.body.toString('utf8').slice(0, 300)}`);
  }
}

/** One whole response in `data`, or undefined while more bytes are needed. */
function parseResponse(data: Buffer): { status: number; body: Buffer; close: boolean } | undefined {
  const headEnd = data.indexOf(CRLF_CRLF);
  if (headEnd === -1) return undefined;
  const status = Number(data.toString('latin1', 9, 12));
  const head = data.toString('latin1', 0, headEnd).toLowerCase();
  const close = head.includes('\r\nconnection: close');
  const bodyStart = headEnd + 4;
  const length = /\r\ncontent-length: *(\d+)/.exec(head);
  if (length !== null) {
    const end = bodyStart + Number(length[1]);
    return data.length < end ? undefined : { status, body: data.subarray(bodyStart, end), close };
  }
  if (head.includes('\r\ntransfer-encoding: chunked')) {
    if (data.indexOf(LAST_CHUNK, bodyStart) === -1 || !data.subarray(data.length - 5).equals(LAST_CHUNK)) return undefined;
    return { status, body: data.subarray(bodyStart), close };
  }
  // Neither: the body ends when the server closes (not sent by the servers measured here).
  return { status, body: data.subarray(bodyStart), close: true };
}
