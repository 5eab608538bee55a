import type { IncomingHttpHeaders } from 'node:http';
import { pickKey } from '../providers/instance.js';
import type { UpstreamHttpRequest } from '../providers/provider.js';
import { attemptScrubber } from '../providers/secret-scrubber.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import { MAX_RESPONSE_BYTES, readErrorBody, readResponseText } from '../providers/transport/read-body.js';
import { GatewayError, type Usage } from '../spec/index.js';
import type { OperationResult } from './endpoint.js';
import { redactingStream } from './redacting-stream.js';
import type { Target } from './target.js';
import { callUpstream, scrubbed } from './upstream-call.js';

/** A caller's native request to one provider, as the pass-through route forwards it. */
export interface PassthroughRequest {
  provider: string;
  /** The path after `/passthrough/{provider}/`, appended to the provider's base URL. */
  path: string;
  /** `?…` or empty. */
  search: string;
  method: UpstreamHttpRequest['method'];
  headers: IncomingHttpHeaders;
  body: Buffer | undefined;
  /** The body's `model`, when it is JSON and names one: the key's model list applies to it. */
  model: string | undefined;
}

export interface PassthroughResponse {
  status: number;
  headers: Record<string, string | string[]>;
  /** Whole (JSON and errors, read to price and scrub them) or streamed through. */
  body: Buffer | AsyncIterable<Buffer>;
}

/**
 * Headers that never go upstream: hop-by-hop ones, those the transport sets, the caller's
 * credentials (its virtual key, or a provider key it sent: never forwarded), and Tollgate's own.
 */
const DROPPED_REQUEST = /^(?:host|connection|keep-alive|transfer-encoding|te|trailer|upgrade|proxy-.*|content-length|expect|accept-encoding|authorization|x-api-key|x-goog-api-key|api-key|cookie|x-amz-.*|x-tollgate-.*|x-forwarded-.*|forwarded)$/i;
/** Headers of the upstream's answer that do not go back: hop-by-hop, lengths the gateway recomputes, cookies and upstream identifiers of its account. */
const DROPPED_RESPONSE = /^(?:connection|keep-alive|transfer-encoding|te|trailer|upgrade|proxy-.*|content-length|content-encoding|set-cookie|x-request-id)$/i;

/**
 * Forwards a caller's native request to the target's provider with the provider's credentials in
 * place of the caller's: the adapter's `credentialHeaders` (and its signing, for Bedrock). The
 * answer comes back as the provider sent it, with every secret of the attempt removed: errors and
 * JSON read whole (and priced when they carry usage the provider's codec reads), anything else
 * (SSE, audio, files) streamed through. Not retried: a native request may not be idempotent.
 */
export async function attemptPassthrough(target: Target, request: PassthroughRequest, transport: HttpTransport, signal: AbortSignal): Promise<OperationResult<PassthroughResponse>> {
  const provider = target.provider;
  const adapter = provider.adapter;
  if (adapter.local !== undefined || (adapter.credentialHeaders === undefined && adapter.sign === undefined)) {
    throw new GatewayError('operation_not_supported', `Provider \`${provider.name}\` (${adapter.type}) cannot be reached through the pass-through route.`);
  }
  const key = target.key ?? pickKey(provider, request.model ?? '');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    // HTTP/2 pseudo-headers (`:path`, `:authority`, …) describe the caller's request, not the upstream's.
    if (value === undefined || name.startsWith(':') || DROPPED_REQUEST.test(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  Object.assign(headers, provider.settings.headers, adapter.credentialHeaders?.(key, provider.settings));
  const built: UpstreamHttpRequest = { url: `${provider.settings.baseUrl}/${request.path}${request.search}`, method: request.method, headers, ...(request.body === undefined || request.body.length === 0 ? {} : { bytes: request.body }) };
  const sent = adapter.sign === undefined ? built : await adapter.sign(built, key, provider.settings);
  const scrubber = attemptScrubber(adapter, key, sent);
  let answer;
  try {
    answer = await callUpstream(provider, sent, transport, signal, target.timeouts);
  } catch (error) {
    throw notRetried(scrubbed(error, scrubber));
  }
  const answerHeaders: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !DROPPED_RESPONSE.test(name)) answerHeaders[name] = value;
  const type = String(answer.headers['content-type'] ?? '');
  try {
    if (answer.status >= 400) {
      return { keyId: key?.id, status: answer.status, usage: undefined, response: { status: answer.status, headers: answerHeaders, body: Buffer.from(scrubber.scrub(await readErrorBody(answer))) } };
    }
    if (/\bjson\b/i.test(type)) {
      const text = scrubber.redactSecrets(await readResponseText(answer, MAX_RESPONSE_BYTES));
      return { keyId: key?.id, status: answer.status, usage: usageIn(text, target), response: { status: answer.status, headers: answerHeaders, body: Buffer.from(text) } };
    }
  } catch (error) {
    throw notRetried(scrubbed(error, scrubber));
  }
  return { keyId: key?.id, status: answer.status, usage: undefined, response: { status: answer.status, headers: answerHeaders, body: redactingStream(answer.body, scrubber.exactSecrets()) } };
}

/** Usage in a JSON answer, when it is a chat or embeddings answer in the provider's own dialect. */
function usageIn(text: string, target: Target): Usage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const adapter = target.provider.adapter;
  for (const decode of [(body: unknown) => adapter.chatCodec.decodeResponse(body).usage, (body: unknown) => adapter.embeddingCodec?.decodeResponse(body).usage]) {
    try {
      const usage = decode(parsed);
      if (usage !== undefined && (usage.inputTokens !== undefined || usage.outputTokens !== undefined)) return usage;
    } catch {
      // Not this shape.
    }
  }
  return undefined;
}

function notRetried(error: unknown): unknown {
  if (!GatewayError.is(error) || !error.retryable) return error;
  return new GatewayError(error.code, error.message, { status: error.status, retryable: false, ...(error.upstreamStatus === undefined ? {} : { upstreamStatus: error.upstreamStatus }) });
}
