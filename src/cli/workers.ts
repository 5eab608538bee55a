import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { primaryCacheHandlers } from '../cache/cluster-cache.js';
import type { GatewayConfig } from '../config/schema.js';
import { primarySpendHandlers } from '../governance/primary-spend-store.js';
import { answerWorkers, type PrimaryHandler } from '../lib/cluster-ipc.js';
import type { Logger } from '../lib/logger.js';
import { primaryTailHandlers } from '../observability/log/cluster-tail.js';
import { openLogStore } from '../observability/log/open-log-store.js';
import type { LogStore } from '../observability/log/log-store.js';
import { LOG_DELETE, LOG_INSERT } from '../observability/log/primary-log-store.js';
import type { SqlValue } from '../storage/sql-database.js';
import { openStorage, type Storage } from '../storage/storage.js';

/** A request log that stores records given as their parameters (SqliteLogStore, WorkerLogStore). */
interface ValuesLogStore {
  insertValues(values: (SqlValue | undefined)[]): Promise<number>;
}

/** A worker that dies is forked again after this pause, doubled per death in a row (up to 30 s). */
const RESTART_BASE_MS = 500;
const RESTART_MAX_MS = 30_000;
/** A worker that served this long before it died resets the pause. */
const STABLE_MS = 60_000;

/**
 * `tollgate --workers N`: this process becomes the cluster's primary. It forks N workers (each a
 * full gateway, sharing the listen port through node:cluster), the first one alone so that it runs
 * storage migrations and seeds entities alone, then the others together; it forks a worker again when one dies; on
 * SIGTERM or SIGINT it has every worker drain (each gets SIGTERM and finishes its requests within
 * `server.shutdown_grace_ms`) and exits 0 when they all exited 0; SIGHUP is passed on (reload).
 *
 * It also answers the workers over IPC: `/metrics` (every worker's registry, counters and
 * histograms summed by prom-client's AggregatorRegistry), the live tail's records while some worker
 * has a watcher (cluster-tail.ts), the SQLite cache store's news between workers (cluster-cache.ts) and, with the memory ledger, the shared budget and rate-limit
 * counters (see PrimarySpendStore).
 */
export function runPrimary(count: number, config: GatewayConfig, logger: Logger): Promise<number> {
  cluster.setupPrimary({ serialization: 'advanced' });
  const aggregator = new AggregatorRegistry();
  const handlers: Record<string, PrimaryHandler> = { metrics: () => aggregator.clusterMetrics(), ...primaryTailHandlers(), ...primaryCacheHandlers() };
  if (config.governance.spend_store.type === 'memory') Object.assign(handlers, primarySpendHandlers());
  const requestLog = singleWriterLog(config, logger);
  if (requestLog !== undefined) Object.assign(handlers, requestLog.handlers);
  answerWorkers(handlers);

  return new Promise<number>((resolve) => {
    let stopping = false;
    let everListened = false;
    let deathsInARow = 0;
    let failed = false;
    const started = new Map<Worker, number>();
    /** Each worker's slot, 1 to `count`: a replacement takes the slot of the worker it replaces (see WORKER_SLOT). */
    const slots = new Map<Worker, number>();
    const freeSlot = () => {
      const taken = new Set(slots.values());
      let slot = 1;
      while (taken.has(slot)) slot++;
      return slot;
    };

    const fork = (): Promise<boolean> =>
      new Promise((done) => {
        const slot = freeSlot();
        const worker = cluster.fork({ TOLLGATE_WORKER: '1', TOLLGATE_WORKER_SLOT: String(slot) });
        slots.set(worker, slot);
        started.set(worker, Date.now());
        const onListening = () => {
          everListened = true;
          worker.off('exit', onEarlyExit);
          done(true);
        };
        const onEarlyExit = () => {
          worker.off('listening', onListening);
          done(false);
        };
        worker.once('listening', onListening);
        worker.once('exit', onEarlyExit);
      });

    cluster.on('exit', (worker, code, signal) => {
      const since = started.get(worker) ?? Date.now();
      started.delete(worker);
      slots.delete(worker);
      if (stopping) {
        // A worker still starting has no SIGTERM handler yet: ended by our signal, it lost nothing.
        if (code !== 0 && signal !== 'SIGTERM') {
          failed = true;
          logger.error('worker stopped with a failure', { pid: worker.process.pid, code, signal });
        }
        if (Object.keys(cluster.workers ?? {}).length === 0) finish();
        return;
      }
      if (!everListened) {
        // The first worker could not start (bad config, storage unreachable): its exit code is ours.
        logger.error('worker failed to start; stopping', { pid: worker.process.pid, code, signal });
        stopping = true;
        failed = true;
        for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
        if (Object.keys(cluster.workers ?? {}).length === 0) finish(code ?? 1);
        return;
      }
      deathsInARow = Date.now() - since >= STABLE_MS ? 1 : deathsInARow + 1;
      const pauseMs = Math.min(RESTART_BASE_MS * 2 ** (deathsInARow - 1), RESTART_MAX_MS);
      logger.error('worker died; starting another', { pid: worker.process.pid, code, signal, restart_in_ms: pauseMs });
      setTimeout(() => {
        if (!stopping) void fork();
      }, pauseMs).unref();
    });

    let exitCode: number | undefined;
    const finish = (code?: number) => {
      if (exitCode !== undefined) return;
      exitCode = code ?? (failed ? 1 : 0);
      const done = exitCode;
      void (requestLog?.close() ?? Promise.resolve())
        .catch((error: unknown) => logger.error('request log failed to close', { error }))
        .then(() => {
          logger.info('all workers stopped', { exit_code: done });
          logger.flush();
          resolve(done);
        });
    };

    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info('shutting down workers', { signal, workers: Object.keys(cluster.workers ?? {}).length, grace_ms: config.server.shutdown_grace_ms });
      const alive = Object.values(cluster.workers ?? {});
      if (alive.length === 0) return finish();
      for (const worker of alive) worker?.process.kill('SIGTERM');
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGHUP');
    });

    void (async () => {
      // The first worker alone (it migrates storage and seeds entities), then the others together.
      if (!(await fork())) return;
      const rest = await Promise.all(Array.from({ length: stopping ? 0 : count - 1 }, fork));
      if (!stopping && rest.every(Boolean)) logger.info('workers started', { workers: count, primary_pid: process.pid });
    })();
  });
}

/**
 * On an SQLite file, the primary is the request log's one writer: workers send their batches and
 * retention sweeps here (PrimaryLogStore), and one writer thread stores them. Opened on the first
 * batch, after the first worker has migrated the file.
 */
function singleWriterLog(config: GatewayConfig, logger: Logger): { handlers: Record<string, PrimaryHandler>; close(): Promise<void> } | undefined {
  const { storage } = config;
  if (!config.observability.request_log || storage.type !== 'sqlite' || storage.path === ':memory:' || storage.path === '') return undefined;
  let opened: Promise<{ store: LogStore & ValuesLogStore; storage: Storage }> | undefined;
  const open = () =>
    (opened ??= (async () => {
      const database = await openStorage(storage);
      // On a file, outside a worker: the WorkerLogStore (its writer thread).
      const store = (await openLogStore(database, logger)) as LogStore & Partial<ValuesLogStore>;
      if (store.insertValues === undefined) throw new Error('the request log on this storage takes no batches of values');
      return { storage: database, store: store as LogStore & ValuesLogStore };
    })());
  return {
    handlers: {
      // Records as their parameters, repeats elided (see PrimaryLogStore.insert).
      [LOG_INSERT]: async (values) => (await open()).store.insertValues(values as (SqlValue | undefined)[]),
      [LOG_DELETE]: async (epochMs) => (await open()).store.deleteBefore(epochMs as number),
    },
    async close() {
      if (opened === undefined) return;
      const { store, storage: database } = await opened;
      await store.close?.();
      await database.close();
    },
  };
}
