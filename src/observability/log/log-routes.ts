import type { HttpExchange, HttpRoute } from '../../http/http-route.js';
import { sendJson } from '../../http/respond.js';
import { GatewayError } from '../../spec/index.js';
import { CSV_HEADER, csvRow } from './csv.js';
import { parseAggregateQuery, parseLogQuery, type LogQuery } from './log-filter.js';
import type { LogCursor, LogStore } from './log-store.js';
import { RECORD_COLUMNS, type RequestRecord } from './request-record.js';
import { adminPrincipalOf, mayReadContent } from '../../admin/admin-auth.js';
import { withoutContent } from './without-content.js';
import type { LogFilter } from './log-filter.js';

const EXPORT_PAGE = 1000;

/** The filters every log route reads (src/observability/log/log-filter.ts; docs/observability.md has each one). */
const FILTER_PARAMETERS = [
  { name: 'from', description: 'ISO 8601 time or epoch milliseconds (also `since`)' },
  { name: 'to', description: 'ISO 8601 time or epoch milliseconds, exclusive (also `until`)' },
  { name: 'kind', description: 'request (the default), attempt or all' },
  { name: 'request_id', description: 'One request' },
  { name: 'session_id', description: 'The responses of one realtime session' },
  { name: 'operation', description: 'Comma-separated operations (chat, embeddings, images, images.edits, audio.speech, realtime, mcp_tool_call, …)' },
  { name: 'provider', description: 'Comma-separated provider names' },
  { name: 'model', description: 'Comma-separated models' },
  { name: 'virtual_key_id', description: 'Comma-separated virtual key ids' },
  { name: 'team_id', description: 'Comma-separated team ids' },
  { name: 'customer_id', description: 'Comma-separated customer ids' },
  { name: 'metadata.<key>', description: 'A metadata value (also `metadata=key:value`)' },
  { name: 'status', description: 'HTTP statuses, `success` or `error`' },
  { name: 'error_code', description: 'Comma-separated error codes' },
  { name: 'stop_reason', description: 'Comma-separated stop reasons' },
  { name: 'cache_hit', description: 'Comma-separated cache hit types (exact, semantic)' },
  { name: 'min_cost_usd', description: 'Cost at least this (also max_cost_usd; min_/max_latency_ms, min_/max_tokens likewise)' },
  { name: 'stream', description: 'true or false' },
  { name: 'q', description: 'Text search in logged content (also `search`)' },
];

const PAGE_PARAMETERS = [
  { name: 'sort', description: 'The field to sort by (timestamp by default)' },
  { name: 'order', description: 'asc or desc (the default)' },
  { name: 'limit', description: '1 to 1000 (50 by default)' },
  { name: 'offset', description: 'Records to skip' },
  { name: 'fields', description: 'Comma-separated record fields to answer with (e.g. `timestamp,latency_ms`); all by default' },
  { name: 'cursor', description: 'Page by cursor instead of offset (timestamp order only): empty for the first page, then the `next_cursor` of the previous answer; the answer then has no `total`' },
];
const EXPORT_MAX = 1_000_000;

/** `GET /admin/logs`, `/admin/logs/aggregate` and `/admin/logs/export` (to be wrapped with adminRoutes). */
export function logRoutes(store: LogStore, flush: () => Promise<void>): HttpRoute[] {
  async function list(exchange: HttpExchange): Promise<void> {
    const query = parseLogQuery(exchange.query);
    const hidden = contentShown(exchange, query.filter);
    const only = fieldsOf(exchange.query.get('fields'));
    const shown = only === undefined ? hidden : (record: RequestRecord) => pick(hidden(record), only);
    const cursor = exchange.query.get('cursor');
    await flush();
    if (cursor !== null) {
      if (query.sort !== 'timestamp' || query.offset !== 0) throw new GatewayError('invalid_request', '`cursor` pages in timestamp order only, without `offset`.', { param: 'cursor' });
      const page = await store.scan(query.filter, query.order, query.limit, cursor === '' ? undefined : decodeCursor(cursor));
      sendJson(exchange.response, 200, { logs: page.logs.map((record) => withTool(shown(record))), limit: query.limit, next_cursor: page.next === undefined ? null : encodeCursor(page.next) });
      return;
    }
    const page = await store.query(query);
    sendJson(exchange.response, 200, { logs: page.logs.map((record) => withTool(shown(record))), total: page.total, limit: query.limit, offset: query.offset });
  }

  async function aggregate(exchange: HttpExchange): Promise<void> {
    const query = parseAggregateQuery(exchange.query);
    contentShown(exchange, query.filter);
    await flush();
    const rows = await store.aggregate(query);
    sendJson(exchange.response, 200, { group_by: query.groupBy, bucket_ms: query.bucketMs ?? null, rows });
  }

  async function exportLogs(exchange: HttpExchange): Promise<void> {
    const format = exchange.query.get('format') ?? 'json';
    if (format !== 'json' && format !== 'csv' && format !== 'ndjson') throw new GatewayError('invalid_request', '`format` must be csv, json or ndjson.', { param: 'format' });
    const base = parseLogQuery(new URLSearchParams([...exchange.query].filter(([name]) => name !== 'limit' && name !== 'offset' && name !== 'format')));
    const rawLimit = exchange.query.get('limit');
    const shown = contentShown(exchange, base.filter);
    const max = rawLimit === null || rawLimit === '' ? EXPORT_MAX : Number(rawLimit);
    if (!Number.isInteger(max) || max < 1 || max > EXPORT_MAX) throw new GatewayError('invalid_request', `\`limit\` must be an integer from 1 to ${EXPORT_MAX}.`, { param: 'limit' });
    await flush();
    const response = exchange.response;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    response.writeHead(200, {
      'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : format === 'ndjson' ? 'application/x-ndjson' : 'application/json',
      'content-disposition': `attachment; filename="tollgate-logs-${stamp}.${format}"`,
    });
    if (format === 'csv') response.write(CSV_HEADER);
    else if (format === 'json') response.write('[');
    let written = 0;
    const pages = base.sort === 'timestamp' ? scanPages(store, base) : offsetPages(store, base);
    for await (const logs of pages((remaining) => Math.min(EXPORT_PAGE, remaining), () => max - written)) {
      if (exchange.signal.aborted) break;
      for (const stored of logs) {
        const record = shown(stored);
        const text = format === 'csv' ? csvRow(record) : format === 'ndjson' ? `${JSON.stringify(record)}\n` : `${written === 0 ? '' : ','}${JSON.stringify(record)}`;
        written++;
        if (!response.write(text)) await new Promise((resolve) => response.once('drain', resolve));
      }
    }
    if (format === 'json') response.write(']');
    response.end();
  }

  return [
    { method: 'GET', path: '/admin/logs', handler: list, description: { tag: 'logs', summary: 'Request log records, filtered, sorted and paged', query: [...FILTER_PARAMETERS, ...PAGE_PARAMETERS] } },
    {
      method: 'GET',
      path: '/admin/logs/aggregate',
      handler: aggregate,
      description: { tag: 'logs', summary: 'Requests, tokens and cost summed per group and time bucket', query: [...FILTER_PARAMETERS, { name: 'group_by', description: 'Comma-separated dimensions (provider, model, virtual_key_id, team_id, customer_id, status, …, metadata.<key>)' }, { name: 'bucket', description: 'minute, hour, day, week or <n>s/m/h/d' }, { name: 'percentiles', description: 'true: rows also carry latency_ms_p50/p95/p99, approximate (within 12.2%)' }] },
    },
    {
      method: 'GET',
      path: '/admin/logs/export',
      handler: exportLogs,
      description: { tag: 'logs', summary: 'Every matching record as a CSV, JSON or NDJSON download', query: [...FILTER_PARAMETERS, { name: 'format', description: 'csv, json (the default) or ndjson' }, { name: 'limit', description: `At most this many records (up to ${EXPORT_MAX})` }] },
    },
  ];
}

/**
 * What a record shows the caller: all of it, or for a `finance` console session everything but its
 * content (and such a session may not search content with `q`: the matches would reveal it).
 */
function contentShown(exchange: HttpExchange, filter: LogFilter): (record: RequestRecord) => RequestRecord {
  if (mayReadContent(adminPrincipalOf(exchange.request))) return (record) => record;
  if (filter.text !== undefined) throw new GatewayError('admin_forbidden', 'The `finance` role cannot search logged content (`q`).', { param: 'q' });
  return withoutContent;
}

const FIELDS = new Set<string>(RECORD_COLUMNS);

/** `fields=timestamp,latency_ms`: the fields a list answers with (a chart needs two, not the bodies). */
function fieldsOf(text: string | null): string[] | undefined {
  if (text === null || text === '') return undefined;
  const fields = text.split(',').map((field) => field.trim()).filter((field) => field !== '');
  const unknown = fields.find((field) => !FIELDS.has(field));
  if (unknown !== undefined) throw new GatewayError('invalid_request', `\`fields\` names record fields (request_id, timestamp, latency_ms, …); got \`${unknown}\`.`, { param: 'fields' });
  return fields;
}

/** The record with only `fields`. */
function pick(record: RequestRecord, fields: readonly string[]): RequestRecord {
  const picked: Record<string, unknown> = {};
  for (const field of fields) if (field in record) picked[field] = (record as unknown as Record<string, unknown>)[field];
  return picked as unknown as RequestRecord;
}

function encodeCursor(cursor: LogCursor): string {
  return Buffer.from(`${cursor.ts}.${cursor.id}`).toString('base64url');
}

function decodeCursor(text: string): LogCursor {
  const match = /^(\d{1,16})\.(\d{1,16})$/.exec(text.length <= 64 ? Buffer.from(text, 'base64url').toString('latin1') : '');
  if (match === null) throw new GatewayError('invalid_request', '`cursor` must be the `next_cursor` of an earlier answer (or empty for the first page).', { param: 'cursor' });
  return { ts: Number(match[1]), id: Number(match[2]) };
}

type PageSource = (size: (remaining: number) => number, remaining: () => number) => AsyncGenerator<RequestRecord[]>;

/** Time-ordered exports walk the store with a cursor: every page costs the same, and nothing is counted. */
function scanPages(store: LogStore, query: LogQuery): PageSource {
  return async function* (size, remaining) {
    let after: LogCursor | undefined;
    while (remaining() > 0) {
      const page = await store.scan(query.filter, query.order, size(remaining()), after);
      yield page.logs;
      if (page.next === undefined) return;
      after = page.next;
    }
  };
}

/** Other orders page by offset (each page skips the ones before it). */
function offsetPages(store: LogStore, query: LogQuery): PageSource {
  return async function* (size, remaining) {
    for (let offset = 0; remaining() > 0; ) {
      const limit = size(remaining());
      const page = await store.query({ ...query, limit, offset });
      yield page.logs;
      if (page.logs.length < limit) return;
      offset += limit;
    }
  };
}

/**
 * MCP tool calls (`operation: mcp_tool_call`) are stored with the tool's `<server>__<tool>` name as
 * their model; the API also shows it as `tool`.
 */
function withTool(record: RequestRecord): RequestRecord | (RequestRecord & { tool: string | null }) {
  return record.operation === 'mcp_tool_call' ? { ...record, tool: record.model } : record;
}
