import type { Storage } from '../storage/storage.js';
import { SqlStatements } from '../storage/sql-statements.js';

/** One row of `routing_routes`: a route defined through the admin API, or the tombstone of one reverted. */
export interface StoredRoute {
  name: string;
  /** The route's definition as JSON (the config's route schema, defaults applied); null once reverted. */
  definition: string | null;
  /** The store-wide revision of its last write: replicas re-apply when the highest one changes. */
  revision: number;
  updated_by: string;
  /** ISO time of the last write. */
  updated_at: string;
}

/**
 * Route definitions changed through `PUT /admin/routes/{name}`, over the config file's. Every write
 * bumps a store-wide revision (a revert leaves a tombstone), so a replica polling `revision()` sees
 * any change with one cheap query.
 */
export interface RouteStore {
  routes(): Promise<StoredRoute[]>;
  /** Writes a route's definition (null: reverted to the file's); returns the new revision. */
  put(name: string, definition: string | null, actor: string): Promise<number>;
  revision(): Promise<number>;
}

export function openRouteStore(storage: Storage): RouteStore {
  if (storage.kind === 'memory') return new MemoryRouteStore();
  return new SqlRouteStore(storage);
}

class MemoryRouteStore implements RouteStore {
  private readonly rows = new Map<string, StoredRoute>();
  private latest = 0;

  async routes(): Promise<StoredRoute[]> {
    return [...this.rows.values()].map((row) => ({ ...row }));
  }

  async put(name: string, definition: string | null, actor: string): Promise<number> {
    this.rows.set(name, { name, definition, revision: ++this.latest, updated_by: actor, updated_at: new Date().toISOString() });
    return this.latest;
  }

  async revision(): Promise<number> {
    return this.latest;
  }
}

const CREATE = 'create table if not exists routing_routes (name text primary key, definition text, revision bigint not null, updated_by text not null, updated_at text not null)';

/** SQLite (the embedded file) or PostgreSQL (shared by replicas), through the same few statements. */
class SqlRouteStore implements RouteStore {
  private readonly sql: SqlStatements;

  constructor(storage: Exclude<Storage, { kind: 'memory' }>) {
    this.sql = new SqlStatements(storage, [CREATE]);
  }

  async routes(): Promise<StoredRoute[]> {
    const rows = await this.sql.query<{ name: string; definition: string | null; revision: number | string; updated_by: string; updated_at: string }>(
      'select name, definition, revision, updated_by, updated_at from routing_routes order by name',
    );
    return rows.map((row) => ({ ...row, revision: Number(row.revision) }));
  }

  async put(name: string, definition: string | null, actor: string): Promise<number> {
    // The next revision is taken in the statement that writes it; two replicas writing at once may share one, which a poll still sees (it compares the rows).
    const rows = await this.sql.query<{ revision: number | string }>(
      'insert into routing_routes (name, definition, revision, updated_by, updated_at) values (?, ?, (select coalesce(max(revision), 0) + 1 from routing_routes), ?, ?) on conflict (name) do update set definition = excluded.definition, revision = excluded.revision, updated_by = excluded.updated_by, updated_at = excluded.updated_at returning revision',
      [name, definition, actor, new Date().toISOString()],
      true,
    );
    return Number(rows[0]!.revision);
  }

  async revision(): Promise<number> {
    const rows = await this.sql.query<{ revision: number | string | null }>('select max(revision) as revision from routing_routes');
    return Number(rows[0]?.revision ?? 0);
  }
}
