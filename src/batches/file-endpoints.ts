import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline as pipe } from 'node:stream/promises';
import { encodeOpenAIError } from '../codecs/openai-chat/error.js';
import type { HttpExchange, HttpRoute } from '../http/http-route.js';
import { readMultipartUpload, type MultipartUpload } from '../http/multipart-upload.js';
import type { Principal, RequestContext } from '../pipeline/context.js';
import type { OperationEndpoint, OperationResult } from '../pipeline/endpoint.js';
import { GatewayError, type Usage } from '../spec/index.js';
import { freeAnswer, listPage, scopeOf, sendOpenAIError, sendOpenAIJson, type FilesContext, type FilesSettings } from './files-context.js';
import { summarize, type BatchSummary } from './batch-input.js';
import { callForContent, callForJson, keepsFiles, uploadFile } from './provider-calls.js';
import { GATEWAY_PROVIDER, visibleTo, type FileRecord } from './records.js';

/** What the files and batches routes bill: nothing (no tokens, and no units unless the operator prices them). */
export const FREE_USAGE: Usage = { inputTokens: 0, outputTokens: 0, units: { freeUnlessPriced: true } };

type FileOperation = 'create' | 'list' | 'retrieve' | 'content' | 'delete';

/** One call of the Files API, completed with its record and where it goes once the caller is known. */
export interface FileCall {
  readonly operation: FileOperation;
  readonly id: string | undefined;
  readonly query: URLSearchParams;
  readonly upload?: MultipartUpload;
  /** The provider the caller named (`provider` field or `x-tollgate-provider`). */
  readonly named?: string;
  /** Where the call goes: a provider's name or `gateway`. */
  provider: string;
  record?: FileRecord;
  principal?: Principal;
  /** An upload with purpose `batch`: its lines, read from the spooled file before it is sent anywhere. */
  summary?: BatchSummary;
}

export type FileAnswer = { json: Record<string, unknown> } | { contentType: string; body: AsyncIterable<Buffer> };

const PURPOSES = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'];

/**
 * OpenAI's Files API under each prefix: `POST /files` (a multipart upload, spooled to disk and
 * streamed to the provider, or kept by the gateway), `GET /files`, `GET /files/{id}`,
 * `GET /files/{id}/content` (streamed through) and `DELETE /files/{id}`. The gateway records each
 * file's owner; a key sees only its own (and its team's, with `files.share_with_team`).
 */
export function fileRoutes(shared: FilesContext, prefixes: readonly string[]): HttpRoute[] {
  const endpoint = (operation: FileOperation): OperationEndpoint<FileCall, FileAnswer> => ({
    surface: 'openai',
    operation: 'files',
    readsBody: false,
    decode: (_body, exchange) => decodeFileCall(operation, exchange, shared.settings()),
    authorize: (context, call) => authorizeFileCall(shared, context, call),
    // A batch file's calls are authorized by its batch's model, so that a key allowed only that model may use it.
    model: (call) => (call.provider === GATEWAY_PROVIDER ? undefined : (call.record?.model ?? call.summary?.lines[0]?.model ?? '*')),
    provider: (call) => call.provider,
    // Nothing to bill unless the operator prices it: the admission reserves nothing.
    units: () => ({ freeUnlessPriced: true }),
    answer: (context, call) => answerLocally(shared, context, call),
    attempt: async (target, call, transport, signal): Promise<OperationResult<FileAnswer>> => {
      switch (call.operation) {
        case 'create': {
          const fields = call.upload!.fields.filter(([name]) => name !== 'provider');
          const answer = await uploadFile(target, fields, call.upload!.file!, transport, signal);
          await shared.store.putFile({ id: String(answer.body.id), owner: call.principal?.keyId ?? null, team: call.principal?.teamId ?? null, provider: target.provider.name, object: answer.body, createdAt: Date.now(), ...(call.summary === undefined ? {} : { summary: call.summary, ...(call.summary.lines[0] === undefined ? {} : { model: call.summary.lines[0].model }) }) });
          return { keyId: answer.keyId, usage: FREE_USAGE, response: { json: answer.body } };
        }
        case 'content': {
          const answer = await callForContent(target, call.id!, transport, signal);
          return { keyId: answer.keyId, usage: FREE_USAGE, response: { contentType: answer.contentType, body: answer.body } };
        }
        case 'delete': {
          const answer = await callForJson(target, { resource: 'files', method: 'DELETE', path: `/${encodeURIComponent(call.id!)}` }, transport, signal);
          await shared.store.deleteFile(call.id!);
          return { keyId: answer.keyId, usage: FREE_USAGE, response: { json: answer.body } };
        }
        default: {
          const answer = await callForJson(target, { resource: 'files', method: 'GET', path: `/${encodeURIComponent(call.id!)}` }, transport, signal);
          return { keyId: answer.keyId, usage: FREE_USAGE, response: { json: answer.body } };
        }
      }
    },
    send: sendFileAnswer,
    sendError: sendOpenAIError,
  });
  const requests = () => shared.requests();
  const handler = (operation: FileOperation) => {
    const built = endpoint(operation);
    return (exchange: HttpExchange) => requests().operationHandler(built)(exchange);
  };
  const handlers = { create: handler('create'), list: handler('list'), retrieve: handler('retrieve'), content: handler('content'), delete: handler('delete') };
  return prefixes.flatMap((prefix): HttpRoute[] => [
    { method: 'POST', path: `${prefix}/files`, handler: handlers.create, renderError: encodeOpenAIError, ownsHeaders: true },
    { method: 'GET', path: `${prefix}/files`, handler: handlers.list, renderError: encodeOpenAIError, ownsHeaders: true },
    { method: 'GET', path: `${prefix}/files/:id`, handler: handlers.retrieve, renderError: encodeOpenAIError, ownsHeaders: true },
    { method: 'GET', path: `${prefix}/files/:id/content`, handler: handlers.content, renderError: encodeOpenAIError, ownsHeaders: true },
    { method: 'DELETE', path: `${prefix}/files/:id`, handler: handlers.delete, renderError: encodeOpenAIError, ownsHeaders: true },
  ]);
}

async function decodeFileCall(operation: FileOperation, exchange: HttpExchange, settings: FilesSettings): Promise<FileCall> {
  const header = exchange.request.headers['x-tollgate-provider'];
  const fromHeader = typeof header === 'string' && header.length > 0 ? header : undefined;
  if (operation !== 'create') return { operation, id: exchange.params.id, query: exchange.query, provider: GATEWAY_PROVIDER, ...(fromHeader === undefined ? {} : { named: fromHeader }) };
  const upload = await readMultipartUpload(exchange, { maxBytes: settings.files.max_upload_bytes, idleTimeoutMs: settings.idleTimeoutMs, setting: 'files.max_upload_bytes', carries: 'file' });
  if (upload.file === undefined || upload.file.field !== 'file') throw new GatewayError('invalid_request', 'The upload needs its content in a `file` part.', { param: 'file' });
  const purpose = upload.fields.find(([name]) => name === 'purpose')?.[1];
  if (purpose === undefined || !PURPOSES.includes(purpose)) throw new GatewayError('invalid_request', `\`purpose\` must be one of ${PURPOSES.join(', ')}.`, { param: 'purpose' });
  const named = upload.fields.find(([name]) => name === 'provider')?.[1] ?? fromHeader;
  return { operation, id: undefined, query: exchange.query, upload, provider: GATEWAY_PROVIDER, ...(named === undefined ? {} : { named }) };
}

/**
 * Where an upload goes: the provider the caller named, else `files.default_provider`, else the
 * first configured provider whose adapter keeps files; the gateway keeps it when none does, when
 * the provider keeps no files, or when it is a batch input for a provider with `batches: gateway`.
 */
export function uploadDestination(named: string | undefined, purpose: string, settings: FilesSettings): string {
  let name = named ?? settings.files.default_provider;
  name ??= [...settings.providers.values()].find(keepsFiles)?.name;
  if (name === undefined || name === GATEWAY_PROVIDER) return GATEWAY_PROVIDER;
  const instance = settings.providers.get(name);
  if (instance === undefined) throw new GatewayError('provider_not_found', `No provider is named \`${name.slice(0, 100)}\`; configured: ${[...settings.providers.keys()].join(', ')}.`, { param: 'provider' });
  if (!keepsFiles(instance) || (purpose === 'batch' && settings.providerConfigs[name]?.batches === 'gateway')) return GATEWAY_PROVIDER;
  return name;
}

async function authorizeFileCall(shared: FilesContext, context: RequestContext, call: FileCall): Promise<void> {
  call.principal = context.principal;
  const settings = shared.settings();
  if (call.operation === 'list') return;
  if (call.operation === 'create') {
    const purpose = call.upload!.fields.find(([name]) => name === 'purpose')![1];
    call.provider = uploadDestination(call.named, purpose, settings);
    if (purpose === 'batch') call.summary = await summarize(createReadStream(call.upload!.file!.path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>, settings.batches.max_lines);
    return;
  }
  const record = await shared.store.getFile(call.id!);
  if (record === undefined || !visibleTo(record, context.principal, settings.files.share_with_team)) throw new GatewayError('file_not_found', `No file \`${call.id!.slice(0, 100)}\` for this key.`, { param: 'file_id' });
  call.record = record;
  call.provider = record.provider;
}

/** The calls the gateway answers itself: lists (from its records), and files it keeps. */
async function answerLocally(shared: FilesContext, context: RequestContext, call: FileCall): Promise<FileAnswer> {
  freeAnswer(context);
  const store = shared.store;
  switch (call.operation) {
    case 'list': {
      const purpose = call.query.get('purpose');
      const files = (await store.listFiles(scopeOf(context, shared.settings()))).map((record) => record.object).filter((file) => purpose === null || file.purpose === purpose);
      if (call.query.get('order') === 'asc') files.reverse();
      return { json: listPage(files, call.query, 10_000) };
    }
    case 'create': {
      const upload = call.upload!;
      const file = upload.file!;
      const id = newFileId();
      const bytes = await store.writeContent(id, createReadStream(file.path, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>);
      const purpose = upload.fields.find(([name]) => name === 'purpose')![1];
      const object = fileObject(id, file.filename, purpose, bytes);
      await store.putFile({ id, owner: call.principal?.keyId ?? null, team: call.principal?.teamId ?? null, provider: GATEWAY_PROVIDER, object, createdAt: Date.now(), ...(call.summary === undefined ? {} : { summary: call.summary }) });
      return { json: object };
    }
    case 'content':
      return { contentType: 'application/octet-stream', body: store.readContent(call.id!) };
    case 'delete':
      await store.deleteFile(call.id!);
      return { json: { id: call.id!, object: 'file', deleted: true } };
    default:
      return { json: call.record!.object as Record<string, unknown> };
  }
}

export function newFileId(): string {
  return `file-tg${randomBytes(12).toString('hex')}`;
}

/** OpenAI's file object of a file the gateway keeps. */
export function fileObject(id: string, filename: string, purpose: string, bytes: number): Record<string, unknown> {
  return { id, object: 'file', bytes, created_at: Math.floor(Date.now() / 1000), filename, purpose, status: 'processed', status_details: null };
}

async function sendFileAnswer(exchange: HttpExchange, context: RequestContext, answer: FileAnswer): Promise<void> {
  if ('json' in answer) return sendOpenAIJson(exchange, context, answer.json);
  const response = exchange.response;
  response.writeHead(200, { ...context.responseHeaders, 'content-type': answer.contentType });
  try {
    await pipe(Readable.from(answer.body), response, { signal: exchange.signal });
  } catch {
    // The caller left or the upstream broke off: the content is cut short, as the upstream's was.
    response.destroy();
  }
}
