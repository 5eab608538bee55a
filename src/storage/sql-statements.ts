import type { PostgresStorage, SqliteStorage } from './storage.js';
import { writeWhenFree } from './write-when-free.js';

/**
 * A small table of a feature on SQLite or PostgreSQL: its `create table if not exists` statements
 * run once, before the first query, and statements written with `?` placeholders (renumbered to
 * `$n` for PostgreSQL). A write on SQLite waits for other connections without blocking the event
 * loop (writeWhenFree), and answers the rows of its `returning` clause.
 */
export class SqlStatements {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly storage: SqliteStorage | PostgresStorage,
    private readonly create: readonly string[],
  ) {}

  async query<Row>(sql: string, params: readonly (string | number | null)[] = [], write = false): Promise<Row[]> {
    this.ready ??= this.createTables();
    await this.ready;
    const storage = this.storage;
    if (storage.kind === 'postgres') {
      let index = 0;
      const result = await storage.pool.query(sql.replace(/\?/g, () => `$${++index}`), [...params]);
      return result.rows as Row[];
    }
    const statement = storage.db.prepare(sql);
    if (!write) return statement.all(...params) as Row[];
    return writeWhenFree(storage.db, () => (statement.reader ? (statement.all(...params) as Row[]) : (statement.run(...params), [] as Row[])));
  }

  private async createTables(): Promise<void> {
    const storage = this.storage;
    for (const statement of this.create) {
      if (storage.kind === 'postgres') await storage.pool.query(statement);
      else await writeWhenFree(storage.db, () => storage.db.exec(statement));
    }
  }
}
