import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import OpenAI from 'openai';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

/**
 * The pass-through route against a native upstream on loopback that answers whatever it is asked,
 * echoing the credentials it receives where a careless provider would.
 */

const PROVIDER_KEY = 'sk-proj-' + 'passthroughProviderKey0123456789';
const VIRTUAL_KEY = 'vk-test-' + 'passthrough-all';
const OTHER_ONLY = 'vk-test-' + 'passthrough-other';
const CALLER_PROVIDER_KEY = 'sk-proj-' + 'callerSentTheirOwnKey987654321';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

let upstream: Server;
let upstreamUrl: string;
const seen: Seen[] = [];
let running: RunningGateway;

before(async () => {
  upstream = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: request.method!, url: request.url!, headers: request.headers, body });
      const path = request.url!.split('?')[0];
      if (request.method === 'GET' && path === '/v1/files') {
        response.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'upstream=1' });
        response.end(JSON.stringify({ object: 'list', data: [{ id: 'file-abc', object: 'file', bytes: 3, created_at: 1, filename: 'a.jsonl', purpose: 'fine-tune', status: 'processed' }], has_more: false }));
      } else if (request.method === 'POST' && path === '/v1/fine_tuning/jobs') {
        const job = JSON.parse(body.toString()) as { model: string; training_file: string };
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ id: 'ftjob-1', object: 'fine_tuning.job', model: job.model, training_file: job.training_file, status: 'queued', created_at: 1 }));
      } else if (request.method === 'POST' && path === '/v1/chat/completions') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 } }));
      } else if (path === '/v1/careless') {
        // An error page repeating the credential it got.
        response.writeHead(401, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${String(request.headers.authorization)}`, type: 'invalid_request_error' } }));
      } else if (path === '/v1/stream') {
        // The key split across two writes, inside an SSE stream.
        const key = String(request.headers.authorization).slice('Bearer '.length);
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(`data: {"n":1,"echo":"${key.slice(0, 12)}`);
        setTimeout(() => {
          response.write(`${key.slice(12)}"}\n\n`);
          response.end('data: [DONE]\n\n');
        }, 20);
      } else if (path === '/v1/upload') {
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        response.end(body);
      } else {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: `Unknown request URL: ${request.method} ${path}`, type: 'invalid_request_error', code: 'unknown_url' } }));
      }
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  running = await startGateway({
    providers: {
      openai: { type: 'openai', base_url: `${upstreamUrl}/v1`, keys: [{ value: PROVIDER_KEY }], models: ['gpt-4o-mini'], max_retries: 0 },
      other: { type: 'mock', models: ['mock-small'] },
    },
    virtual_keys: [
      { id: 'all', value: VIRTUAL_KEY, models: ['*'] },
      { id: 'other-only', value: OTHER_ONLY, models: ['*'], providers: ['other'] },
    ],
  });
});
after(async () => {
  await running.close();
  await new Promise((resolve) => upstream.close(resolve));
});

const client = (key = VIRTUAL_KEY): OpenAI => new OpenAI({ baseURL: `${running.url}/passthrough/openai`, apiKey: key, maxRetries: 0 });

test('the openai SDK reaches native endpoints the unified API does not model, with the provider key in place of the virtual key', async () => {
  const files = await client().files.list({ purpose: 'fine-tune' });
  assert.equal(files.data[0]!.id, 'file-abc');
  const request = seen.at(-1)!;
  assert.equal(request.url, '/v1/files?purpose=fine-tune');
  assert.equal(request.headers.authorization, `Bearer ${PROVIDER_KEY}`);

  const job = await client().fineTuning.jobs.create({ model: 'gpt-4o-mini', training_file: 'file-abc' });
  assert.equal(job.id, 'ftjob-1');
  assert.equal(seen.at(-1)!.method, 'POST');
  assert.deepEqual(JSON.parse(seen.at(-1)!.body.toString()), { model: 'gpt-4o-mini', training_file: 'file-abc' });
});

test('a provider credential the caller sends is never forwarded, nor its virtual key, nor cookies', async () => {
  const answer = await fetch(`${running.url}/passthrough/openai/files`, { headers: { 'x-tollgate-key': VIRTUAL_KEY, authorization: `Bearer ${CALLER_PROVIDER_KEY}`, 'x-api-key': CALLER_PROVIDER_KEY, cookie: 'session=1' } });
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get('set-cookie'), null);
  const headers = JSON.stringify(seen.at(-1)!.headers);
  assert.ok(!headers.includes(CALLER_PROVIDER_KEY));
  assert.ok(!headers.includes(VIRTUAL_KEY));
  assert.ok(!headers.includes('session=1'));
  assert.equal(seen.at(-1)!.headers.authorization, `Bearer ${PROVIDER_KEY}`);
});

test('an answer carrying usage in the provider dialect is priced', async () => {
  const { response } = await client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
  const cost = Number(response.headers.get('x-tollgate-cost'));
  assert.ok(cost > 0, `x-tollgate-cost ${response.headers.get('x-tollgate-cost')}`);
  assert.equal(response.headers.get('x-tollgate-provider'), 'openai');
});

test('the key must be allowed the provider, and the provider must exist', async () => {
  const before = seen.length;
  await assert.rejects(client(OTHER_ONLY).files.list(), (error: unknown) => error instanceof OpenAI.PermissionDeniedError && (error.error as { code: string }).code === 'provider_not_allowed');
  const missing = await fetch(`${running.url}/passthrough/nowhere/files`, { headers: { authorization: `Bearer ${VIRTUAL_KEY}` } });
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'provider_not_found');
  const anonymous = await fetch(`${running.url}/passthrough/openai/files`);
  assert.equal(anonymous.status, 401);
  assert.equal(seen.length, before, 'refused requests never reach the upstream');
});

test('a provider error is forwarded in its own shape with the key removed; a streamed answer has it removed across chunks', async () => {
  const careless = await fetch(`${running.url}/passthrough/openai/careless`, { headers: { authorization: `Bearer ${VIRTUAL_KEY}` } });
  assert.equal(careless.status, 401);
  const text = await careless.text();
  assert.match(text, /Incorrect API key provided/);
  assert.ok(!text.includes(PROVIDER_KEY) && !text.includes(PROVIDER_KEY.slice(8)), text);

  const stream = await fetch(`${running.url}/passthrough/openai/stream`, { headers: { authorization: `Bearer ${VIRTUAL_KEY}` } });
  assert.equal(stream.headers.get('content-type'), 'text/event-stream');
  const streamed = await stream.text();
  assert.match(streamed, /"echo":"\[redacted\]"/);
  assert.ok(!streamed.includes(PROVIDER_KEY.slice(8)), streamed);
  assert.match(streamed, /data: \[DONE\]/);

  const unknown = await fetch(`${running.url}/passthrough/openai/no/such/thing`, { headers: { authorization: `Bearer ${VIRTUAL_KEY}` } });
  assert.equal(unknown.status, 404);
  assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'unknown_url', 'the provider own 404, not the gateway one');
});

test('binary bodies go through byte for byte, both ways', async () => {
  const bytes = Buffer.alloc(256 * 1024);
  for (let index = 0; index < bytes.length; index++) bytes[index] = (index * 31 + 7) % 256;
  const answer = await fetch(`${running.url}/passthrough/openai/upload`, { method: 'PUT', headers: { authorization: `Bearer ${VIRTUAL_KEY}`, 'content-type': 'application/octet-stream' }, body: bytes });
  assert.equal(answer.status, 200);
  const back = Buffer.from(await answer.arrayBuffer());
  assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(bytes).digest('hex'));
  assert.equal(seen.at(-1)!.method, 'PUT');
  assert.equal(seen.at(-1)!.body.length, bytes.length);
});

test('a path that climbs out of the provider base URL is refused', async () => {
  const before = seen.length;
  // Sent as written: fetch would resolve the dots itself.
  for (const path of ['/passthrough/openai/files/%2e%2e/%2E%2E/admin', '/passthrough/openai/../admin/keys']) {
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(running.url);
      request({ host: url.hostname, port: url.port, path, headers: { authorization: `Bearer ${VIRTUAL_KEY}` } }, (response) => {
        response.resume();
        resolve(response.statusCode!);
      }).on('error', reject).end();
    });
    assert.ok(status === 400 || status === 404, `${path}: ${status}`);
  }
  assert.equal(seen.length, before);
});
