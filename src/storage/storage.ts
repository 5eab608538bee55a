import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type pg from 'pg';

/**
 * The gateway's durable store: an embedded SQLite file by default, PostgreSQL for several
 * replicas, or memory for tests. Features (governance, request logs, audit) create their own
 * tables on it through their store implementations.
 */
export type Storage = SqliteStorage | PostgresStorage | MemoryStorage;

export interface SqliteStorage {
  readonly kind: 'sqlite';
  readonly db: Database.Database;
  readonly path: string;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface PostgresStorage {
  readonly kind: 'postgres';
  readonly pool: pg.Pool;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface MemoryStorage {
  readonly kind: 'memory';
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StorageConfig {
  type: 'sqlite' | 'postgres' | 'memory';
  path: string;
  url?: string | undefined;
}

export async function openStorage(config: StorageConfig): Promise<Storage> {
  if (config.type === 'memory') return { kind: 'memory', ping: async () => {}, close: async () => {} };
  if (config.type === 'postgres') {
    if (config.url === undefined) throw new Error('storage.url: required when storage.type is postgres. Fix: set it to a connection string like postgres://user@127.0.0.1:5432/tollgate');
    // Loaded only here, so the embedded default never pays pg's start-up time and memory.
    const { default: postgres } = await import('pg');
    const pool = new postgres.Pool({ connectionString: config.url, max: 10 });
    pool.on('error', () => {
      // Idle-client errors surface through ping() and queries; do not crash the process.
    });
    await pool.query('select 1');
    return {
      kind: 'postgres',
      pool,
      ping: async () => {
        await pool.query('select 1');
      },
      close: () => pool.end(),
    };
  }
  if (config.path !== ':memory:') await mkdir(dirname(config.path), { recursive: true });
  const db = new Database(config.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return {
    kind: 'sqlite',
    db,
    path: config.path,
    ping: async () => {
      db.prepare('select 1').get();
    },
    close: async () => {
      db.close();
    },
  };
}
