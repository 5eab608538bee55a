/**
 * One row of the request log. A request gets one record (`kind: 'request'`); when it took more
 * than one attempt, each attempt gets its own record (`kind: 'attempt'`) sharing the request's
 * `request_id`, numbered by `attempt` and pointing back through `parent_request_id`.
 */
export interface RequestRecord {
  request_id: string;
  kind: 'request' | 'attempt';
  /** 0 for the request record; 1, 2, … for attempt records. */
  attempt: number;
  /** The request this attempt belongs to; on request records, the model request an MCP tool call was made for (else null). */
  parent_request_id: string | null;
  /** ISO 8601 arrival time. */
  timestamp: string;
  surface: string;
  operation: string;
  virtual_key_id: string | null;
  team_id: string | null;
  customer_id: string | null;
  metadata: Record<string, string>;
  /** The provider that served the request (or the last one tried). */
  provider: string | null;
  /** The model sent upstream (or, when nothing was tried, the model asked for). */
  model: string | null;
  /** The model as the caller named it (route, alias or `provider/model`). */
  requested_model: string | null;
  /** Id of the provider key used (never its value). */
  key_id: string | null;
  /** HTTP status: sent to the caller on request records, seen from the upstream on attempt records. */
  status: number;
  error_code: string | null;
  error_type: string | null;
  error_message: string | null;
  /** Unified finish reason: stop, length, tool-calls, content-filter, error, other. */
  stop_reason: string | null;
  latency_ms: number;
  ttft_ms: number | null;
  input_tokens: number | null;
  cached_input_tokens: number | null;
  cache_write_tokens: number | null;
  output_tokens: number | null;
  reasoning_tokens: number | null;
  total_tokens: number | null;
  /** Null when the price or the usage is unknown. */
  cost_usd: number | null;
  /** The exact cost as decimal USD text (`0.000123456789`), null when unknown; `cost_usd` is its nearest double. */
  cost_exact?: string | null;
  /**
   * What the request (on attempt records: that attempt) charged the spend ledger's budgets, in whole
   * nano-USD: the exact cost rounded half up, the reservation when the cost is unknown, 0 when the
   * attempt failed or a stage answered; null when no budget applied. Budgets' counters equal the
   * sums of this column (`tollgate reconcile`).
   */
  charged_nano_usd?: number | null;
  /** Response-cache hit type (`exact`, `semantic`), null when no cache answered. */
  cache_hit: string | null;
  stream: boolean;
  attempts: number;
  /** Request body (JSON), only with content logging on; capped and redacted. */
  request_content: string | null;
  /** Answer text, only with content logging on; capped and redacted. */
  response_content: string | null;
  /** The response-cache entry that answered (hits), for `DELETE /admin/cache/entries/:id`. */
  cache_entry_id: string | null;
  /** Cosine similarity of a semantic cache hit (0–1). */
  cache_similarity: number | null;
  /** What a cache hit saved: the stored answer's cost when the provider served it. */
  cache_saved_usd: number | null;
  /** The guardrails' decisions (JSON: `[{rule, action, direction, types, count}]`), null when no rule found anything; never the matched values. */
  guardrails: string | null;
  /** The session the record is a turn of (a realtime WebSocket: the upgrade request's id); null for requests of their own. */
  session_id?: string | null;
  /** Images made (image generations, edits and variations). */
  images?: number | null;
  /** Characters billed (text to speech: the input's). */
  characters?: number | null;
  /** Seconds of audio billed (transcriptions and translations). */
  audio_seconds?: number | null;
  /** Search units billed (rerank). */
  search_units?: number | null;
  /** Of `input_tokens` and `output_tokens`, the audio tokens (realtime, audio chat models). */
  input_audio_tokens?: number | null;
  output_audio_tokens?: number | null;
}

/** Columns in storage order; the SQL stores and CSV export share it. */
export const RECORD_COLUMNS = [
  'request_id',
  'kind',
  'attempt',
  'parent_request_id',
  'timestamp',
  'surface',
  'operation',
  'virtual_key_id',
  'team_id',
  'customer_id',
  'metadata',
  'provider',
  'model',
  'requested_model',
  'key_id',
  'status',
  'error_code',
  'error_type',
  'error_message',
  'stop_reason',
  'latency_ms',
  'ttft_ms',
  'input_tokens',
  'cached_input_tokens',
  'cache_write_tokens',
  'output_tokens',
  'reasoning_tokens',
  'total_tokens',
  'cost_usd',
  'cache_hit',
  'stream',
  'attempts',
  'request_content',
  'response_content',
  'cost_exact',
  'charged_nano_usd',
  'cache_entry_id',
  'cache_similarity',
  'cache_saved_usd',
  'guardrails',
  'session_id',
  'images',
  'characters',
  'audio_seconds',
  'search_units',
  'input_audio_tokens',
  'output_audio_tokens',
] as const satisfies readonly (keyof RequestRecord)[];
