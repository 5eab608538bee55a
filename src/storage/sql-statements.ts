import { postgresDatabase, sqliteDatabase, type SqlDatabase, type SqlParam } from './sql-database.js';
import type { PostgresStorage, SqliteStorage } from './storage.js';

/**
 * A small table of a feature on SQLite or PostgreSQL (SqlDatabase): its `create table if not exists`
 * statements run once, before the first query. A write answers the rows of its `returning` clause.
 */
export class SqlStatements {
  private ready: Promise<void> | undefined;
  private readonly database: SqlDatabase;

  constructor(
    storage: SqliteStorage | PostgresStorage,
    private readonly create: readonly string[],
  ) {
    this.database = storage.kind === 'postgres' ? postgresDatabase(storage.pool) : sqliteDatabase(storage.db);
  }

  async query<Row>(sql: string, params: readonly SqlParam[] = [], write = false): Promise<Row[]> {
    this.ready ??= this.createTables();
    await this.ready;
    return write ? this.database.write<Row>(sql, params) : this.database.query<Row>(sql, params);
  }

  private async createTables(): Promise<void> {
    for (const statement of this.create) await this.database.execute(statement);
  }
}
