import type { Migration } from '../storage/migrations.js';

const INDEXES = [
  'create index if not exists {prefix}request_logs_ts on {prefix}request_logs (kind, ts)',
  'create index if not exists {prefix}request_logs_request_id on {prefix}request_logs (request_id)',
  'create index if not exists {prefix}request_logs_key_ts on {prefix}request_logs (virtual_key_id, ts)',
  'create index if not exists {prefix}request_logs_team_ts on {prefix}request_logs (team_id, ts)',
  'create index if not exists {prefix}request_logs_customer_ts on {prefix}request_logs (customer_id, ts)',
  'create index if not exists {prefix}request_logs_provider_ts on {prefix}request_logs (provider, model, ts)',
  'create index if not exists {prefix}request_logs_model_ts on {prefix}request_logs (model, ts)',
];

function table(types: { id: string; ts: string; json: string; real: string; bool: string }): string {
  return `create table if not exists {prefix}request_logs (
    id ${types.id},
    request_id text not null,
    kind text not null,
    attempt integer not null,
    parent_request_id text,
    ts ${types.ts} not null,
    surface text not null,
    operation text not null,
    virtual_key_id text,
    team_id text,
    customer_id text,
    metadata ${types.json} not null,
    provider text,
    model text,
    requested_model text,
    key_id text,
    status integer not null,
    error_code text,
    error_type text,
    error_message text,
    stop_reason text,
    latency_ms ${types.real} not null,
    ttft_ms ${types.real},
    input_tokens bigint,
    cached_input_tokens bigint,
    cache_write_tokens bigint,
    output_tokens bigint,
    reasoning_tokens bigint,
    total_tokens bigint,
    cost_usd ${types.real},
    cache_hit text,
    stream ${types.bool} not null,
    attempts integer not null,
    request_content text,
    response_content text
  )`;
}

/** Versioned schema of the request log; append new versions, never edit applied ones. */
export const REQUEST_LOG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sqlite: [table({ id: 'integer primary key autoincrement', ts: 'integer', json: 'text', real: 'real', bool: 'integer' }), ...INDEXES],
    postgres: [table({ id: 'bigserial primary key', ts: 'bigint', json: 'jsonb', real: 'double precision', bool: 'boolean' }), ...INDEXES],
  },
];
