import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The development PostgreSQL (127.0.0.1:5432, database `test`, trust auth). */
export const POSTGRES_URL = process.env.TOLLGATE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A table prefix no other test run uses. */
export function uniquePrefix(): string {
  return `t${randomBytes(5).toString('hex')}_`;
}

/** Drops every table whose name starts with `prefix`. */
export async function dropTables(pool: pg.Pool, prefix: string): Promise<void> {
  const { rows } = await pool.query<{ tablename: string }>("select tablename from pg_tables where schemaname = current_schema() and tablename like $1", [`${prefix}%`]);
  for (const { tablename } of rows) await pool.query(`drop table if exists "${tablename}" cascade`);
}

/** A schema of the test's own: `url` puts it on the search path, `admin` reaches it by name, `drop` removes it and everything in it. */
export interface FreshSchema {
  readonly name: string;
  readonly url: string;
  readonly admin: pg.Pool;
  drop(): Promise<void>;
}

export async function freshSchema(prefix: string): Promise<FreshSchema> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  await admin.query(`create schema ${name}`);
  const url = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${name}`)}`;
  return {
    name,
    url,
    admin,
    drop: async () => {
      await admin.query(`drop schema if exists ${name} cascade`);
      await admin.end();
    },
  };
}
