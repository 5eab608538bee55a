import type { Socket } from 'node:net';

/**
 * The client connection preface of HTTP/2 over cleartext with prior knowledge (RFC 9113 §3.4):
 * `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`. No HTTP/1.x request line starts with `PRI`, so its first three
 * bytes tell the two apart.
 */
const PREFACE_START = Buffer.from('PRI', 'latin1');

/** A TLS connection starts with a handshake record (content type 22), which no HTTP request does. */
const TLS_HANDSHAKE = 0x16;

/**
 * Reads a new connection's first bytes, puts them back, and hands the socket to `http1` or `http2`
 * by what they are. Both servers read the put-back bytes first (Node's HTTP/2 session takes bytes
 * already buffered on the socket). A connection that closes or errs before its first bytes is
 * simply destroyed; one silent for `timeoutMs` goes to `silent` (which answers as HTTP/1.1's header
 * timeout does).
 */
export function sniffProtocol(
  socket: Socket,
  timeoutMs: number,
  http1: (socket: Socket) => void,
  http2: (socket: Socket) => void,
  silent: (socket: Socket) => void,
  /** Where a TLS ClientHello goes (the socket with its bytes put back); absent, it is treated as HTTP/1.1 (and refused as malformed). */
  tls?: (socket: Socket) => void,
): void {
  let head: Buffer | undefined;
  const timer = setTimeout(() => {
    cleanup();
    silent(socket);
  }, timeoutMs);
  timer.unref();
  const cleanup = () => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('error', onGone);
    socket.off('end', onGone);
  };
  const onGone = () => {
    cleanup();
    socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    head = head === undefined ? chunk : Buffer.concat([head, chunk]);
    const seen = Math.min(head.length, PREFACE_START.length);
    const isHttp2 = head.subarray(0, seen).equals(PREFACE_START.subarray(0, seen));
    // A first chunk shorter than three bytes that could still be the preface: wait for more.
    if (isHttp2 && seen < PREFACE_START.length) return;
    cleanup();
    socket.pause();
    socket.unshift(head);
    if (tls !== undefined && head[0] === TLS_HANDSHAKE) {
      // The TLS socket reads what is buffered on the one it wraps.
      tls(socket);
    } else if (isHttp2) {
      // The session reads what is buffered and then the handle itself.
      http2(socket);
    } else {
      http1(socket);
      // Node's parser attached its readers; let the put-back bytes flow to them.
      process.nextTick(() => socket.resume());
    }
  };
  socket.on('data', onData);
  socket.once('error', onGone);
  socket.once('end', onGone);
}
