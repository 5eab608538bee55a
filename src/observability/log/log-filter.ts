import { GatewayError } from '../../spec/index.js';
import type { RequestRecord } from './request-record.js';

/** What the query API, the export and the live tail filter on. Lists match any of their values. */
export interface LogFilter {
  requestId?: string;
  /** The turns of one realtime session (`session_id`). */
  sessionId?: string;
  /** `request` (default), `attempt`, or `all`. */
  kind?: 'request' | 'attempt' | 'all';
  /** Epoch milliseconds, inclusive. */
  from?: number;
  /** Epoch milliseconds, exclusive. */
  to?: number;
  providers?: string[];
  models?: string[];
  virtualKeys?: string[];
  teams?: string[];
  customers?: string[];
  metadata?: { key: string; value: string }[];
  /** HTTP statuses, or `success` (< 400) / `error` (>= 400). */
  statuses?: number[];
  outcome?: 'success' | 'error';
  errorCodes?: string[];
  errorTypes?: string[];
  /** Operations (`chat`, `embeddings`, `images`, `audio.speech`, `realtime`, `mcp_tool_call`, …). */
  operations?: string[];
  stopReasons?: string[];
  cacheHits?: string[];
  minLatencyMs?: number;
  maxLatencyMs?: number;
  minTokens?: number;
  maxTokens?: number;
  minCostUsd?: number;
  maxCostUsd?: number;
  stream?: boolean;
  /** Case-insensitive substring of the stored request or response content. */
  text?: string;
}

export const SORT_FIELDS = ['timestamp', 'latency_ms', 'ttft_ms', 'cost_usd', 'total_tokens', 'input_tokens', 'output_tokens', 'status'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

export interface LogQuery {
  filter: LogFilter;
  sort: SortField;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

export const GROUP_DIMENSIONS = ['provider', 'model', 'requested_model', 'virtual_key_id', 'team_id', 'customer_id', 'status', 'error_code', 'error_type', 'stop_reason', 'surface', 'operation', 'stream', 'cache_hit'] as const;
export type RecordDimension = (typeof GROUP_DIMENSIONS)[number];
/** A record column, or `metadata.<key>` for one metadata tag (null where a record lacks it). */
export type GroupDimension = RecordDimension | `metadata.${string}`;

/** Metadata keys a group may name: plain enough to travel in a JSON path and a column alias. */
const METADATA_GROUP = /^metadata\.([A-Za-z0-9_.-]{1,64})$/;

/** The metadata key of a `metadata.<key>` dimension, undefined for record columns. */
export function metadataKeyOf(dimension: GroupDimension): string | undefined {
  return METADATA_GROUP.exec(dimension)?.[1];
}

export interface AggregateQuery {
  filter: LogFilter;
  groupBy: GroupDimension[];
  /** Bucket width in milliseconds (aligned to the Unix epoch), or undefined for no time buckets. */
  bucketMs: number | undefined;
  /** Whether rows carry latency percentiles (`percentiles=true`): reading their histogram costs about as much as the sums. */
  percentiles?: boolean;
}

/** One aggregate row: the group's dimension values, its bucket start, and the totals. */
export interface AggregateRow {
  bucket: string | null;
  group: Record<string, string | number | boolean | null>;
  requests: number;
  errors: number;
  error_rate: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  cost_usd: number;
  /** Units billed besides tokens, summed: images made, characters spoken, seconds of audio, rerank search units. */
  images: number;
  characters: number;
  audio_seconds: number;
  search_units: number;
  /** What response-cache hits saved (the sum of `cache_saved_usd`). */
  cache_saved_usd: number;
  /**
   * Latency percentiles (nearest rank), in milliseconds, when asked for (`percentiles=true`): read
   * from a histogram of buckets a tenth of a decade wide, so within 12.2% of the exact figure (see
   * latency-histogram.ts).
   */
  latency_ms_p50?: number | null;
  latency_ms_p95?: number | null;
  latency_ms_p99?: number | null;
}

function list(query: URLSearchParams, ...names: string[]): string[] | undefined {
  const values = names.flatMap((name) => query.getAll(name)).flatMap((value) => value.split(',')).map((value) => value.trim()).filter((value) => value.length > 0);
  return values.length > 0 ? values : undefined;
}

function number(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new GatewayError('invalid_request', `\`${name}\` must be a number, got \`${raw}\`.`, { param: name });
  return value;
}

function time(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const value = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(value)) throw new GatewayError('invalid_request', `\`${name}\` must be an ISO 8601 time or epoch milliseconds, got \`${raw}\`.`, { param: name });
  return value;
}

function oneOf<T extends string>(query: URLSearchParams, name: string, allowed: readonly T[]): T | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw new GatewayError('invalid_request', `\`${name}\` must be one of ${allowed.join(', ')}; got \`${raw}\`.`, { param: name });
  return raw as T;
}

/** Reads filters from query parameters (`provider=a,b`, `metadata.env=prod`, `from=2025-01-01T00:00:00Z`, …). Throws `invalid_request`. */
export function parseLogFilter(query: URLSearchParams): LogFilter {
  const filter: LogFilter = {};
  const requestId = query.get('request_id');
  if (requestId) filter.requestId = requestId;
  const sessionId = query.get('session_id');
  if (sessionId) filter.sessionId = sessionId;
  filter.kind = oneOf(query, 'kind', ['request', 'attempt', 'all'] as const);
  filter.from = time(query, 'from') ?? time(query, 'since');
  filter.to = time(query, 'to') ?? time(query, 'until');
  filter.providers = list(query, 'provider');
  filter.models = list(query, 'model');
  filter.virtualKeys = list(query, 'virtual_key_id', 'virtual_key');
  filter.teams = list(query, 'team_id', 'team');
  filter.customers = list(query, 'customer_id', 'customer');
  const metadata: { key: string; value: string }[] = [];
  for (const [name, value] of query) {
    if (name.startsWith('metadata.') && name.length > 9) metadata.push({ key: name.slice(9), value });
    else if (name === 'metadata') {
      const colon = value.indexOf(':');
      if (colon <= 0) throw new GatewayError('invalid_request', '`metadata` must be `key:value` (or use `metadata.<key>=<value>`).', { param: 'metadata' });
      metadata.push({ key: value.slice(0, colon), value: value.slice(colon + 1) });
    }
  }
  if (metadata.length > 0) filter.metadata = metadata;
  const statuses = list(query, 'status');
  if (statuses !== undefined) {
    const numeric: number[] = [];
    for (const status of statuses) {
      if (status === 'success' || status === 'error') filter.outcome = status;
      else if (/^\d{3}$/.test(status)) numeric.push(Number(status));
      else throw new GatewayError('invalid_request', `\`status\` must be HTTP statuses, \`success\` or \`error\`; got \`${status}\`.`, { param: 'status' });
    }
    if (numeric.length > 0) filter.statuses = numeric;
  }
  filter.errorCodes = list(query, 'error_code');
  filter.errorTypes = list(query, 'error_type');
  filter.operations = list(query, 'operation');
  filter.stopReasons = list(query, 'stop_reason');
  filter.cacheHits = list(query, 'cache_hit');
  filter.minLatencyMs = number(query, 'min_latency_ms');
  filter.maxLatencyMs = number(query, 'max_latency_ms');
  filter.minTokens = number(query, 'min_tokens');
  filter.maxTokens = number(query, 'max_tokens');
  filter.minCostUsd = number(query, 'min_cost_usd');
  filter.maxCostUsd = number(query, 'max_cost_usd');
  const stream = query.get('stream');
  if (stream === 'true' || stream === 'false') filter.stream = stream === 'true';
  else if (stream !== null && stream !== '') throw new GatewayError('invalid_request', '`stream` must be true or false.', { param: 'stream' });
  const text = query.get('q') ?? query.get('search');
  if (text) filter.text = text;
  for (const key of Object.keys(filter) as (keyof LogFilter)[]) if (filter[key] === undefined) delete filter[key];
  return filter;
}

export function parseLogQuery(query: URLSearchParams): LogQuery {
  const limit = number(query, 'limit') ?? 50;
  const offset = number(query, 'offset') ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new GatewayError('invalid_request', '`limit` must be an integer from 1 to 1000.', { param: 'limit' });
  if (!Number.isInteger(offset) || offset < 0) throw new GatewayError('invalid_request', '`offset` must be a non-negative integer.', { param: 'offset' });
  return { filter: parseLogFilter(query), sort: oneOf(query, 'sort', SORT_FIELDS) ?? 'timestamp', order: oneOf(query, 'order', ['asc', 'desc'] as const) ?? 'desc', limit, offset };
}

const BUCKETS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000 };

export function parseAggregateQuery(query: URLSearchParams): AggregateQuery {
  const groupBy = (list(query, 'group_by') ?? []).map((dimension) => {
    if (!(GROUP_DIMENSIONS as readonly string[]).includes(dimension) && !METADATA_GROUP.test(dimension)) {
      throw new GatewayError('invalid_request', `\`group_by\` must be among ${GROUP_DIMENSIONS.join(', ')} or metadata.<key>; got \`${dimension}\`.`, { param: 'group_by' });
    }
    return dimension as GroupDimension;
  });
  if (new Set(groupBy).size !== groupBy.length) throw new GatewayError('invalid_request', '`group_by` names a dimension twice.', { param: 'group_by' });
  const rawBucket = query.get('bucket');
  let bucketMs: number | undefined;
  if (rawBucket !== null && rawBucket !== '' && rawBucket !== 'none') {
    const match = /^(\d+)(s|m|h|d)$/.exec(rawBucket);
    bucketMs = BUCKETS[rawBucket] ?? (match ? Number(match[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'] : undefined);
    if (bucketMs === undefined || bucketMs <= 0) throw new GatewayError('invalid_request', '`bucket` must be minute, hour, day, week or <n>s/m/h/d (e.g. 15m).', { param: 'bucket' });
  }
  const percentiles = query.get('percentiles');
  if (percentiles !== null && percentiles !== '' && percentiles !== 'true' && percentiles !== 'false') throw new GatewayError('invalid_request', '`percentiles` must be true or false.', { param: 'percentiles' });
  return { filter: parseLogFilter(query), groupBy, bucketMs, ...(percentiles === 'true' ? { percentiles: true } : {}) };
}

function includes<T>(values: readonly T[] | undefined, value: T | null): boolean {
  return values === undefined || (value !== null && values.includes(value));
}

/** The same filter in memory: the memory store and the live tail use it. */
export function matchesFilter(record: RequestRecord, filter: LogFilter): boolean {
  const kind = filter.kind ?? 'request';
  if (kind !== 'all' && record.kind !== kind) return false;
  if (filter.requestId !== undefined && record.request_id !== filter.requestId) return false;
  if (filter.sessionId !== undefined && record.session_id !== filter.sessionId) return false;
  const at = Date.parse(record.timestamp);
  if (filter.from !== undefined && at < filter.from) return false;
  if (filter.to !== undefined && at >= filter.to) return false;
  if (!includes(filter.providers, record.provider) || !includes(filter.models, record.model)) return false;
  if (!includes(filter.virtualKeys, record.virtual_key_id) || !includes(filter.teams, record.team_id) || !includes(filter.customers, record.customer_id)) return false;
  if (filter.metadata?.some(({ key, value }) => record.metadata[key] !== value)) return false;
  if (!includes(filter.statuses, record.status)) return false;
  if (filter.outcome === 'success' && record.status >= 400) return false;
  if (filter.outcome === 'error' && record.status < 400) return false;
  if (!includes(filter.errorCodes, record.error_code) || !includes(filter.errorTypes, record.error_type)) return false;
  if (!includes(filter.operations, record.operation)) return false;
  if (!includes(filter.stopReasons, record.stop_reason) || !includes(filter.cacheHits, record.cache_hit)) return false;
  if (!within(record.latency_ms, filter.minLatencyMs, filter.maxLatencyMs)) return false;
  if (!within(record.total_tokens, filter.minTokens, filter.maxTokens)) return false;
  if (!within(record.cost_usd, filter.minCostUsd, filter.maxCostUsd)) return false;
  if (filter.stream !== undefined && record.stream !== filter.stream) return false;
  if (filter.text !== undefined) {
    const needle = filter.text.toLowerCase();
    if (!(record.request_content?.toLowerCase().includes(needle) || record.response_content?.toLowerCase().includes(needle))) return false;
  }
  return true;
}

function within(value: number | null, min: number | undefined, max: number | undefined): boolean {
  if (min === undefined && max === undefined) return true;
  if (value === null) return false;
  return (min === undefined || value >= min) && (max === undefined || value <= max);
}
