import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import OpenAI, { APIError } from 'openai';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

// OTLP enum values as they appear in OTLP/JSON.
const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
const STATUS_CODE_ERROR = 2;

type AttributeValue = string | number | boolean | AttributeValue[] | undefined;

interface CollectedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startNanos: bigint;
  endNanos: bigint;
  statusCode: number;
  attributes: Record<string, AttributeValue>;
  serviceName: AttributeValue;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: OtlpAttribute[];
  status?: { code?: number };
}
interface OtlpExport {
  resourceSpans: { resource?: { attributes?: OtlpAttribute[] }; scopeSpans: { spans?: OtlpSpan[] }[] }[];
}

function decodeValue(value: OtlpValue): AttributeValue {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decodeValue);
  return undefined;
}

function decodeAttributes(attributes: OtlpAttribute[] | undefined): Record<string, AttributeValue> {
  return Object.fromEntries((attributes ?? []).map((attribute) => [attribute.key, decodeValue(attribute.value)]));
}

/** A loopback OTLP/HTTP collector that keeps every span it is sent, and the raw bodies. */
class Collector {
  readonly spans: CollectedSpan[] = [];
  readonly bodies: string[] = [];
  readonly headers: IncomingHttpHeaders[] = [];
  private readonly server: Server;

  constructor() {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.bodies.push(body);
        this.headers.push(request.headers);
        if (request.method === 'POST' && request.url === '/v1/traces') this.collect(JSON.parse(body) as OtlpExport);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{}');
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/traces`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private collect(payload: OtlpExport): void {
    for (const resourceSpans of payload.resourceSpans) {
      const resource = decodeAttributes(resourceSpans.resource?.attributes);
      for (const scope of resourceSpans.scopeSpans) {
        for (const span of scope.spans ?? []) {
          this.spans.push({
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            name: span.name,
            kind: span.kind,
            startNanos: BigInt(span.startTimeUnixNano),
            endNanos: BigInt(span.endTimeUnixNano),
            statusCode: span.status?.code ?? 0,
            attributes: decodeAttributes(span.attributes),
            serviceName: resource['service.name'],
          });
        }
      }
    }
  }
}

function traceparent(traceId: string, spanId: string, sampled = true): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

const newTraceId = () => randomBytes(16).toString('hex');
const newSpanId = () => randomBytes(8).toString('hex');
const PROMPT = 'a secret-free prompt about tracing';

const collector = new Collector();
let running: RunningGateway;

// Filled in before(): what each request sent and got back.
const chat = { traceId: newTraceId(), parentSpanId: newSpanId(), responseTraceparent: '', requestId: '', usage: { prompt_tokens: 0, completion_tokens: 0 } };
const streamed = { traceId: newTraceId(), parentSpanId: newSpanId(), usage: { prompt_tokens: 0, completion_tokens: 0 } };
const fallback = { traceId: newTraceId(), parentSpanId: newSpanId() };
const unknownModel = { traceId: newTraceId(), parentSpanId: newSpanId(), errorCode: '', responseTraceparent: '' };
const upstreamFailure = { traceId: newTraceId(), parentSpanId: newSpanId(), errorCode: '', status: 0 };
const unsampled = { traceId: newTraceId(), parentSpanId: newSpanId(), responseTraceparent: '' };
const embeddings = { traceId: newTraceId(), parentSpanId: newSpanId(), inputTokens: 0 };
let untracedTraceparent: string | null = 'not checked';

async function expectApiError(promise: Promise<unknown>): Promise<APIError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof APIError) return error;
    throw error;
  }
  throw new Error('the request should have failed');
}

before(async () => {
  const endpoint = await collector.listen();
  running = await startGateway({
    providers: {
      mock: { type: 'mock', models: ['mock-small'] },
      broken: { type: 'mock', models: ['mock-small'], max_retries: 0, mock: { failure_rate: 1 } },
    },
    routes: { sturdy: { targets: [{ model: 'broken/mock-small' }], fallbacks: ['mock/mock-small'] } },
    pricing: { 'mock/mock-small': { input: 1, output: 2 } },
    observability: { otlp: { endpoint, headers: { 'x-collector-token': 'test-collector-token' }, service_name: 'tollgate-under-test', export_delay_ms: 20 } },
  });
  const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'test-key-openai', maxRetries: 0 });
  const headersFor = (call: { traceId: string; parentSpanId: string }) => ({ headers: { traceparent: traceparent(call.traceId, call.parentSpanId), tracestate: 'vendor=value' } });

  const answer = await client.chat.completions
    .create({ model: 'mock/mock-small', messages: [{ role: 'user', content: PROMPT }], max_tokens: 64, temperature: 0.5 }, headersFor(chat))
    .withResponse();
  chat.responseTraceparent = answer.response.headers.get('traceparent') ?? '';
  chat.requestId = answer.response.headers.get('x-request-id') ?? '';
  chat.usage = answer.data.usage!;

  const stream = await client.chat.completions.create(
    { model: 'mock/mock-small', messages: [{ role: 'user', content: PROMPT }], stream: true, stream_options: { include_usage: true } },
    headersFor(streamed),
  );
  for await (const chunk of stream) if (chunk.usage) streamed.usage = chunk.usage;

  await client.chat.completions.create({ model: 'sturdy', messages: [{ role: 'user', content: PROMPT }] }, headersFor(fallback));

  const notFound = await expectApiError(client.chat.completions.create({ model: 'nowhere/no-such-model', messages: [{ role: 'user', content: PROMPT }] }, headersFor(unknownModel)));
  unknownModel.errorCode = notFound.headers?.get('x-tollgate-error-code') ?? '';
  unknownModel.responseTraceparent = notFound.headers?.get('traceparent') ?? '';

  const failed = await expectApiError(client.chat.completions.create({ model: 'broken/mock-small', messages: [{ role: 'user', content: PROMPT }] }, headersFor(upstreamFailure)));
  upstreamFailure.errorCode = failed.headers?.get('x-tollgate-error-code') ?? '';
  upstreamFailure.status = failed.status ?? 0;

  const notSampled = await client.chat.completions
    .create({ model: 'mock/mock-small', messages: [{ role: 'user', content: PROMPT }] }, { headers: { traceparent: traceparent(unsampled.traceId, unsampled.parentSpanId, false) } })
    .withResponse();
  unsampled.responseTraceparent = notSampled.response.headers.get('traceparent') ?? '';

  const vectors = await client.embeddings.create({ model: 'mock/mock-small', input: PROMPT }, headersFor(embeddings));
  embeddings.inputTokens = vectors.usage.prompt_tokens;

  // Closing flushes the batch processor: everything ended so far reaches the collector.
  await running.close();

  const untraced = await startGateway({ providers: { mock: { type: 'mock', models: ['mock-small'] } } });
  try {
    const plain = new OpenAI({ baseURL: `${untraced.url}/v1`, apiKey: 'test-key-openai', maxRetries: 0 });
    const response = await plain.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: PROMPT }] }, headersFor({ traceId: newTraceId(), parentSpanId: newSpanId() })).withResponse();
    untracedTraceparent = response.response.headers.get('traceparent');
  } finally {
    await untraced.close();
  }
});

after(async () => {
  await collector.close();
});

function spansOf(traceId: string): { server: CollectedSpan; clients: CollectedSpan[] } {
  const spans = collector.spans.filter((span) => span.traceId === traceId);
  const servers = spans.filter((span) => span.kind === SPAN_KIND_SERVER);
  assert.equal(servers.length, 1, `one server span in trace ${traceId}, got ${spans.map((span) => span.name).join(', ')}`);
  const server = servers[0]!;
  const clients = spans.filter((span) => span.kind === SPAN_KIND_CLIENT).sort((a, b) => Number(a.attributes['tollgate.attempt']) - Number(b.attributes['tollgate.attempt']));
  for (const client of clients) assert.equal(client.parentSpanId, server.spanId, 'attempt spans are children of the server span');
  assert.equal(spans.length, 1 + clients.length, 'no other spans');
  return { server, clients };
}

test('the exporter speaks OTLP/HTTP JSON with the configured headers and service name', () => {
  assert.ok(collector.bodies.length > 0, 'the collector received exports');
  for (const headers of collector.headers) {
    assert.match(String(headers['content-type']), /^application\/json/);
    assert.equal(headers['x-collector-token'], 'test-collector-token');
  }
  for (const span of collector.spans) assert.equal(span.serviceName, 'tollgate-under-test');
});

test('a chat request gets a server span in the caller trace, with GenAI attributes and usage equal to the answer', () => {
  const { server, clients } = spansOf(chat.traceId);
  assert.equal(server.parentSpanId, chat.parentSpanId, 'parented on the incoming traceparent');
  assert.equal(server.name, 'chat mock/mock-small');
  assert.notEqual(server.statusCode, STATUS_CODE_ERROR);
  assert.equal(chat.responseTraceparent, `00-${chat.traceId}-${server.spanId}-01`, 'the response carries the server span as traceparent');

  const attributes = server.attributes;
  assert.equal(attributes['gen_ai.operation.name'], 'chat');
  assert.equal(attributes['gen_ai.request.model'], 'mock/mock-small');
  assert.equal(attributes['gen_ai.response.model'], 'mock-small');
  assert.equal(attributes['gen_ai.provider.name'], 'mock');
  assert.equal(attributes['gen_ai.system'], 'mock');
  assert.equal(attributes['gen_ai.request.max_tokens'], 64);
  assert.equal(attributes['gen_ai.request.temperature'], 0.5);
  assert.equal(attributes['gen_ai.request.stream'], false);
  assert.equal(attributes['gen_ai.usage.input_tokens'], chat.usage.prompt_tokens);
  assert.equal(attributes['gen_ai.usage.output_tokens'], chat.usage.completion_tokens);
  assert.ok(chat.usage.prompt_tokens > 0 && chat.usage.completion_tokens > 0);
  assert.deepEqual(attributes['gen_ai.response.finish_reasons'], ['stop']);
  assert.equal(attributes['http.response.status_code'], 200);
  assert.equal(attributes['error.type'], undefined);
  assert.equal(attributes['tollgate.request_id'], chat.requestId);
  assert.equal(attributes['tollgate.attempts'], 1);
  const expectedCost = (chat.usage.prompt_tokens * 1 + chat.usage.completion_tokens * 2) / 1_000_000;
  assert.ok(Math.abs(Number(attributes['tollgate.cost_usd']) - expectedCost) < 1e-12, `cost ${attributes['tollgate.cost_usd']} vs ${expectedCost}`);

  assert.equal(clients.length, 1);
  const attempt = clients[0]!;
  assert.equal(attempt.name, 'chat mock-small');
  assert.equal(attempt.attributes['gen_ai.operation.name'], 'chat');
  assert.equal(attempt.attributes['gen_ai.request.model'], 'mock-small');
  assert.equal(attempt.attributes['gen_ai.provider.name'], 'mock');
  assert.equal(attempt.attributes['gen_ai.usage.input_tokens'], chat.usage.prompt_tokens);
  assert.equal(attempt.attributes['gen_ai.usage.output_tokens'], chat.usage.completion_tokens);
  assert.equal(attempt.attributes['http.response.status_code'], 200);
  assert.equal(attempt.attributes['tollgate.provider'], 'mock');
  assert.equal(attempt.attributes['tollgate.attempt'], 1);
  assert.equal(attempt.attributes['server.address'], undefined, 'the in-process mock has no network address');
  // The attempt lies within its request (1 ms of slack for clock arithmetic).
  assert.ok(attempt.startNanos >= server.startNanos - 1_000_000n && attempt.endNanos <= server.endNanos + 1_000_000n);
  assert.ok(attempt.endNanos >= attempt.startNanos && server.endNanos >= server.startNanos);
});

test('a streamed request records the usage of the stream', () => {
  const { server, clients } = spansOf(streamed.traceId);
  assert.equal(server.attributes['gen_ai.request.stream'], true);
  assert.equal(server.attributes['gen_ai.usage.input_tokens'], streamed.usage.prompt_tokens);
  assert.equal(server.attributes['gen_ai.usage.output_tokens'], streamed.usage.completion_tokens);
  assert.deepEqual(server.attributes['gen_ai.response.finish_reasons'], ['stop']);
  assert.equal(clients.length, 1);
  assert.notEqual(clients[0]!.statusCode, STATUS_CODE_ERROR);
});

test('a fallback shows one child span per attempt: the failed one with its error, then the one that served', () => {
  const { server, clients } = spansOf(fallback.traceId);
  assert.equal(server.name, 'chat sturdy');
  assert.notEqual(server.statusCode, STATUS_CODE_ERROR, 'the request succeeded in the end');
  assert.equal(server.attributes['tollgate.attempts'], 2);
  assert.deepEqual(clients.map((client) => client.attributes['tollgate.provider']), ['broken', 'mock']);
  const [failed, served] = clients as [CollectedSpan, CollectedSpan];
  assert.equal(failed.statusCode, STATUS_CODE_ERROR);
  assert.equal(typeof failed.attributes['error.type'], 'string');
  assert.equal(failed.attributes['http.response.status_code'], 503);
  assert.equal(failed.attributes['gen_ai.usage.input_tokens'], undefined, 'a failed attempt has no usage');
  assert.notEqual(served.statusCode, STATUS_CODE_ERROR);
  assert.equal(served.attributes['error.type'], undefined);
  assert.equal(typeof served.attributes['gen_ai.usage.output_tokens'], 'number');
});

test('an unknown model ends the server span with status ERROR and error.type = the error code', () => {
  const { server, clients } = spansOf(unknownModel.traceId);
  assert.ok(unknownModel.errorCode.length > 0);
  assert.equal(server.statusCode, STATUS_CODE_ERROR);
  assert.equal(server.attributes['error.type'], unknownModel.errorCode);
  assert.equal(server.attributes['tollgate.attempts'], 0);
  assert.equal(clients.length, 0, 'nothing was sent upstream');
  assert.equal(unknownModel.responseTraceparent, `00-${unknownModel.traceId}-${server.spanId}-01`, 'error answers carry the traceparent too');
});

test('an upstream failure marks both the attempt and the request as errors', () => {
  const { server, clients } = spansOf(upstreamFailure.traceId);
  assert.equal(server.statusCode, STATUS_CODE_ERROR);
  assert.equal(server.attributes['error.type'], upstreamFailure.errorCode);
  assert.equal(server.attributes['http.response.status_code'], upstreamFailure.status);
  assert.equal(server.attributes['gen_ai.provider.name'], 'mock');
  assert.equal(clients.length, 1);
  assert.equal(clients[0]!.statusCode, STATUS_CODE_ERROR);
  assert.equal(clients[0]!.attributes['error.type'], upstreamFailure.errorCode);
});

test('an embeddings request is traced as `embeddings {model}`', () => {
  const { server, clients } = spansOf(embeddings.traceId);
  assert.equal(server.name, 'embeddings mock/mock-small');
  assert.equal(server.attributes['gen_ai.operation.name'], 'embeddings');
  assert.equal(server.attributes['gen_ai.usage.input_tokens'], embeddings.inputTokens);
  assert.equal(clients.length, 1);
  assert.equal(clients[0]!.name, 'embeddings mock-small');
});

test('a caller trace marked not sampled is followed: nothing exported, same trace id returned', () => {
  assert.equal(collector.spans.filter((span) => span.traceId === unsampled.traceId).length, 0);
  assert.match(unsampled.responseTraceparent, new RegExp(`^00-${unsampled.traceId}-[0-9a-f]{16}-00$`));
});

test('spans carry no prompt text and no key', () => {
  for (const body of collector.bodies) {
    assert.ok(!body.includes(PROMPT), 'the prompt is not exported');
    assert.ok(!body.includes('test-key-openai'), 'the caller key is not exported');
  }
});

test('without otlp no traceparent is returned (no tracing observer is registered)', () => {
  assert.equal(untracedTraceparent, null);
});
