import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP relay to a real server that a test can cut (every link dropped) and restore on the
 * same port, or stall (links stay open, nothing is forwarded: a server that hangs) and resume.
 */
export class TcpRelay {
  private server: Server | undefined;
  private readonly links = new Set<Socket>();
  /** Each link's two ends, to stop and restart forwarding. */
  private readonly pairs = new Set<[Socket, Socket]>();
  private stalled = false;
  port = 0;

  constructor(
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  open(port = this.port): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.host);
      for (const socket of [client, upstream]) {
        this.links.add(socket);
        socket.on('error', () => socket.destroy());
        socket.on('close', () => {
          this.links.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      client.on('close', () => this.pairs.delete(pair));
      if (!this.stalled) forward(pair);
    });
    this.server = server;
    return new Promise((resolve) =>
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as AddressInfo).port;
        resolve();
      }),
    );
  }

  /** Keeps every link, and accepts new ones, but forwards nothing until `resume`. */
  stall(): void {
    this.stalled = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /** Forwards again what was held back by `stall`, and everything after it. */
  resume(): void {
    this.stalled = false;
    for (const pair of this.pairs) forward(pair);
  }

  /** Stops listening and drops every open link. */
  cut(): Promise<void> {
    const server = this.server;
    if (server === undefined) return Promise.resolve();
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.links) socket.destroy();
    return closed;
  }
}

function forward([client, upstream]: [Socket, Socket]): void {
  client.pipe(upstream);
  upstream.pipe(client);
}
