import { randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback upstream speaking Gemini's batch mode, written from Google's API reference
 * (https://ai.google.dev/api/batch-mode) and independently of our code:
 * `POST /v1beta/models/{model}:batchGenerateContent` (`batch.input_config.requests.requests[]` of
 * `{request, metadata: {key}}`, snake_case or camelCase) answered with an Operation named
 * `batches/{id}`; `GET /v1beta/batches/{id}` (PENDING on create, RUNNING on the first retrieve,
 * SUCCEEDED on the next, `done: true` with `response.inlinedResponses.inlinedResponses[]`);
 * `POST /v1beta/batches/{id}:cancel` (answers `{}`, the batch is CANCELLED without results). A
 * model whose name contains `file` gets its results in a `responsesFile` instead, downloaded from
 * `/download/v1beta/files/{id}:download?alt=media` as JSON lines `{key, response | error}`; one
 * whose name contains `broken` ends FAILED, with an operation `error` and no results. A
 * request whose last text says FAIL fails with INVALID_ARGUMENT; one that says LEAK fails with a
 * message that echoes the API key (as a hostile upstream might).
 */
export interface GeminiBatchesFake {
  readonly url: string;
  /** `METHOD path` of every request. */
  readonly requests: string[];
  /** The GenerateContentRequest of every request of every batch created, by key. */
  readonly params: Map<string, Record<string, unknown>>;
  readonly apiKeys: Set<string>;
  /** The display names of the batches created. */
  readonly displayNames: string[];
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

interface FakeBatch {
  name: string;
  model: string;
  displayName: string;
  state: 'BATCH_STATE_PENDING' | 'BATCH_STATE_RUNNING' | 'BATCH_STATE_SUCCEEDED' | 'BATCH_STATE_FAILED' | 'BATCH_STATE_CANCELLED';
  requests: Array<{ key: string; request: Json }>;
  file: string | undefined;
}

const OPERATION_TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch';
const OUTPUT_TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput';

function lastText(request: Json): string {
  const contents = request.contents as Array<{ parts?: Array<{ text?: string }> }>;
  return (contents.at(-1)?.parts ?? []).map((part) => part.text ?? '').join('');
}

export async function startGeminiBatchesFake(): Promise<GeminiBatchesFake> {
  const batches = new Map<string, FakeBatch>();
  const files = new Map<string, FakeBatch>();
  const requests: string[] = [];
  const params = new Map<string, Json>();
  const apiKeys = new Set<string>();
  const displayNames: string[] = [];
  const json = (response: ServerResponse, status: number, body: unknown): void => {
    response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
    response.end(JSON.stringify(body));
  };
  const googleError = (response: ServerResponse, status: number, word: string, message: string): void => json(response, status, { error: { code: status, message, status: word } });
  const outcome = (batch: FakeBatch, item: FakeBatch['requests'][number], apiKey: string): Json => {
    const text = lastText(item.request);
    if (text.includes('FAIL')) return { error: { code: 3, message: 'This request failed.', status: 'INVALID_ARGUMENT' } };
    if (text.includes('LEAK')) return { error: { code: 13, message: `Internal error while using key ${apiKey}.`, status: 'INTERNAL' } };
    return {
      response: {
        candidates: [{ content: { role: 'model', parts: [{ text: `batch answer to ${item.key}` }] }, finishReason: 'STOP', index: 0 }],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
        modelVersion: batch.model,
        responseId: randomBytes(6).toString('hex'),
      },
    };
  };
  const view = (batch: FakeBatch, apiKey: string): Json => {
    const done = batch.state === 'BATCH_STATE_SUCCEEDED' || batch.state === 'BATCH_STATE_FAILED' || batch.state === 'BATCH_STATE_CANCELLED';
    const metadata = {
      '@type': OPERATION_TYPE,
      model: `models/${batch.model}`,
      displayName: batch.displayName,
      createTime: new Date().toISOString(),
      updateTime: new Date().toISOString(),
      batchStats: { requestCount: String(batch.requests.length), pendingRequestCount: String(done ? 0 : batch.requests.length) },
      state: batch.state,
      name: batch.name,
    };
    const operation: Json = { name: batch.name, metadata };
    if (done) operation.done = true;
    if (batch.state === 'BATCH_STATE_FAILED') operation.error = { code: 13, message: 'The batch could not be processed.' };
    if (batch.state === 'BATCH_STATE_SUCCEEDED') {
      operation.response =
        batch.file !== undefined
          ? { '@type': OUTPUT_TYPE, responsesFile: batch.file }
          : { '@type': OUTPUT_TYPE, inlinedResponses: { inlinedResponses: batch.requests.map((item) => ({ ...outcome(batch, item, apiKey), metadata: { key: item.key } })) } };
    }
    return operation;
  };
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://fake');
      const path = url.pathname;
      requests.push(`${request.method} ${path}`);
      const apiKey = request.headers['x-goog-api-key'];
      if (typeof apiKey !== 'string' || url.searchParams.has('key')) return googleError(response, 401, 'UNAUTHENTICATED', 'API key not valid. Please pass a valid API key.');
      apiKeys.add(apiKey);
      let match: RegExpExecArray | null;
      if (request.method === 'POST' && (match = /^\/v1beta\/models\/([^/:]+):batchGenerateContent$/.exec(path)) !== null) {
        const chunks: Buffer[] = [];
        for await (const chunk of request) chunks.push(chunk as Buffer);
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { batch?: Json };
        const batch = body.batch ?? {};
        const input = (batch.input_config ?? batch.inputConfig) as { requests?: { requests?: Array<{ request?: Json; metadata?: { key?: unknown } }> } } | undefined;
        const items = input?.requests?.requests;
        const displayName = batch.display_name ?? batch.displayName;
        if (typeof displayName !== 'string' || !Array.isArray(items) || items.length === 0) return googleError(response, 400, 'INVALID_ARGUMENT', 'batch.display_name and batch.input_config are required.');
        const kept: FakeBatch['requests'] = [];
        for (const item of items) {
          if (item.request === undefined || !Array.isArray(item.request.contents) || typeof item.metadata?.key !== 'string') return googleError(response, 400, 'INVALID_ARGUMENT', 'Each request needs contents and metadata.key.');
          params.set(item.metadata.key, item.request);
          kept.push({ key: item.metadata.key, request: item.request });
        }
        displayNames.push(displayName);
        const id = randomBytes(8).toString('hex');
        const fake: FakeBatch = { name: `batches/${id}`, model: match[1]!, displayName, state: 'BATCH_STATE_PENDING', requests: kept, file: match[1]!.includes('file') ? `files/batch-${id}` : undefined };
        batches.set(fake.name, fake);
        if (fake.file !== undefined) files.set(fake.file, fake);
        return json(response, 200, view(fake, apiKey));
      }
      if ((match = /^\/v1beta\/(batches\/[^/:]+)(:cancel)?$/.exec(path)) !== null) {
        const batch = batches.get(match[1]!);
        if (batch === undefined) return googleError(response, 404, 'NOT_FOUND', 'Requested entity was not found.');
        if (match[2] === ':cancel') {
          if (request.method !== 'POST') return googleError(response, 405, 'INVALID_ARGUMENT', 'Cancel is a POST.');
          if (batch.state !== 'BATCH_STATE_SUCCEEDED') batch.state = 'BATCH_STATE_CANCELLED';
          return json(response, 200, {});
        }
        if (batch.state === 'BATCH_STATE_PENDING') batch.state = 'BATCH_STATE_RUNNING';
        else if (batch.state === 'BATCH_STATE_RUNNING') batch.state = batch.model.includes('broken') ? 'BATCH_STATE_FAILED' : 'BATCH_STATE_SUCCEEDED';
        return json(response, 200, view(batch, apiKey));
      }
      if (request.method === 'GET' && (match = /^\/download\/v1beta\/(files\/[^/:]+):download$/.exec(path)) !== null) {
        const batch = files.get(match[1]!);
        if (batch === undefined || url.searchParams.get('alt') !== 'media') return googleError(response, 404, 'NOT_FOUND', 'Requested entity was not found.');
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        for (const item of batch.requests) response.write(`${JSON.stringify({ key: item.key, ...outcome(batch, item, apiKey) })}\n`);
        response.end();
        return;
      }
      googleError(response, 404, 'NOT_FOUND', `Unknown path ${path}`);
    })().catch((error: unknown) => googleError(response, 500, 'INTERNAL', String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    params,
    apiKeys,
    displayNames,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
