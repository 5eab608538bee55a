import cluster, { type Worker } from 'node:cluster';
import { askPrimary, noticeWorker, onPrimaryNotice, type PrimaryHandler } from '../../lib/cluster-ipc.js';
import type { LiveTail } from './live-tail.js';
import type { RequestRecord } from './request-record.js';

/** Worker → primary: whether this worker has watchers now. */
const TAIL_WATCH = 'tail-watch';
/** Worker → primary: records this worker logged, for the other workers' watchers. */
const TAIL_RECORDS = 'tail-records';
/** Primary → worker: whether to send its records (some other worker has watchers). */
const TAIL_SHARE = 'tail-share';
/** Primary → worker: other workers' records, for this worker's watchers. */
const TAIL_FORWARD = 'tail-forward';

/**
 * The live tail under `tollgate --workers N`, in a worker: a watcher's WebSocket lands on one worker,
 * and sees every worker's records. While some worker has a watcher, the primary has every other worker
 * send it the records it logs and passes them on to the workers with watchers; while nobody watches,
 * nothing crosses the processes. Returns what the request log's write calls with each batch of
 * records this worker logs.
 */
export function shareTailAcrossWorkers(tail: LiveTail): (records: readonly RequestRecord[]) => void {
  let sharing = false;
  onPrimaryNotice(TAIL_SHARE, (on) => (sharing = on === true));
  onPrimaryNotice(TAIL_FORWARD, (records) => tail.publish(records as RequestRecord[]));
  // A primary that is gone takes the cluster with it: nothing to do about a failed notice here.
  tail.onWatching((watching) => void askPrimary(TAIL_WATCH, watching).catch(() => undefined));
  return (records) => {
    if (sharing && records.length > 0) void askPrimary(TAIL_RECORDS, records).catch(() => undefined);
  };
}

/** In the primary: the workers' side of shareTailAcrossWorkers (which workers watch, and the records passed between them). */
export function primaryTailHandlers(): Record<string, PrimaryHandler> {
  const watching = new Set<Worker>();
  /** A worker sends its records only when some other worker has a watcher (its own watchers see them already). */
  const othersWatch = (worker: Worker) => watching.size > (watching.has(worker) ? 1 : 0);
  const share = () => {
    for (const worker of Object.values(cluster.workers ?? {})) if (worker !== undefined) noticeWorker(worker, TAIL_SHARE, othersWatch(worker));
  };
  // A worker forked while someone watches (a replacement, say) starts sending at once.
  cluster.on('online', (worker) => {
    if (othersWatch(worker)) noticeWorker(worker, TAIL_SHARE, true);
  });
  cluster.on('exit', (worker) => {
    if (watching.delete(worker)) share();
  });
  return {
    [TAIL_WATCH](payload, worker) {
      const was = watching.has(worker);
      if (payload === true) watching.add(worker);
      else watching.delete(worker);
      if (watching.has(worker) !== was) share();
      return undefined;
    },
    [TAIL_RECORDS](payload, worker) {
      for (const watcher of watching) if (watcher !== worker) noticeWorker(watcher, TAIL_FORWARD, payload);
      return undefined;
    },
  };
}
