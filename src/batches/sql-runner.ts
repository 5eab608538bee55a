import type Database from 'better-sqlite3';
import type pg from 'pg';
import { writeWhenFree } from '../storage/write-when-free.js';

/** The few SQL calls the files and batches store makes, over SQLite or PostgreSQL (`?` placeholders). */
export interface SqlRunner {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs a statement; resolves with the rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  all<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

export function sqliteRunner(db: Database.Database): SqlRunner {
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  return {
    dialect: 'sqlite',
    // Writes wait for the request log's writer thread without blocking the event loop (see writeWhenFree).
    run: async (sql, params = []) => {
      const statement = prepared(sql);
      return (await writeWhenFree(db, () => statement.run(...params))).changes;
    },
    all: async <Row>(sql: string, params: readonly unknown[] = []) => prepared(sql).all(...params) as Row[],
  };
}

export function postgresRunner(pool: pg.Pool): SqlRunner {
  const numbered = new Map<string, string>();
  const text = (sql: string): string => {
    let found = numbered.get(sql);
    if (found === undefined) {
      let index = 0;
      found = sql.replace(/\?/g, () => `$${++index}`);
      numbered.set(sql, found);
    }
    return found;
  };
  return {
    dialect: 'postgres',
    run: async (sql, params = []) => (await pool.query(text(sql), [...params])).rowCount ?? 0,
    all: async <Row>(sql: string, params: readonly unknown[] = []) => (await pool.query(text(sql), [...params])).rows as Row[],
  };
}
