import type Database from 'better-sqlite3';
import type pg from 'pg';
import { writeWhenFree } from '../storage/write-when-free.js';
import type { ResponseStore, StoredRow } from './response-store.js';

const TABLE = 'stored_responses';

const CREATE = [
  `create table if not exists ${TABLE} (id text primary key, owner text not null, status text not null, background integer not null, created_at bigint not null, expires_at bigint not null, response text not null, input_items text not null)`,
  `create index if not exists ${TABLE}_expires_at on ${TABLE} (expires_at)`,
];

interface Row {
  id: string;
  owner: string;
  status: string;
  background: number | string;
  created_at: number | string;
  expires_at: number | string;
  response: string;
  input_items: string;
}

function fromRow(row: Row): StoredRow {
  return {
    id: row.id,
    owner: row.owner,
    status: row.status,
    background: Number(row.background) === 1,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    response: row.response,
    inputItems: row.input_items,
  };
}

function values(row: StoredRow): [string, string, string, number, number, number, string, string] {
  return [row.id, row.owner, row.status, row.background ? 1 : 0, row.createdAt, row.expiresAt, row.response, row.inputItems];
}

/** Rows written in one transaction at most. */
const MAX_BATCH = 500;

/**
 * Stored responses in the gateway's SQLite file. New rows are written in batches, one transaction
 * per turn of the event loop (a commit per answer cost about 0.5 ms of the event loop under load,
 * a row of a batch a small part of that); writes wait politely for other connections' locks
 * (writeWhenFree).
 */
export class SqliteResponseStore implements ResponseStore {
  private queue: { row: StoredRow; done: (error?: unknown) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private readonly statements: {
    insert: Database.Statement;
    get: Database.Statement;
    finish: Database.Statement;
    delete: Database.Statement;
    purge: Database.Statement;
  };

  constructor(private readonly db: Database.Database) {
    for (const statement of CREATE) db.exec(statement);
    this.statements = {
      insert: db.prepare(`insert or replace into ${TABLE} (id, owner, status, background, created_at, expires_at, response, input_items) values (?, ?, ?, ?, ?, ?, ?, ?)`),
      get: db.prepare(`select * from ${TABLE} where id = ? and expires_at > ?`),
      finish: db.prepare(`update ${TABLE} set status = ?, response = ? where id = ? and status in (select value from json_each(?))`),
      delete: db.prepare(`delete from ${TABLE} where id = ?`),
      purge: db.prepare(`delete from ${TABLE} where expires_at <= ?`),
    };
  }

  insert(row: StoredRow): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, done: (error) => (error === undefined ? resolve() : reject(error)) });
      this.flushing ??= new Promise<void>((started) => setImmediate(started)).then(() => this.flush());
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        await writeWhenFree(this.db, () =>
          this.db.transaction(() => {
            for (const { row } of batch) this.statements.insert.run(...values(row));
          })(),
        );
        for (const { done } of batch) done();
      } catch (error) {
        for (const { done } of batch) done(error);
      }
    }
    this.flushing = undefined;
  }

  async get(id: string, now: number): Promise<StoredRow | undefined> {
    const row = this.statements.get.get(id, now) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  async finish(id: string, from: readonly string[], status: string, response: string): Promise<boolean> {
    return (await writeWhenFree(this.db, () => this.statements.finish.run(status, response, id, JSON.stringify(from)))).changes > 0;
  }

  async delete(id: string): Promise<boolean> {
    return (await writeWhenFree(this.db, () => this.statements.delete.run(id))).changes > 0;
  }

  async purge(now: number): Promise<number> {
    return (await writeWhenFree(this.db, () => this.statements.purge.run(now))).changes;
  }
}

/** Stored responses in PostgreSQL, shared by every replica on the database. */
export class PostgresResponseStore implements ResponseStore {
  private constructor(private readonly pool: pg.Pool) {}

  static async open(pool: pg.Pool): Promise<PostgresResponseStore> {
    const client = await pool.connect();
    try {
      // Replicas starting together create the table once.
      await client.query('begin');
      await client.query('select pg_advisory_xact_lock(hashtext($1))', [TABLE]);
      for (const statement of CREATE) await client.query(statement);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
    return new PostgresResponseStore(pool);
  }

  async insert(row: StoredRow): Promise<void> {
    await this.pool.query(
      `insert into ${TABLE} (id, owner, status, background, created_at, expires_at, response, input_items) values ($1, $2, $3, $4, $5, $6, $7, $8)
       on conflict (id) do update set owner = excluded.owner, status = excluded.status, background = excluded.background, created_at = excluded.created_at, expires_at = excluded.expires_at, response = excluded.response, input_items = excluded.input_items`,
      values(row),
    );
  }

  async get(id: string, now: number): Promise<StoredRow | undefined> {
    const result = await this.pool.query<Row>(`select * from ${TABLE} where id = $1 and expires_at > $2`, [id, now]);
    const row = result.rows[0];
    return row === undefined ? undefined : fromRow(row);
  }

  async finish(id: string, from: readonly string[], status: string, response: string): Promise<boolean> {
    const result = await this.pool.query(`update ${TABLE} set status = $1, response = $2 where id = $3 and status = any($4::text[])`, [status, response, id, [...from]]);
    return (result.rowCount ?? 0) > 0;
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.pool.query(`delete from ${TABLE} where id = $1`, [id]);
    return (result.rowCount ?? 0) > 0;
  }

  async purge(now: number): Promise<number> {
    const result = await this.pool.query(`delete from ${TABLE} where expires_at <= $1`, [now]);
    return result.rowCount ?? 0;
  }
}
