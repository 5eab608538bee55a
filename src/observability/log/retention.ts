import type { Logger } from '../../lib/logger.js';
import type { LogStore } from './log-store.js';

const DAY_MS = 86_400_000;

/** Deletes records older than `days` now and then every `intervalMs`. Returns a stop function. */
export function scheduleRetention(store: LogStore, days: number, logger: Logger, intervalMs = 3_600_000, now: () => number = Date.now): () => void {
  if (days <= 0) return () => {};
  const sweep = async () => {
    try {
      const deleted = await store.deleteBefore(now() - days * DAY_MS);
      if (deleted > 0) logger.info('request log retention', { deleted, retention_days: days });
    } catch (error) {
      logger.error('request log retention failed', { error });
    }
  };
  const first = setTimeout(() => void sweep(), 10_000);
  const timer = setInterval(() => void sweep(), intervalMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
