import cluster, { type Worker } from 'node:cluster';

/**
 * Requests from a `tollgate --workers N` worker to the primary over the cluster's IPC channel, and
 * the primary's answers. Messages use the cluster's `advanced` serialization (structured clone), so
 * numbers such as Infinity cross intact. Each request carries an id; a worker without a primary
 * (not under cluster) must not call `askPrimary`.
 */
interface IpcRequest {
  readonly id: number;
  readonly type: string;
  readonly payload: unknown;
}

interface IpcReply {
  readonly id: number;
  readonly value?: unknown;
  readonly error?: string;
}

interface IpcRequests {
  readonly tollgate: 'requests';
  readonly requests: readonly IpcRequest[];
}

interface IpcReplies {
  readonly tollgate: 'replies';
  readonly replies: readonly IpcReply[];
}

/** A message from the primary that no request asked for (see noticeWorker). */
interface IpcNotice {
  readonly tollgate: 'notice';
  readonly type: string;
  readonly payload: unknown;
}

/** Whether this process is a worker forked by `tollgate --workers` (not any cluster worker). */
export function isGatewayWorker(): boolean {
  return cluster.isWorker && process.env.TOLLGATE_WORKER === '1';
}

/**
 * The worker's slot under `--workers N`, 1 to N, stable across restarts of the cluster and kept by a
 * worker that replaces a dead one: what names a file a worker keeps of its own (the embedded semantic
 * index). Undefined outside `--workers`.
 */
export const WORKER_SLOT: number | undefined = isGatewayWorker() && process.env.TOLLGATE_WORKER_SLOT !== undefined ? Number(process.env.TOLLGATE_WORKER_SLOT) : undefined;

/** The worker's pid as response-header text, or undefined outside `--workers`. Read once. */
export const WORKER_PID: string | undefined = isGatewayWorker() ? String(process.pid) : undefined;

let nextId = 1;
const pending = new Map<number, { type: string; deadline: number; resolve(value: unknown): void; reject(error: Error): void }>();
let listening = false;

/** How long a request to the primary may take before it fails (the primary is on this machine). */
const ASK_TIMEOUT_MS = 10_000;
/**
 * One coarse timer fails the requests that outlived ASK_TIMEOUT_MS (within a second of it), instead
 * of a timer set and cleared per request: a worker makes two or three requests per request it serves.
 */
const SWEEP_MS = 1_000;
let sweeper: NodeJS.Timeout | undefined;

function sweepExpired(): void {
  const now = Date.now();
  // Requests are kept in the order they were made: the expired ones come first.
  for (const [id, waiting] of pending) {
    if (waiting.deadline > now) break;
    pending.delete(id);
    waiting.reject(new Error(`the primary did not answer ${waiting.type} within ${ASK_TIMEOUT_MS} ms`));
  }
  if (pending.size === 0 && sweeper !== undefined) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

export function askPrimary<T>(type: string, payload: unknown): Promise<T> {
  if (!listening) {
    listening = true;
    process.on('message', (message: IpcReplies) => {
      if (message === null || typeof message !== 'object' || message.tollgate !== 'replies') return;
      for (const reply of message.replies) {
        const waiting = pending.get(reply.id);
        if (waiting === undefined) continue;
        pending.delete(reply.id);
        if (reply.error !== undefined) waiting.reject(new Error(reply.error));
        else waiting.resolve(reply.value);
      }
    });
  }
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    if (process.send === undefined || !process.connected) return reject(new Error('the primary process is gone'));
    pending.set(id, { type, deadline: Date.now() + ASK_TIMEOUT_MS, resolve: resolve as (value: unknown) => void, reject });
    if (sweeper === undefined) {
      sweeper = setInterval(sweepExpired, SWEEP_MS);
      sweeper.unref();
    }
    outbox.push({ id, type, payload });
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushOutbox);
    }
  });
}

/**
 * Requests made in one turn of the event loop go as one message (under load, dozens of ledger
 * calls): a message costs a system call and an event on each side, whatever its size.
 */
let outbox: IpcRequest[] = [];
let flushScheduled = false;

function flushOutbox(): void {
  flushScheduled = false;
  const requests = outbox;
  outbox = [];
  if (requests.length === 0) return;
  const fail = (error: Error) => {
    for (const request of requests) {
      const waiting = pending.get(request.id);
      pending.delete(request.id);
      waiting?.reject(error);
    }
  };
  if (process.send === undefined || !process.connected) return fail(new Error('the primary process is gone'));
  const message: IpcRequests = { tollgate: 'requests', requests };
  process.send(message, undefined, undefined, (error: Error | null) => {
    if (error !== null) fail(error);
  });
}

export type PrimaryHandler = (payload: unknown, worker: Worker) => unknown;

/** In the primary: answers workers' requests of each type with its handler (sync or async; a throw is sent back as the error). Replies to one worker in one turn go as one message. */
export function answerWorkers(handlers: Readonly<Record<string, PrimaryHandler>>): void {
  const outboxes = new Map<Worker, IpcReply[]>();
  const reply = (worker: Worker, body: IpcReply) => {
    let outbox = outboxes.get(worker);
    if (outbox === undefined) {
      outboxes.set(worker, (outbox = []));
      setImmediate(() => {
        outboxes.delete(worker);
        if (worker.isConnected()) worker.send({ tollgate: 'replies', replies: outbox! } satisfies IpcReplies);
      });
    }
    outbox.push(body);
  };
  cluster.on('message', (worker, message: IpcRequests) => {
    if (message === null || typeof message !== 'object' || message.tollgate !== 'requests') return;
    for (const request of message.requests) {
      const handler = handlers[request.type];
      if (handler === undefined) {
        reply(worker, { id: request.id, error: `unknown request ${request.type}` });
        continue;
      }
      let value: unknown;
      try {
        value = handler(request.payload, worker);
      } catch (error) {
        reply(worker, { id: request.id, error: (error as Error)?.message ?? String(error) });
        continue;
      }
      if (!(value instanceof Promise)) {
        reply(worker, { id: request.id, value });
        continue;
      }
      value.then(
        (resolved: unknown) => reply(worker, { id: request.id, value: resolved }),
        (error: unknown) => reply(worker, { id: request.id, error: (error as Error)?.message ?? String(error) }),
      );
    }
  });
}

/** In the primary: tells one worker something, with no answer expected (see onPrimaryNotice). */
export function noticeWorker(worker: Worker, type: string, payload: unknown): void {
  if (worker.isConnected()) worker.send({ tollgate: 'notice', type, payload } satisfies IpcNotice);
}

/** In a worker: handles the primary's notices of `type` (noticeWorker). */
export function onPrimaryNotice(type: string, handler: (payload: unknown) => void): void {
  process.on('message', (message: IpcNotice) => {
    if (message !== null && typeof message === 'object' && message.tollgate === 'notice' && message.type === type) handler(message.payload);
  });
}
