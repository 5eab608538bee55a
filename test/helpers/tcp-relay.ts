import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/** A loopback TCP relay to a real server that a test can cut (every link dropped) and restore on the same port. */
export class TcpRelay {
  private server: Server | undefined;
  private readonly links = new Set<Socket>();
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
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    return new Promise((resolve) =>
      server.listen(port, '127.0.0.1', () => {
        this.port = (server.address() as AddressInfo).port;
        resolve();
      }),
    );
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
