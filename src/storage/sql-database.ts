import type Database from 'better-sqlite3';
import type pg from 'pg';
import { inPostgresTransaction } from './postgres-transaction.js';
import { writeWhenFree } from './write-when-free.js';

export type SqlValue = string | number | boolean | null;
/** What a statement's `?` takes: a value, or bytes (a BLOB on SQLite, `bytea` on PostgreSQL). */
export type SqlParam = SqlValue | Uint8Array;

/**
 * The little of SQL the features' stores need (the request log, the audit chain, files and batches,
 * stored definitions), over SQLite (better-sqlite3) or PostgreSQL (pg.Pool), so each store is one
 * implementation. Statements use `?` placeholders; PostgreSQL gets them renumbered to `$n`. Writes on
 * SQLite wait for another connection's lock without blocking the event loop (writeWhenFree).
 */
export interface SqlDatabase {
  readonly dialect: 'sqlite' | 'postgres';
  query<Row>(sql: string, params?: readonly SqlParam[]): Promise<Row[]>;
  /** Returns the number of rows changed. */
  execute(sql: string, params?: readonly SqlParam[]): Promise<number>;
  /** A write whose `returning` rows come back. */
  write<Row>(sql: string, params?: readonly SqlParam[]): Promise<Row[]>;
  /** Runs `work` in one transaction (PostgreSQL: on one pooled connection). */
  transaction<T>(work: (database: SqlDatabase) => Promise<T>): Promise<T>;
}

export function sqliteDatabase(db: Database.Database): SqlDatabase {
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      if (statements.size > 200) statements.clear();
      statements.set(sql, statement);
    }
    return statement;
  };
  const toSqlite = (params: readonly SqlParam[]) => params.map((value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value));
  const database: SqlDatabase = {
    dialect: 'sqlite',
    async query<Row>(sql: string, params: readonly SqlParam[] = []) {
      return prepare(sql).all(...toSqlite(params)) as Row[];
    },
    async write<Row>(sql: string, params: readonly SqlParam[] = []) {
      const statement = prepare(sql);
      const values = toSqlite(params);
      return writeWhenFree(db, () => (statement.reader ? (statement.all(...values) as Row[]) : (statement.run(...values), [] as Row[])));
    },
    async execute(sql, params = []) {
      if (params.length === 0 && sql.includes(';')) {
        await writeWhenFree(db, () => db.exec(sql));
        return 0;
      }
      const statement = prepare(sql);
      const values = toSqlite(params);
      return (await writeWhenFree(db, () => statement.run(...values))).changes;
    },
    async transaction(work) {
      // better-sqlite3 is synchronous: the work's statements run back to back on this connection.
      // Once BEGIN IMMEDIATE holds the write lock, none of them waits for another connection.
      await writeWhenFree(db, () => db.exec('BEGIN IMMEDIATE'));
      try {
        const result = await work(database);
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    },
  };
  return database;
}

function numbered(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

export function postgresDatabase(pool: pg.Pool | pg.PoolClient, inTransaction = false): SqlDatabase {
  return {
    dialect: 'postgres',
    async query<Row>(sql: string, params: readonly SqlParam[] = []) {
      const result = await pool.query(numbered(sql), [...params]);
      return result.rows as Row[];
    },
    async write<Row>(sql: string, params: readonly SqlParam[] = []) {
      const result = await pool.query(numbered(sql), [...params]);
      return result.rows as Row[];
    },
    async execute(sql, params = []) {
      const result = await pool.query(params.length === 0 ? sql : numbered(sql), [...params]);
      return result.rowCount ?? 0;
    },
    async transaction(work) {
      if (inTransaction) return work(this);
      return inPostgresTransaction(pool as pg.Pool, (client) => work(postgresDatabase(client, true)));
    },
  };
}
