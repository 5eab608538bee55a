import type { Principal } from '../pipeline/context.js';
import type { BatchSummary } from './batch-input.js';
import type { BatchLine, BatchRecord, FileRecord, LineState } from './records.js';
import type { SqlDatabase, SqlParam } from '../storage/sql-database.js';

/** Bytes per stored chunk of a file the gateway keeps. */
const CHUNK_BYTES = 1024 * 1024;

const FILES = 'tollgate_files';
const CHUNKS = 'tollgate_file_chunks';
const BATCHES = 'tollgate_batches';
const LINES = 'tollgate_batch_lines';

function schema(blob: string): string[] {
  return [
    `create table if not exists ${FILES} (id text primary key, owner text, team text, provider text not null, object text not null, summary text, model text, created_at bigint not null)`,
    `create index if not exists ${FILES}_owner on ${FILES} (owner)`,
    `create table if not exists ${CHUNKS} (file_id text not null, seq integer not null, data ${blob} not null, primary key (file_id, seq))`,
    `create table if not exists ${BATCHES} (id text primary key, owner text, team text, principal text, provider text not null, mode text not null, upstream_id text, status text not null, object text not null, worst_usd double precision not null, settled integer not null, created_at bigint not null)`,
    `create index if not exists ${BATCHES}_status on ${BATCHES} (mode, status)`,
    `create table if not exists ${LINES} (batch_id text not null, line integer not null, custom_id text not null, body text not null, state text not null, output text, primary key (batch_id, line))`,
  ];
}

interface FileRow {
  id: string;
  owner: string | null;
  team: string | null;
  provider: string;
  object: string;
  summary: string | null;
  model: string | null;
  created_at: number | string;
}

interface BatchRow {
  id: string;
  owner: string | null;
  team: string | null;
  principal: string | null;
  provider: string;
  mode: string;
  upstream_id: string | null;
  status: string;
  object: string;
  worst_usd: number | string;
  settled: number | string;
  created_at: number | string;
}

interface LineRow {
  line: number | string;
  custom_id: string;
  body: string;
  state: string;
  output: string | null;
}

/** Whose records a list shows: a key's own, and its team's when shared. */
export interface OwnerScope {
  readonly owner: string | null;
  /** Set when the team's records are shown too. */
  readonly team?: string | null;
}

/**
 * The Files and Batch APIs' own records, in the gateway's storage (SQLite, PostgreSQL, or an
 * in-memory SQLite database when storage is `memory`): who owns each file and batch, the content
 * of files the gateway keeps itself (in 1 MiB chunks, never whole in memory), and the lines of
 * gateway-run batches with their state, so that a restarted gateway resumes a batch where it was.
 */
export class BatchStore {
  private constructor(private readonly sql: SqlDatabase) {}

  static async open(sql: SqlDatabase, prepare?: (statements: string[]) => Promise<void>): Promise<BatchStore> {
    const statements = schema(sql.dialect === 'postgres' ? 'bytea' : 'blob');
    if (prepare !== undefined) await prepare(statements);
    else for (const statement of statements) await sql.execute(statement);
    return new BatchStore(sql);
  }

  async putFile(record: FileRecord): Promise<void> {
    await this.sql.execute(`insert into ${FILES} (id, owner, team, provider, object, summary, model, created_at) values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (id) do update set owner = excluded.owner, team = excluded.team, provider = excluded.provider, object = excluded.object, summary = excluded.summary, model = excluded.model`, [
      record.id,
      record.owner,
      record.team,
      record.provider,
      JSON.stringify(record.object),
      record.summary === undefined ? null : JSON.stringify(record.summary),
      record.model ?? null,
      record.createdAt,
    ]);
  }

  async getFile(id: string): Promise<FileRecord | undefined> {
    const [row] = await this.sql.query<FileRow>(`select * from ${FILES} where id = ?`, [id]);
    return row === undefined ? undefined : fileOf(row);
  }

  /** A scope's files, newest first. */
  async listFiles(scope: OwnerScope): Promise<FileRecord[]> {
    const rows = await this.sql.query<FileRow>(`select id, owner, team, provider, object, null as summary, model, created_at from ${FILES} where ${scopeWhere(scope)} order by created_at desc, id desc`, scopeParams(scope));
    return rows.map(fileOf);
  }

  /** Forgets a file and drops its content. */
  async deleteFile(id: string): Promise<void> {
    await this.sql.execute(`delete from ${CHUNKS} where file_id = ?`, [id]);
    await this.sql.execute(`delete from ${FILES} where id = ?`, [id]);
  }

  /** Stores a file's content from `source`, chunk by chunk; resolves with its length. */
  async writeContent(fileId: string, source: AsyncIterable<Buffer>): Promise<number> {
    let seq = 0;
    let total = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      await this.sql.execute(`insert into ${CHUNKS} (file_id, seq, data) values (?, ?, ?)`, [fileId, seq++, Buffer.concat(pending, pendingBytes)]);
      pending = [];
      pendingBytes = 0;
    };
    for await (const chunk of source) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      total += chunk.length;
      if (pendingBytes >= CHUNK_BYTES) await flush();
    }
    await flush();
    return total;
  }

  /** A kept file's content, one stored chunk at a time. */
  async *readContent(fileId: string): AsyncIterable<Buffer> {
    for (let seq = 0; ; seq++) {
      const [row] = await this.sql.query<{ data: Buffer | Uint8Array }>(`select data from ${CHUNKS} where file_id = ? and seq = ?`, [fileId, seq]);
      if (row === undefined) return;
      yield Buffer.isBuffer(row.data) ? row.data : Buffer.from(row.data);
    }
  }

  async putBatch(record: BatchRecord): Promise<void> {
    await this.sql.execute(
      `insert into ${BATCHES} (id, owner, team, principal, provider, mode, upstream_id, status, object, worst_usd, settled, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (id) do update set status = excluded.status, object = excluded.object, settled = excluded.settled`,
      [
        record.id,
        record.owner,
        record.team,
        record.principal === undefined ? null : JSON.stringify(record.principal),
        record.provider,
        record.mode,
        record.upstreamId ?? null,
        String(record.object.status ?? ''),
        JSON.stringify(record.object),
        record.worstUsd,
        record.settled ? 1 : 0,
        record.createdAt,
      ],
    );
  }

  async getBatch(id: string): Promise<BatchRecord | undefined> {
    const [row] = await this.sql.query<BatchRow>(`select * from ${BATCHES} where id = ?`, [id]);
    return row === undefined ? undefined : batchOf(row);
  }

  async listBatches(scope: OwnerScope): Promise<BatchRecord[]> {
    const rows = await this.sql.query<BatchRow>(`select * from ${BATCHES} where ${scopeWhere(scope)} order by created_at desc, id desc`, scopeParams(scope));
    return rows.map(batchOf);
  }

  /** Gateway-run batches not yet finished (to resume after a restart). */
  async unfinishedGatewayBatches(): Promise<BatchRecord[]> {
    const rows = await this.sql.query<BatchRow>(`select * from ${BATCHES} where mode = 'gateway' and status in ('validating', 'in_progress', 'finalizing', 'cancelling') order by created_at`);
    return rows.map(batchOf);
  }

  /** Batches at a provider not settled yet (native and translated), for the background poll. */
  async unsettledProviderBatches(): Promise<BatchRecord[]> {
    const rows = await this.sql.query<BatchRow>(`select * from ${BATCHES} where mode in ('native', 'translated') and settled = 0 order by created_at`);
    return rows.map(batchOf);
  }

  async addLines(batchId: string, lines: readonly BatchLine[]): Promise<void> {
    for (const line of lines) {
      await this.sql.execute(`insert into ${LINES} (batch_id, line, custom_id, body, state, output) values (?, ?, ?, ?, ?, ?) on conflict (batch_id, line) do nothing`, [batchId, line.index, line.customId, line.body, line.state, line.output]);
    }
  }

  /** The lines of a batch in `state`, in order. */
  async lines(batchId: string, state?: LineState): Promise<BatchLine[]> {
    const rows =
      state === undefined
        ? await this.sql.query<LineRow>(`select line, custom_id, body, state, output from ${LINES} where batch_id = ? order by line`, [batchId])
        : await this.sql.query<LineRow>(`select line, custom_id, body, state, output from ${LINES} where batch_id = ? and state = ? order by line`, [batchId, state]);
    return rows.map((row) => ({ index: Number(row.line), customId: row.custom_id, body: row.body, state: row.state as LineState, output: row.output }));
  }

  /** Claims a batch's settlement: true for the one caller (of any replica) that marks it settled first. */
  async claimSettlement(id: string): Promise<boolean> {
    return (await this.sql.execute(`update ${BATCHES} set settled = 1 where id = ? and settled = 0`, [id])) > 0;
  }

  /** Gives a claimed settlement back (it failed before charging anything). */
  async unclaimSettlement(id: string): Promise<void> {
    await this.sql.execute(`update ${BATCHES} set settled = 0 where id = ?`, [id]);
  }

  /** Records a line's outcome, once: a line already finished is left as it is. */
  async finishLine(batchId: string, index: number, state: Exclude<LineState, 'pending'>, output: string): Promise<boolean> {
    return (await this.sql.execute(`update ${LINES} set state = ?, output = ? where batch_id = ? and line = ? and state = 'pending'`, [state, output, batchId, index])) > 0;
  }
}

function scopeWhere(scope: OwnerScope): string {
  const owner = scope.owner === null ? 'owner is null' : 'owner = ?';
  return scope.team === undefined || scope.team === null ? owner : `(${owner} or team = ?)`;
}

function scopeParams(scope: OwnerScope): SqlParam[] {
  const params: SqlParam[] = scope.owner === null ? [] : [scope.owner];
  if (scope.team !== undefined && scope.team !== null) params.push(scope.team);
  return params;
}

function fileOf(row: FileRow): FileRecord {
  const record = { id: row.id, owner: row.owner, team: row.team, provider: row.provider, object: JSON.parse(row.object) as Record<string, unknown>, createdAt: Number(row.created_at), ...(row.model === null ? {} : { model: row.model }) };
  return row.summary === null ? record : { ...record, summary: JSON.parse(row.summary) as BatchSummary };
}

function batchOf(row: BatchRow): BatchRecord {
  return {
    id: row.id,
    owner: row.owner,
    team: row.team,
    principal: row.principal === null ? undefined : (JSON.parse(row.principal) as Principal),
    provider: row.provider,
    mode: row.mode === 'gateway' || row.mode === 'translated' ? row.mode : 'native',
    ...(row.upstream_id === null ? {} : { upstreamId: row.upstream_id }),
    object: JSON.parse(row.object) as Record<string, unknown>,
    worstUsd: Number(row.worst_usd),
    settled: Number(row.settled) === 1,
    createdAt: Number(row.created_at),
  };
}
