import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';

/**
 * A loopback upstream speaking OpenAI's Files and Batch APIs (and chat completions), written from
 * OpenAI's API reference and independently of our code: `POST /v1/files` (multipart, parsed with
 * busboy), `GET /v1/files[/{id}[/content]]`, `DELETE /v1/files/{id}`, `POST /v1/batches`,
 * `GET /v1/batches[/{id}]`, `POST /v1/batches/{id}/cancel`. A batch moves one step each time it is
 * retrieved: validating → in_progress → completed, and on completion its output file holds one
 * chat completion per input line (usage: the prompt's length in words + 10 input tokens, 5 output).
 * `POST /v1/chat/completions` answers after `chatDelayMs`, counting each prompt it saw.
 */
export interface FilesFake {
  readonly url: string;
  /** Every request, as `METHOD /path`. */
  readonly requests: string[];
  /** Authorization headers seen. */
  readonly authorizations: Set<string>;
  /** Chat prompts answered (the last user message), in order, and how many arrived. */
  readonly prompts: string[];
  chatDelayMs: number;
  /** Number of chat requests that completed (answered in full). */
  readonly answered: string[];
  close(): Promise<void>;
}

interface StoredFile {
  object: Record<string, unknown>;
  content: Buffer;
}

export async function startFilesFake(): Promise<FilesFake> {
  const files = new Map<string, StoredFile>();
  const batches = new Map<string, Record<string, unknown>>();
  const requests: string[] = [];
  const authorizations = new Set<string>();
  const prompts: string[] = [];
  const answered: string[] = [];
  const state = { chatDelayMs: 0 };

  const json = (response: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    response.end(text);
  };
  const notFound = (response: ServerResponse, what: string): void => json(response, 404, { error: { message: `No such ${what}`, type: 'invalid_request_error', param: null, code: null } });
  const readBody = async (request: IncomingMessage): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const addFile = (filename: string, purpose: string, content: Buffer): Record<string, unknown> => {
    const id = `file-${randomBytes(8).toString('hex')}`;
    const object = { id, object: 'file', bytes: content.length, created_at: Math.floor(Date.now() / 1000), filename, purpose, status: 'processed', status_details: null };
    files.set(id, { object, content });
    return object;
  };
  const complete = (batch: Record<string, unknown>): void => {
    const input = files.get(String(batch.input_file_id))!.content.toString('utf8');
    const out: string[] = [];
    for (const line of input.split('\n')) {
      if (line.trim() === '') continue;
      const parsed = JSON.parse(line) as { custom_id: string; body: { model: string; messages: Array<{ content: string }> } };
      const prompt = String(parsed.body.messages.at(-1)?.content ?? '');
      const promptTokens = prompt.split(/\s+/).filter(Boolean).length + 10;
      out.push(
        JSON.stringify({
          id: `batch_req_${randomBytes(6).toString('hex')}`,
          custom_id: parsed.custom_id,
          response: {
            status_code: 200,
            request_id: randomBytes(6).toString('hex'),
            body: {
              id: `chatcmpl-${randomBytes(6).toString('hex')}`,
              object: 'chat.completion',
              created: Math.floor(Date.now() / 1000),
              model: parsed.body.model,
              choices: [{ index: 0, message: { role: 'assistant', content: `batch answer to ${parsed.custom_id}` }, finish_reason: 'stop' }],
              usage: { prompt_tokens: promptTokens, completion_tokens: 5, total_tokens: promptTokens + 5 },
            },
          },
          error: null,
        }),
      );
    }
    const output = addFile('batch_output.jsonl', 'batch_output', Buffer.from(out.join('\n') + '\n'));
    Object.assign(batch, { status: 'completed', output_file_id: output.id, completed_at: Math.floor(Date.now() / 1000), request_counts: { total: out.length, completed: out.length, failed: 0 } });
  };

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://fake');
      // Azure OpenAI keeps files and batches per resource: `/openai/files?api-version=…`, authenticated with `api-key`.
      const azure = url.pathname.startsWith('/openai/');
      if (azure && url.searchParams.get('api-version') === null) return json(response, 400, { error: { code: 'MissingApiVersionParameter', message: 'The api-version query parameter (?api-version=) is required for all requests.' } });
      const path = azure ? `/v1/${url.pathname.slice('/openai/'.length)}` : url.pathname;
      requests.push(`${request.method} ${azure ? url.pathname : path}`);
      const authorization = azure ? request.headers['api-key'] : request.headers.authorization;
      if (typeof authorization === 'string') authorizations.add(azure ? `api-key ${authorization}` : authorization);
      let match: RegExpExecArray | null;
      if (request.method === 'POST' && path === '/v1/files') {
        const parser = busboy({ headers: request.headers });
        const fields: Record<string, string> = {};
        let file: { filename: string; content: Buffer } | undefined;
        parser.on('field', (name, value) => (fields[name] = value));
        parser.on('file', (_name, stream, info) => {
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => (file = { filename: info.filename ?? 'upload', content: Buffer.concat(chunks) }));
        });
        parser.on('close', () => {
          if (file === undefined || fields.purpose === undefined) return json(response, 400, { error: { message: 'file and purpose are required', type: 'invalid_request_error', param: null, code: null } });
          // A careless upstream that quotes the credentials it was sent.
          if (file.filename === 'leak.jsonl') return json(response, 400, { error: { message: `rejected for ${String(request.headers.authorization ?? request.headers['api-key'])}`, type: 'invalid_request_error', param: null, code: null } });
          json(response, 200, addFile(file.filename, fields.purpose, file.content));
        });
        request.pipe(parser);
        return;
      }
      if (request.method === 'GET' && path === '/v1/files') return json(response, 200, { object: 'list', data: [...files.values()].map((file) => file.object), has_more: false });
      if ((match = /^\/v1\/files\/([^/]+)(\/content)?$/.exec(path)) !== null) {
        const file = files.get(match[1]!);
        if (file === undefined) return notFound(response, 'file');
        if (request.method === 'DELETE') {
          files.delete(match[1]!);
          return json(response, 200, { id: match[1], object: 'file', deleted: true });
        }
        if (match[2] !== undefined) {
          response.writeHead(200, { 'content-type': 'application/octet-stream' });
          // In two writes: the gateway streams it through.
          const half = Math.floor(file.content.length / 2);
          response.write(file.content.subarray(0, half));
          response.end(file.content.subarray(half));
          return;
        }
        return json(response, 200, file.object);
      }
      if (request.method === 'POST' && path === '/v1/batches') {
        const body = JSON.parse((await readBody(request)).toString('utf8')) as Record<string, unknown>;
        if (!files.has(String(body.input_file_id))) return notFound(response, 'file');
        const id = `batch_${randomBytes(8).toString('hex')}`;
        const batch = {
          id,
          object: 'batch',
          endpoint: body.endpoint,
          errors: null,
          input_file_id: body.input_file_id,
          completion_window: body.completion_window,
          status: 'validating',
          output_file_id: null,
          error_file_id: null,
          created_at: Math.floor(Date.now() / 1000),
          request_counts: { total: 0, completed: 0, failed: 0 },
          metadata: body.metadata ?? null,
        };
        batches.set(id, batch);
        return json(response, 200, batch);
      }
      if (request.method === 'GET' && path === '/v1/batches') return json(response, 200, { object: 'list', data: [...batches.values()], has_more: false });
      if ((match = /^\/v1\/batches\/([^/]+)(\/cancel)?$/.exec(path)) !== null) {
        const batch = batches.get(match[1]!);
        if (batch === undefined) return notFound(response, 'batch');
        if (match[2] !== undefined && request.method === 'POST') {
          if (batch.status === 'validating' || batch.status === 'in_progress') batch.status = 'cancelled';
          return json(response, 200, batch);
        }
        if (batch.status === 'validating') batch.status = 'in_progress';
        else if (batch.status === 'in_progress') complete(batch);
        return json(response, 200, batch);
      }
      if (request.method === 'POST' && path === '/v1/chat/completions') {
        const body = JSON.parse((await readBody(request)).toString('utf8')) as { model: string; messages: Array<{ content: string }> };
        const prompt = String(body.messages.at(-1)?.content ?? '');
        prompts.push(prompt);
        let gone = false;
        response.on('close', () => (gone = !response.writableFinished));
        if (state.chatDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.chatDelayMs));
        if (gone || response.destroyed) return;
        answered.push(prompt);
        return json(response, 200, {
          id: `chatcmpl-${randomBytes(6).toString('hex')}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: `answer to ${prompt}` }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 20, completion_tokens: 4, total_tokens: 24 },
        });
      }
      json(response, 404, { error: { message: `Unknown request URL: ${request.method} ${path}`, type: 'invalid_request_error', param: null, code: 'unknown_url' } });
    })().catch((error: unknown) => {
      if (!response.headersSent) json(response, 500, { error: { message: String(error), type: 'server_error', param: null, code: null } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    authorizations,
    prompts,
    answered,
    get chatDelayMs() {
      return state.chatDelayMs;
    },
    set chatDelayMs(value: number) {
      state.chatDelayMs = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
