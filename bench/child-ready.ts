import type { Server } from 'node:http';

/** What a benchmark child process sends its parent over IPC once it listens. */
export interface ChildReadyMessage {
  ready: true;
  port: number;
}

/** Listens on a random loopback port and tells the parent (started with `fork`) which one. */
export function listenAndReport(server: Server): void {
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('server has no address');
    const message: ChildReadyMessage = { ready: true, port: address.port };
    process.send?.(message);
  });
  // The parent closes the IPC channel when it is done with us.
  process.on('disconnect', () => process.exit(0));
}
