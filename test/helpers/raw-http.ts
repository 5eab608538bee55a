import { connect, type Socket } from 'node:net';

/** What a raw connection received until the server closed it. */
export interface RawReply {
  /** Status code of the first response, 0 when none came. */
  status: number;
  /** Response headers of the first response, names lower-cased. */
  headers: Record<string, string>;
  /** The body of the first response (as sent: no chunked decoding). */
  body: string;
  /** Everything received. */
  raw: string;
}

/**
 * Opens a plain TCP connection to `url`, lets `talk` write what it likes (slowly, partly, not at
 * all) and resolves with what the server sent once it closes the connection. `talk` should stop
 * writing once `socket.writable` is false. For callers no HTTP client can play: slowloris, a
 * stalled upload.
 */
export function rawExchange(url: string, talk: (socket: Socket) => void | Promise<void>): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      Promise.resolve(talk(socket)).catch((error: unknown) => {
        socket.destroy();
        reject(error as Error);
      });
    });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A reset after the answer (the server closing while the test still wrote) is still an answer.
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(parseReply(Buffer.concat(chunks).toString('utf8'))));
  });
}

function parseReply(raw: string): RawReply {
  const end = raw.indexOf('\r\n\r\n');
  const match = /^HTTP\/1\.1 (\d{3})/.exec(raw);
  if (end === -1 || match === null) return { status: 0, headers: {}, body: '', raw };
  const headers: Record<string, string> = {};
  for (const line of raw.slice(0, end).split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  const body = raw.slice(end + 4, length === undefined ? undefined : end + 4 + length);
  return { status: Number(match[1]), headers, body, raw };
}

/** Writes `text` while the connection is open; false once it is not. */
export function writeIfOpen(socket: Socket, text: string): boolean {
  if (!socket.writable || socket.destroyed) return false;
  socket.write(text);
  return true;
}
