import cluster from 'node:cluster';
import { askPrimary, noticeWorker, onPrimaryNotice, type PrimaryHandler } from '../lib/cluster-ipc.js';
import type { StoreNews } from './sqlite-exact-store.js';

/** Worker → primary: news of this worker's exact store, for the other workers. */
const CACHE_NEWS = 'cache-news';
/** Primary → worker: another worker's news. */
const CACHE_FORWARD = 'cache-forward';

/** The part of the SQLite exact store the workers' link needs. */
export interface SharedStore {
  share(send: (news: StoreNews) => void): void;
  hear(news: StoreNews): void;
}

/**
 * The SQLite exact store under `tollgate --workers N`, in a worker: every worker writes the same
 * file, and each tells the others (through the primary) of the answers it wrote and of what an
 * admin deleted, so an answer stored by one worker is a hit on every worker within one write batch,
 * and `DELETE /admin/cache…` on any worker clears them all. Answers themselves do not cross the
 * processes: a worker reads one from the file the first time it is hit there.
 */
export function shareStoreAcrossWorkers(store: SharedStore): void {
  onPrimaryNotice(CACHE_FORWARD, (news) => store.hear(news as StoreNews));
  // A primary that is gone takes the cluster with it: nothing to do about a failed notice here.
  store.share((news) => void askPrimary(CACHE_NEWS, news).catch(() => undefined));
}

/** In the primary: passes each worker's store news on to every other worker. */
export function primaryCacheHandlers(): Record<string, PrimaryHandler> {
  return {
    [CACHE_NEWS](payload, from) {
      for (const worker of Object.values(cluster.workers ?? {})) if (worker !== undefined && worker !== from) noticeWorker(worker, CACHE_FORWARD, payload);
      return undefined;
    },
  };
}
