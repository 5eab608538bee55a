import type { Storage } from '../storage/storage.js';
import { SqlStatements } from '../storage/sql-statements.js';

/** One row of `mcp_servers`: a server added through the admin API, or the tombstone of one deleted. */
export interface StoredServer {
  name: string;
  /** The server's config as JSON (sealed when `mcp.oauth.encryption_key` is set); null for a deleted server. */
  config: string | null;
  /** The store-wide revision of its last write: replicas reload when the highest one changes. */
  revision: number;
}

/**
 * Rows of the gateway's storage the MCP module keeps: servers managed through the admin API
 * (`mcp_servers`) and OAuth state per server (`mcp_oauth`). Every write bumps a store-wide
 * revision, so a replica polling `revision()` sees any change, deletions included (tombstones).
 */
export interface McpStore {
  servers(): Promise<StoredServer[]>;
  /** Writes a server's config (null: deleted); returns the new revision. */
  putServer(name: string, config: string | null): Promise<number>;
  revision(): Promise<number>;
  /** A server's OAuth document (sealed JSON), or undefined. */
  oauth(server: string): Promise<string | undefined>;
  putOAuth(server: string, document: string | null): Promise<void>;
}

export function openMcpStore(storage: Storage): McpStore {
  if (storage.kind === 'memory') return new MemoryMcpStore();
  return new SqlMcpStore(storage);
}

class MemoryMcpStore implements McpStore {
  private readonly rows = new Map<string, StoredServer>();
  private readonly tokens = new Map<string, string>();
  private latest = 0;

  async servers(): Promise<StoredServer[]> {
    return [...this.rows.values()].map((row) => ({ ...row }));
  }

  async putServer(name: string, config: string | null): Promise<number> {
    this.rows.set(name, { name, config, revision: ++this.latest });
    return this.latest;
  }

  async revision(): Promise<number> {
    return this.latest;
  }

  async oauth(server: string): Promise<string | undefined> {
    return this.tokens.get(server);
  }

  async putOAuth(server: string, document: string | null): Promise<void> {
    if (document === null) this.tokens.delete(server);
    else this.tokens.set(server, document);
  }
}

const CREATE = [
  'create table if not exists mcp_servers (name text primary key, config text, revision bigint not null)',
  'create table if not exists mcp_oauth (server text primary key, document text not null)',
];

/** SQLite (the embedded file) or PostgreSQL (shared by replicas), through the same few statements. */
class SqlMcpStore implements McpStore {
  private readonly sql: SqlStatements;

  constructor(storage: Exclude<Storage, { kind: 'memory' }>) {
    this.sql = new SqlStatements(storage, CREATE);
  }

  async servers(): Promise<StoredServer[]> {
    const rows = await this.sql.query<{ name: string; config: string | null; revision: number | string }>('select name, config, revision from mcp_servers order by name');
    return rows.map((row) => ({ name: row.name, config: row.config, revision: Number(row.revision) }));
  }

  async putServer(name: string, config: string | null): Promise<number> {
    // The next revision is taken in the same statement that writes it; two replicas writing at once may share one, which a poll still sees.
    const rows = await this.sql.query<{ revision: number | string }>(
      'insert into mcp_servers (name, config, revision) values (?, ?, (select coalesce(max(revision), 0) + 1 from mcp_servers)) on conflict (name) do update set config = excluded.config, revision = excluded.revision returning revision',
      [name, config],
      true,
    );
    return Number(rows[0]!.revision);
  }

  async revision(): Promise<number> {
    const rows = await this.sql.query<{ revision: number | string | null }>('select max(revision) as revision from mcp_servers');
    return Number(rows[0]?.revision ?? 0);
  }

  async oauth(server: string): Promise<string | undefined> {
    const rows = await this.sql.query<{ document: string }>('select document from mcp_oauth where server = ?', [server]);
    return rows[0]?.document;
  }

  async putOAuth(server: string, document: string | null): Promise<void> {
    if (document === null) await this.sql.query('delete from mcp_oauth where server = ?', [server], true);
    else await this.sql.query('insert into mcp_oauth (server, document) values (?, ?) on conflict (server) do update set document = excluded.document', [server, document], true);
  }
}
