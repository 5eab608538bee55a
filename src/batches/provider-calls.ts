import type { SpooledFile } from '../http/multipart-upload.js';
import { multipartBody } from '../pipeline/multipart-body.js';
import { sendJsonAttempt } from '../pipeline/json-attempt.js';
import { redactingStream } from '../pipeline/redacting-stream.js';
import type { Target } from '../pipeline/target.js';
import { sendAttempt } from '../pipeline/upstream-call.js';
import { pickKey } from '../providers/instance.js';
import type { ProviderInstance } from '../providers/instance.js';
import type { ProviderKey, StoredResource, UpstreamHttpRequest } from '../providers/provider.js';
import type { HttpTransport } from '../providers/transport/http-transport.js';
import { GatewayError } from '../spec/index.js';

/** Whether a provider keeps OpenAI's files and runs its batches natively (its adapter says where). */
export function keepsFiles(provider: ProviderInstance): boolean {
  return provider.adapter.storedResourceTarget !== undefined && provider.adapter.local === undefined;
}

/** One call to a provider's `/files` or `/batches`: the sub-path (`/{id}`, `/{id}/content`, `/{id}/cancel`) and its query. */
export interface ResourceCall {
  readonly resource: StoredResource;
  readonly method: UpstreamHttpRequest['method'];
  /** `''`, `/{id}`, `/{id}/content`, `/{id}/cancel`. */
  readonly path: string;
  /** Query parameters of the caller's to forward (`limit`, `after`), without `?`. */
  readonly search?: string;
  readonly json?: unknown;
}

function built(target: Target, call: ResourceCall): { key: ProviderKey | undefined; request: UpstreamHttpRequest } {
  const provider = target.provider;
  const adapter = provider.adapter;
  if (adapter.storedResourceTarget === undefined || adapter.local !== undefined) {
    throw new GatewayError('operation_not_supported', `Provider \`${provider.name}\` (${adapter.type}) keeps no files and runs no batches.`);
  }
  const key = target.key ?? pickKey(provider, '');
  const where = adapter.storedResourceTarget(call.resource, key, provider.settings);
  const search = call.search === undefined || call.search === '' ? where.query : where.query === '' ? `?${call.search}` : `${where.query}&${call.search}`;
  const request: UpstreamHttpRequest = { url: `${where.url}${call.path}${search}`, method: call.method, headers: { ...where.headers } };
  if (call.json !== undefined) {
    request.headers['content-type'] = 'application/json';
    request.body = JSON.stringify(call.json);
  }
  return { key, request };
}

/** A call whose answer is one JSON object (a file or batch object, a deletion). Throws GatewayError, scrubbed of the attempt's secrets. */
export async function callForJson(target: Target, call: ResourceCall, transport: HttpTransport, signal: AbortSignal): Promise<{ keyId: string | undefined; body: Record<string, unknown> }> {
  const { key, request } = built(target, call);
  const body = await sendJsonAttempt(target, key, request, transport, signal, (parsed) => {
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new GatewayError('upstream_invalid_response', `${target.provider.name} answered ${call.resource} with something other than a JSON object.`);
    return parsed as Record<string, unknown>;
  });
  return { keyId: key?.id, body };
}

/** A file's content, streamed through as it arrives, the attempt's secrets redacted from it. */
export async function callForContent(target: Target, fileId: string, transport: HttpTransport, signal: AbortSignal): Promise<{ keyId: string | undefined; contentType: string; body: AsyncIterable<Buffer> }> {
  const { key, request } = built(target, { resource: 'files', method: 'GET', path: `/${encodeURIComponent(fileId)}/content` });
  const { response, scrubber } = await sendAttempt(target, key, request, transport, signal);
  return { keyId: key?.id, contentType: String(response.headers['content-type'] ?? 'application/octet-stream'), body: redactingStream(response.body, scrubber.exactSecrets()) };
}

/** Uploads a spooled file to the provider's `/files` as multipart (the fields first, the file streamed from disk). */
export async function uploadFile(target: Target, fields: ReadonlyArray<[string, string]>, file: SpooledFile, transport: HttpTransport, signal: AbortSignal): Promise<{ keyId: string | undefined; body: Record<string, unknown> }> {
  const { key, request } = built(target, { resource: 'files', method: 'POST', path: '' });
  const body = multipartBody(fields, [file]);
  request.headers['content-type'] = `multipart/form-data; boundary=${body.boundary}`;
  request.headers['content-length'] = String(body.length);
  request.stream = body.stream;
  const answer = await sendJsonAttempt(target, key, request, transport, signal, (parsed) => {
    if (parsed === null || typeof parsed !== 'object' || typeof (parsed as { id?: unknown }).id !== 'string') throw new GatewayError('upstream_invalid_response', `${target.provider.name} answered the upload without a file id.`);
    return parsed as Record<string, unknown>;
  });
  return { keyId: key?.id, body: answer };
}
