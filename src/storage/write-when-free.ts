import type Database from 'better-sqlite3';

/** How long a write on the gateway's connection keeps trying while another connection writes. */
const WRITE_WAIT_MS = 5_000;

/**
 * Runs `write` (synchronous better-sqlite3 statements) on an SQLite connection without SQLite's
 * busy handler: while another connection holds the write lock (the request log's writer thread, a
 * few milliseconds per batch), `write` is tried again a moment later and the event loop serves
 * requests meanwhile. The busy handler slept on the event loop instead, and every request in
 * flight waited with it. Throws SQLITE_BUSY after `waitMs`, as the handler would have.
 *
 * A transaction that read before it wrote is run again, whole, when another connection committed
 * in between (SQLITE_BUSY_SNAPSHOT: SQLite will not write from the older snapshot, and its busy
 * handler would not have waited that out either); better-sqlite3 has rolled it back by then.
 */
export async function writeWhenFree<T>(db: Database.Database, write: () => T, waitMs = WRITE_WAIT_MS): Promise<T> {
  const deadline = performance.now() + waitMs;
  for (let pause = 1; ; pause = Math.min(pause * 2, 25)) {
    const busyTimeout = db.pragma('busy_timeout', { simple: true }) as number;
    db.pragma('busy_timeout = 0');
    try {
      return write();
    } catch (error) {
      if (!isBusy(error) || performance.now() >= deadline) throw error;
    } finally {
      db.pragma(`busy_timeout = ${busyTimeout}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, SQLITE_BUSY_RECOVERY, SQLITE_BUSY_TIMEOUT). */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'));
}
