import cluster from 'node:cluster';
import { askPrimary, noticeWorker, onPrimaryNotice, type PrimaryHandler } from '../lib/cluster-ipc.js';
import type { VectorNews } from './semantic-cache.js';
import type { StoreNews } from './sqlite-exact-store.js';

/** Worker → primary: news of this worker's cache, for the other workers. */
const CACHE_NEWS = 'cache-news';
/** Primary → worker: another worker's news. */
const CACHE_FORWARD = 'cache-forward';

/** One piece of news: of the SQLite exact store, or of the embedded semantic index. */
type CacheNews = { readonly store: StoreNews } | { readonly vectors: VectorNews };

/** The part of the SQLite exact store the workers' link needs. */
export interface SharedStore {
  share(send: (news: StoreNews) => void): void;
  hear(news: StoreNews): void;
}

/** The part of the semantic layer the workers' link needs. */
export interface SharedVectors {
  shareVectors(send: (news: VectorNews) => void): void;
  hearVectors(news: VectorNews): void;
}

/**
 * The SQLite exact store under `tollgate --workers N`, in a worker: every worker writes the same
 * file, and each tells the others (through the primary) of the answers it wrote and of what an
 * admin deleted, so an answer stored by one worker is a hit on every worker within one write batch,
 * and `DELETE /admin/cache…` on any worker clears them all. Answers themselves do not cross the
 * processes: a worker reads one from the file the first time it is hit there.
 */
export function shareStoreAcrossWorkers(store: SharedStore): void {
  onForward((news) => {
    if ('store' in news) store.hear(news.store);
  });
  store.share((news) => send({ store: news }));
}

/**
 * The embedded semantic index under `tollgate --workers N`, in a worker: each worker keeps an index
 * of its own (and its own file), and tells the others of each vector it indexed and of the admin's
 * deletions, so a paraphrase of a prompt stored on one worker is found on every worker.
 */
export function shareVectorsAcrossWorkers(layer: SharedVectors): void {
  onForward((news) => {
    if ('vectors' in news) layer.hearVectors(news.vectors);
  });
  layer.shareVectors((news) => send({ vectors: news }));
}

/** In the primary: passes each worker's cache news on to every other worker. */
export function primaryCacheHandlers(): Record<string, PrimaryHandler> {
  return {
    [CACHE_NEWS](payload, from) {
      for (const worker of Object.values(cluster.workers ?? {})) if (worker !== undefined && worker !== from) noticeWorker(worker, CACHE_FORWARD, payload);
      return undefined;
    },
  };
}

function onForward(handle: (news: CacheNews) => void): void {
  onPrimaryNotice(CACHE_FORWARD, (news) => handle(news as CacheNews));
}

function send(news: CacheNews): void {
  // A primary that is gone takes the cluster with it: nothing to do about a failed notice here.
  void askPrimary(CACHE_NEWS, news).catch(() => undefined);
}
