import cluster, { type Worker } from 'node:cluster';

/**
 * Requests from a `tollgate --workers N` worker to the primary over the cluster's IPC channel, and
 * the primary's answers. Messages use the cluster's `advanced` serialization (structured clone), so
 * numbers such as Infinity cross intact. Each request carries an id; a worker without a primary
 * (not under cluster) must not call `askPrimary`.
 */
interface IpcRequest {
  readonly tollgate: 'request';
  readonly id: number;
  readonly type: string;
  readonly payload: unknown;
}

interface IpcReply {
  readonly tollgate: 'reply';
  readonly id: number;
  readonly value?: unknown;
  readonly error?: string;
}

/** Whether this process is a worker forked by `tollgate --workers` (not any cluster worker). */
export function isGatewayWorker(): boolean {
  return cluster.isWorker && process.env.TOLLGATE_WORKER === '1';
}

/** The worker's pid as response-header text, or undefined outside `--workers`. Read once. */
export const WORKER_PID: string | undefined = isGatewayWorker() ? String(process.pid) : undefined;

let nextId = 1;
const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
let listening = false;

/** How long a request to the primary may take before it fails (the primary is on this machine). */
const ASK_TIMEOUT_MS = 10_000;

export function askPrimary<T>(type: string, payload: unknown): Promise<T> {
  if (!listening) {
    listening = true;
    process.on('message', (message: IpcReply) => {
      if (message === null || typeof message !== 'object' || message.tollgate !== 'reply') return;
      const waiting = pending.get(message.id);
      if (waiting === undefined) return;
      pending.delete(message.id);
      if (message.error !== undefined) waiting.reject(new Error(message.error));
      else waiting.resolve(message.value);
    });
  }
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    if (process.send === undefined || !process.connected) return reject(new Error('the primary process is gone'));
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error(`the primary did not answer ${type} within ${ASK_TIMEOUT_MS} ms`));
    }, ASK_TIMEOUT_MS);
    timer.unref();
    pending.set(id, {
      resolve: (value) => {
        clearTimeout(timer);
        resolve(value as T);
      },
      reject: (error) => {
        clearTimeout(timer);
        reject(error);
      },
    });
    const request: IpcRequest = { tollgate: 'request', id, type, payload };
    process.send(request, undefined, undefined, (error: Error | null) => {
      if (error === null) return;
      pending.delete(id);
      clearTimeout(timer);
      reject(error);
    });
  });
}

export type PrimaryHandler = (payload: unknown, worker: Worker) => unknown;

/** In the primary: answers workers' requests of each type with its handler (sync or async; a throw is sent back as the error). */
export function answerWorkers(handlers: Readonly<Record<string, PrimaryHandler>>): void {
  cluster.on('message', (worker, message: IpcRequest) => {
    if (message === null || typeof message !== 'object' || message.tollgate !== 'request') return;
    const handler = handlers[message.type];
    const reply = (body: Omit<IpcReply, 'tollgate' | 'id'>) => {
      if (worker.isConnected()) worker.send({ tollgate: 'reply', id: message.id, ...body } satisfies IpcReply);
    };
    if (handler === undefined) return reply({ error: `unknown request ${message.type}` });
    try {
      Promise.resolve(handler(message.payload, worker)).then(
        (value) => reply({ value }),
        (error: unknown) => reply({ error: (error as Error)?.message ?? String(error) }),
      );
    } catch (error) {
      reply({ error: (error as Error)?.message ?? String(error) });
    }
  });
}
