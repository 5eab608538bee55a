import { isoTime } from '../../lib/iso-time.js';
import type { RequestContext } from '../../pipeline/context.js';
import { ERROR_CODES, totalTokens, type ChatRequest } from '../../spec/index.js';
import { capContent } from './redact.js';
import type { RequestRecord } from './request-record.js';

export interface RecordOptions {
  /** Whether bodies may be kept for this request (global, per key and per request switches already applied). */
  content: boolean;
  maxContentBytes: number;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** The request record, followed by one record per attempt when there was more than one. */
export function buildRecords(context: RequestContext, options: RecordOptions): RequestRecord[] {
  const request = buildRequestRecord(context, options);
  if (context.attempts.length <= 1) return [request];
  const records = [request];
  context.attempts.forEach((attempt, index) => {
    const code = attempt.errorCode as keyof typeof ERROR_CODES | undefined;
    const served = context.served === attempt.target && attempt.errorCode === undefined;
    records.push({
      ...request,
      kind: 'attempt',
      attempt: index + 1,
      parent_request_id: context.id,
      provider: attempt.target.provider.name,
      model: attempt.target.model,
      key_id: attempt.keyId ?? null,
      status: attempt.status,
      error_code: attempt.errorCode ?? null,
      error_type: code === undefined ? null : (ERROR_CODES[code]?.type ?? null),
      error_message: attempt.errorMessage ?? null,
      stop_reason: served ? request.stop_reason : null,
      latency_ms: round(attempt.latencyMs),
      ttft_ms: served ? request.ttft_ms : null,
      input_tokens: served ? request.input_tokens : null,
      cached_input_tokens: served ? request.cached_input_tokens : null,
      cache_write_tokens: served ? request.cache_write_tokens : null,
      output_tokens: served ? request.output_tokens : null,
      reasoning_tokens: served ? request.reasoning_tokens : null,
      total_tokens: served ? request.total_tokens : null,
      cost_usd: served ? request.cost_usd : null,
      cost_exact: served ? request.cost_exact : null,
      charged_nano_usd: attempt.chargedNanoUsd ?? null,
      attempts: 1,
      request_content: null,
      response_content: null,
      cache_entry_id: null,
      cache_similarity: null,
      cache_saved_usd: null,
      guardrails: null,
      ...(served ? {} : NO_UNITS),
    });
  });
  return records;
}

function buildRequestRecord(context: RequestContext, options: RecordOptions): RequestRecord {
  const last = context.attempts[context.attempts.length - 1];
  const target = context.served ?? last?.target;
  const servedAttempt = context.attempts.find((attempt) => attempt.target === context.served) ?? last;
  const usage = context.usage;
  const principal = context.principal;
  const error = context.error;
  const requestMetadata = context.chatRequest?.gateway?.metadata;
  const headerMetadata = metadataHeader(context);
  // Usually only the key's own tags: that object is shared, not copied (see record-values.ts).
  const metadata = requestMetadata === undefined && headerMetadata === undefined ? (principal?.metadata ?? NO_METADATA) : { ...principal?.metadata, ...headerMetadata, ...requestMetadata };
  const endedAt = context.endedAt ?? performance.now();
  return {
    request_id: context.id,
    kind: 'request',
    attempt: 0,
    parent_request_id: context.parentId ?? null,
    timestamp: isoTime(context.receivedAt),
    surface: context.surface,
    operation: context.operation,
    virtual_key_id: principal?.keyId ?? null,
    team_id: principal?.teamId ?? null,
    customer_id: principal?.customerId ?? null,
    metadata,
    provider: target?.provider.name ?? null,
    model: target?.model ?? context.requestedModel ?? null,
    requested_model: context.requestedModel ?? null,
    key_id: servedAttempt?.keyId ?? null,
    status: context.status,
    error_code: error?.code ?? null,
    error_type: error?.type ?? null,
    error_message: error?.message ?? null,
    stop_reason: context.finishReason?.unified ?? null,
    latency_ms: round(endedAt - context.startedAt),
    ttft_ms: context.timeToFirstTokenMs === undefined ? null : round(context.timeToFirstTokenMs),
    input_tokens: usage?.inputTokens ?? null,
    cached_input_tokens: usage?.cachedInputTokens ?? null,
    cache_write_tokens: usage?.cacheWriteTokens ?? null,
    output_tokens: usage?.outputTokens ?? null,
    reasoning_tokens: usage?.reasoningTokens ?? null,
    total_tokens: usage === undefined ? null : (totalTokens(usage) ?? null),
    cost_usd: context.cost?.known ? context.cost.usd : null,
    cost_exact: context.cost?.known ? (context.cost.exact ?? null) : null,
    charged_nano_usd: chargedNanoUsd(context),
    cache_hit: context.cache === undefined || (context.cache.layer !== 'exact' && context.cache.layer !== 'semantic') ? null : context.cache.layer,
    stream: context.stream,
    attempts: context.attempts.length,
    request_content: !options.content ? null : context.chatRequest !== undefined ? capContent(requestContent(context.chatRequest), options.maxContentBytes) : context.inputText !== undefined ? capContent(context.inputText, options.maxContentBytes) : null,
    response_content: options.content && context.outputText !== undefined ? capContent(context.outputText, options.maxContentBytes) : null,
    cache_entry_id: context.cache?.entryId ?? null,
    cache_similarity: context.cache?.similarity ?? null,
    cache_saved_usd: context.cache?.savedUsd ?? null,
    guardrails: context.guardrails === undefined ? null : JSON.stringify(context.guardrails),
    session_id: context.sessionId ?? null,
    images: usage === undefined ? null : (usage.units?.images ?? usage.images ?? null),
    characters: usage?.characters ?? null,
    audio_seconds: usage?.audioSeconds ?? null,
    search_units: usage?.units?.searches ?? null,
    input_audio_tokens: usage?.inputAudioTokens ?? null,
    output_audio_tokens: usage?.outputAudioTokens ?? null,
  };
}

/** An attempt that did not serve billed nothing. */
const NO_UNITS = Object.freeze({ images: null, characters: null, audio_seconds: null, search_units: null, input_audio_tokens: null, output_audio_tokens: null });

/** The sum of the attempts' charges; null when none had a ledger admission. */
function chargedNanoUsd(context: RequestContext): number | null {
  let total: number | null = context.chargedNanoUsd ?? null;
  for (const attempt of context.attempts) if (attempt.chargedNanoUsd !== undefined) total = (total ?? 0) + attempt.chargedNanoUsd;
  return total;
}

/** The request as logged: the canonical request without gateway extras. */
function requestContent(request: ChatRequest): string {
  const { gateway: _gateway, extra: _extra, extraDialect: _dialect, ...rest } = request;
  return JSON.stringify(rest);
}

const NO_METADATA: Readonly<Record<string, string>> = Object.freeze({});

const MAX_METADATA_KEYS = 32;

/** `x-tollgate-metadata: {"env":"prod"}`: string tags for the log, whatever the dialect. Ignored when malformed. */
function metadataHeader(context: RequestContext): Record<string, string> | undefined {
  const header = context.headers['x-tollgate-metadata'];
  if (typeof header !== 'string' || header.length > 4096) return undefined;
  try {
    const parsed: unknown = JSON.parse(header);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    const tags: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed).slice(0, MAX_METADATA_KEYS)) if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') tags[key] = String(value);
    return tags;
  } catch {
    return undefined;
  }
}
