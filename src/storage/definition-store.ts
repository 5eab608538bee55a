import type { Storage } from './storage.js';
import { SqlStatements } from './sql-statements.js';

/** One stored definition (a route, a provider) changed through the admin API, or the tombstone of one reverted. */
export interface StoredDefinition {
  name: string;
  /** The definition as stored (JSON of the config's schema, defaults applied; sealed where its section seals); null once reverted. */
  definition: string | null;
  /** The table-wide revision of its last write: replicas re-apply when the highest one changes. */
  revision: number;
  updated_by: string;
  /** ISO time of the last write. */
  updated_at: string;
}

/**
 * Definitions of one config section (`routes.<name>`, `providers.<name>`) changed through the admin
 * API, over the config file's. Every write bumps a table-wide revision (a revert leaves a
 * tombstone), so a replica polling `revision()` sees any change with one cheap query.
 */
export interface DefinitionStore {
  rows(): Promise<StoredDefinition[]>;
  /** Writes a definition (null: reverted to the file's); returns the new revision. */
  put(name: string, definition: string | null, actor: string): Promise<number>;
  /** A number that grows with every committed write (the sum of the rows' revisions): a poll re-reads when it changed. */
  revision(): Promise<number>;
}

/** The tables of the sections stored so far; each holds name, definition, revision, updated_by and updated_at. */
export type DefinitionTable = 'routing_routes' | 'routing_providers';

export function openDefinitionStore(storage: Storage, table: DefinitionTable): DefinitionStore {
  if (storage.kind === 'memory') return new MemoryDefinitionStore();
  return new SqlDefinitionStore(storage, table);
}

class MemoryDefinitionStore implements DefinitionStore {
  private readonly stored = new Map<string, StoredDefinition>();
  private latest = 0;

  async rows(): Promise<StoredDefinition[]> {
    return [...this.stored.values()].map((row) => ({ ...row }));
  }

  async put(name: string, definition: string | null, actor: string): Promise<number> {
    this.stored.set(name, { name, definition, revision: ++this.latest, updated_by: actor, updated_at: new Date().toISOString() });
    return this.latest;
  }

  async revision(): Promise<number> {
    return this.latest;
  }
}

/** SQLite (the embedded file) or PostgreSQL (shared by replicas), through the same few statements. */
class SqlDefinitionStore implements DefinitionStore {
  private readonly sql: SqlStatements;

  constructor(
    storage: Exclude<Storage, { kind: 'memory' }>,
    private readonly table: DefinitionTable,
  ) {
    this.sql = new SqlStatements(storage, [`create table if not exists ${table} (name text primary key, definition text, revision bigint not null, updated_by text not null, updated_at text not null)`]);
  }

  async rows(): Promise<StoredDefinition[]> {
    const rows = await this.sql.query<{ name: string; definition: string | null; revision: number | string; updated_by: string; updated_at: string }>(
      `select name, definition, revision, updated_by, updated_at from ${this.table} order by name`,
    );
    return rows.map((row) => ({ ...row, revision: Number(row.revision) }));
  }

  async put(name: string, definition: string | null, actor: string): Promise<number> {
    // The next revision is taken in the statement that writes it, and always above the row's own (two
    // replicas writing the same name at once: the second, after the first's lock, goes one higher), so
    // every committed write raises the sum that revision() reads, even when two writes share a value.
    const rows = await this.sql.query<{ revision: number | string }>(
      `insert into ${this.table} (name, definition, revision, updated_by, updated_at) values (?, ?, (select coalesce(max(revision), 0) + 1 from ${this.table}), ?, ?) on conflict (name) do update set definition = excluded.definition, revision = case when excluded.revision > ${this.table}.revision then excluded.revision else ${this.table}.revision + 1 end, updated_by = excluded.updated_by, updated_at = excluded.updated_at returning revision`,
      [name, definition, actor, new Date().toISOString()],
      true,
    );
    return Number(rows[0]!.revision);
  }

  async revision(): Promise<number> {
    // The sum, not the highest: two replicas' writes that committed out of order with one value between
    // them leave the highest unchanged for a poll that ran in between; the sum still grows.
    const rows = await this.sql.query<{ revision: number | string | null }>(`select sum(revision) as revision from ${this.table}`);
    return Number(rows[0]?.revision ?? 0);
  }
}
