import type { SqlDatabase } from './sql-database.js';

export interface Migration {
  version: number;
  /** Statements per dialect, run in one transaction. `{prefix}` is replaced by the table prefix. */
  sqlite: string[];
  postgres: string[];
}

/**
 * Applies the migrations of one component (`request_log`, `audit_log`) that are newer than the
 * version recorded in `<prefix>migrations`. On PostgreSQL an advisory lock keeps replicas that start
 * together from migrating twice.
 */
export async function migrate(database: SqlDatabase, prefix: string, component: string, migrations: readonly Migration[]): Promise<void> {
  await database.transaction(async (transaction) => {
    if (transaction.dialect === 'postgres') await transaction.query('select pg_advisory_xact_lock(hashtext(?))', [`${prefix}migrations`]);
    await transaction.execute(`create table if not exists ${prefix}migrations (component text not null, version integer not null, applied_at text not null, primary key (component, version))`);
    const rows = await transaction.query<{ version: number | string | null }>(`select max(version) as version from ${prefix}migrations where component = ?`, [component]);
    const current = Number(rows[0]?.version ?? 0);
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      for (const statement of transaction.dialect === 'sqlite' ? migration.sqlite : migration.postgres) await transaction.execute(statement.replaceAll('{prefix}', prefix));
      await transaction.execute(`insert into ${prefix}migrations (component, version, applied_at) values (?, ?, ?)`, [component, migration.version, new Date().toISOString()]);
    }
  });
}
