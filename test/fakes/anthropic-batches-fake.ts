import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback upstream speaking Anthropic's Message Batches API, written from Anthropic's API
 * reference and independently of our code: `POST /v1/messages/batches` (`requests: [{custom_id,
 * params}]`), `GET /v1/messages/batches/{id}` (in_progress on the first retrieve, ended on the
 * next), `POST …/{id}/cancel`, `GET …/{id}/results` (JSON lines: `succeeded` with a Message, or
 * `errored` for a request whose last message says FAIL, `canceled` after a cancel).
 */
export interface AnthropicBatchesFake {
  readonly url: string;
  readonly requests: string[];
  /** The `params` of every request of every batch created, by custom_id. */
  readonly params: Map<string, Record<string, unknown>>;
  readonly apiKeys: Set<string>;
  close(): Promise<void>;
}

interface FakeBatch {
  id: string;
  status: 'in_progress' | 'canceling' | 'ended';
  retrieved: number;
  cancelled: boolean;
  requests: Array<{ custom_id: string; params: Record<string, unknown> }>;
}

export async function startAnthropicBatchesFake(): Promise<AnthropicBatchesFake> {
  const batches = new Map<string, FakeBatch>();
  const requests: string[] = [];
  const params = new Map<string, Record<string, unknown>>();
  const apiKeys = new Set<string>();
  const json = (response: import('node:http').ServerResponse, status: number, body: unknown): void => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  const view = (batch: FakeBatch) => ({
    id: batch.id,
    type: 'message_batch',
    processing_status: batch.status,
    request_counts: { processing: batch.status === 'ended' ? 0 : batch.requests.length, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
    ended_at: batch.status === 'ended' ? new Date().toISOString() : null,
    created_at: new Date().toISOString(),
    expires_at: new Date(Date.now() + 86_400_000).toISOString(),
    cancel_initiated_at: batch.cancelled ? new Date().toISOString() : null,
    results_url: batch.status === 'ended' ? `https://elsewhere.example/v1/messages/batches/${batch.id}/results` : null,
  });
  const server = createServer((request, response) => {
    void (async () => {
      const path = new URL(request.url ?? '/', 'http://fake').pathname;
      requests.push(`${request.method} ${path}`);
      const key = request.headers['x-api-key'];
      if (typeof key === 'string') apiKeys.add(key);
      if (request.headers['anthropic-version'] === undefined) return json(response, 400, { type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version header is required' } });
      let match: RegExpExecArray | null;
      if (request.method === 'POST' && path === '/v1/messages/batches') {
        const chunks: Buffer[] = [];
        for await (const chunk of request) chunks.push(chunk as Buffer);
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { requests: FakeBatch['requests'] };
        for (const item of body.requests) {
          if (item.params.stream === true || typeof item.params.max_tokens !== 'number') return json(response, 400, { type: 'error', error: { type: 'invalid_request_error', message: 'params must set max_tokens and not stream' } });
          params.set(item.custom_id, item.params);
        }
        const batch: FakeBatch = { id: `msgbatch_${randomBytes(8).toString('hex')}`, status: 'in_progress', retrieved: 0, cancelled: false, requests: body.requests };
        batches.set(batch.id, batch);
        return json(response, 200, view(batch));
      }
      if ((match = /^\/v1\/messages\/batches\/([^/]+)(\/cancel|\/results)?$/.exec(path)) !== null) {
        const batch = batches.get(match[1]!);
        if (batch === undefined) return json(response, 404, { type: 'error', error: { type: 'not_found_error', message: 'No such batch' } });
        if (match[2] === '/cancel') {
          batch.cancelled = true;
          batch.status = 'canceling';
          return json(response, 200, view(batch));
        }
        if (match[2] === '/results') {
          if (batch.status !== 'ended') return json(response, 400, { type: 'error', error: { type: 'invalid_request_error', message: 'Batch has not ended' } });
          response.writeHead(200, { 'content-type': 'application/binary' });
          for (const item of batch.requests) {
            const messages = item.params.messages as Array<{ content: unknown }>;
            const text = JSON.stringify(messages.at(-1)?.content ?? '');
            const result = batch.cancelled
              ? { type: 'canceled' }
              : text.includes('FAIL')
                ? { type: 'errored', error: { type: 'error', error: { type: 'invalid_request_error', message: 'This request failed.' } } }
                : {
                    type: 'succeeded',
                    message: { id: `msg_${randomBytes(6).toString('hex')}`, type: 'message', role: 'assistant', model: item.params.model, content: [{ type: 'text', text: `batch answer to ${item.custom_id}` }], stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 10, output_tokens: 5 } },
                  };
            response.write(`${JSON.stringify({ custom_id: item.custom_id, result })}\n`);
          }
          response.end();
          return;
        }
        batch.retrieved++;
        if (batch.status === 'canceling' || batch.retrieved >= 2) batch.status = 'ended';
        return json(response, 200, view(batch));
      }
      json(response, 404, { type: 'error', error: { type: 'not_found_error', message: `Unknown path ${path}` } });
    })().catch((error: unknown) => json(response, 500, { type: 'error', error: { type: 'api_error', message: String(error) } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    params,
    apiKeys,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
