import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { upstreamBufferBudget } from '../../src/providers/transport/body-budget.js';
import { MAX_EVENT_BYTES, parseServerSentEvents } from '../../src/providers/transport/event-stream.js';
import { parseAwsEventStream } from '../../src/providers/transport/aws-event-stream.js';
import { MAX_RESPONSE_BYTES } from '../../src/providers/transport/read-body.js';
import { GatewayError } from '../../src/spec/index.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { chunk, sendCompletion, startEventStream, startScriptedUpstream, type ScriptedUpstream } from '../routing/scripted-upstream.js';

/**
 * Upstream bodies are bounded: an SSE line that never ends, a frame that claims too much, a
 * non-streamed answer past its cap, and many large answers at once all fail their attempt with
 * `upstream_invalid_response` instead of growing the gateway's memory, and the gateway goes on
 * serving. Real loopback upstreams that really send the bytes.
 */

const PIECE = 'a'.repeat(64 * 1024);
const GIB = 1024 * 1024 * 1024;

/** Writes `prefix`, then 64 KiB pieces until the gateway hangs up (or a safety bound of `maxBytes`). */
async function endless(response: ServerResponse, prefix: string, maxBytes = 512 * 1024 * 1024): Promise<void> {
  let closed = false;
  response.on('close', () => {
    closed = true;
  });
  response.write(prefix);
  let sent = 0;
  while (!closed && sent < maxBytes) {
    sent += PIECE.length;
    if (!response.write(PIECE)) await new Promise((resolve) => response.once('drain', resolve).once('close', resolve));
  }
  if (!closed) response.end();
}

/** A valid non-streamed answer whose text is `bytes` long, sent in pieces with pauses, so that several overlap. */
async function slowLargeCompletion(response: ServerResponse, bytes: number): Promise<void> {
  const head = '{"id":"chatcmpl-large","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"';
  const tail = '"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';
  response.writeHead(200, { 'content-type': 'application/json' });
  let closed = false;
  response.on('close', () => {
    closed = true;
  });
  response.write(head);
  for (let sent = 0; sent < bytes && !closed; sent += PIECE.length * 4) {
    response.write(PIECE.repeat(4));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (!closed) response.end(tail);
}

async function post(url: string, body: unknown): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
}

describe('bounded upstream bodies', () => {
  let upstream: ScriptedUpstream;
  let running: RunningGateway;

  before(async () => {
    upstream = await startScriptedUpstream();
    running = await startGateway({
      providers: {
        primary: { type: 'openai', base_url: upstream.url, keys: [{ value: 'test-key-limits' }], models: ['gpt-4o-mini'], max_retries: 0 },
        local: { type: 'mock', models: ['mock-small'] },
      },
      routes: { sturdy: { targets: [{ model: 'primary/gpt-4o-mini' }], fallbacks: ['local/mock-small'] } },
      // Each test sends failures on purpose: the breaker must not take the target out between them.
      routing: { circuit_breaker: { enabled: false } },
    });
  });

  after(async () => {
    await running.close();
    await upstream.close();
  });

  const chat = (model: string, stream: boolean) => post(`${running.url}/v1/chat/completions`, { model, stream, messages: [{ role: 'user', content: 'hello' }] });

  async function stillServing(): Promise<void> {
    upstream.script((_request, response) => sendCompletion(response, 'still here'));
    const next = await chat('primary/gpt-4o-mini', false);
    assert.equal(next.status, 200);
    assert.match(next.text, /still here/);
    assert.equal(upstream.count > 0, true);
    assert.equal(upstreamBufferBudget.usedBytes, 0, 'every buffered byte was given back');
    assert.ok(process.memoryUsage().rss < GIB, `rss ${process.memoryUsage().rss}`);
  }

  test('an SSE line that never ends fails the attempt before the stream commits: upstream_invalid_response in the caller\'s dialect', async () => {
    upstream.script((_request, response) => {
      startEventStream(response);
      return endless(response, 'data: {"choices":[{"index":0,"delta":{"content":"');
    });
    const openai = await chat('primary/gpt-4o-mini', true);
    assert.equal(openai.status, 502);
    const error = (JSON.parse(openai.text) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'upstream_invalid_response');
    assert.match(error.message, /stream event of more than 8 MiB/);

    upstream.script((_request, response) => {
      startEventStream(response);
      return endless(response, 'data: ');
    });
    const anthropic = await post(`${running.url}/anthropic/v1/messages`, { model: 'primary/gpt-4o-mini', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(anthropic.status, 502);
    const envelope = JSON.parse(anthropic.text) as { type: string; error: { type: string; code: string } };
    assert.deepEqual([envelope.type, envelope.error.type, envelope.error.code], ['error', 'api_error', 'upstream_invalid_response']);
    await stillServing();
  });

  test('before the stream commits, the router falls back to the next target', async () => {
    upstream.script((_request, response) => {
      startEventStream(response);
      return endless(response, 'data: ');
    });
    const answer = await chat('sturdy', true);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['x-tollgate-provider'], 'local');
    assert.equal(answer.headers['x-tollgate-attempts'], '2');
    assert.match(answer.text, /data: \[DONE\]/);
    await stillServing();
  });

  test('after the stream committed, the caller\'s stream ends with an upstream_invalid_response error event', async () => {
    upstream.script((_request, response) => {
      startEventStream(response);
      response.write(chunk({ role: 'assistant', content: 'Hello' }));
      return endless(response, 'data: {"choices":[{"index":0,"delta":{"content":"');
    });
    const answer = await chat('primary/gpt-4o-mini', true);
    assert.equal(answer.status, 200);
    assert.match(answer.text, /"content":"Hello"/);
    assert.match(answer.text, /"code":"upstream_invalid_response"/);
    await stillServing();
  });

  test('a non-streamed answer over its cap is upstream_invalid_response, not upstream_unreachable', async () => {
    upstream.script((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      return endless(response, '{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"', MAX_RESPONSE_BYTES * 2);
    });
    const answer = await chat('primary/gpt-4o-mini', false);
    assert.equal(answer.status, 502);
    const error = (JSON.parse(answer.text) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'upstream_invalid_response');
    assert.match(error.message, /larger than 64 MiB/);
    await stillServing();
  });

  test('many large answers at once stay within the process-wide buffer budget; the ones past it fail saying why', async () => {
    const limit = upstreamBufferBudget.limitBytes;
    upstreamBufferBudget.limitBytes = 24 * 1024 * 1024;
    try {
      const count = 6;
      for (let index = 0; index < count; index++) upstream.script((_request, response) => slowLargeCompletion(response, 12 * 1024 * 1024));
      const answers = await Promise.all(Array.from({ length: count }, () => chat('primary/gpt-4o-mini', false)));
      const refused = answers.filter((answer) => answer.status === 502);
      const served = answers.filter((answer) => answer.status === 200);
      assert.equal(refused.length + served.length, count, answers.map((answer) => answer.status).join(','));
      assert.ok(refused.length > 0, 'six 12 MiB answers at once do not fit in 24 MiB');
      for (const answer of refused) {
        const error = (JSON.parse(answer.text) as { error: { code: string; message: string } }).error;
        assert.equal(error.code, 'upstream_invalid_response');
        assert.match(error.message, /upstream buffer budget/);
        assert.match(error.message, /24 MiB/);
      }
    } finally {
      upstreamBufferBudget.limitBytes = limit;
    }
    await stillServing();
  });
});

describe('stream parsers bound one event', () => {
  async function* endlessLine(): AsyncGenerator<Buffer> {
    yield Buffer.from('data: {"a":"');
    for (;;) yield Buffer.from(PIECE);
  }

  test('SSE: an event larger than the bound throws upstream_invalid_response and gives its bytes back', async () => {
    await assert.rejects(
      (async () => {
        for await (const _event of parseServerSentEvents(endlessLine(), 'upstream-x', 1024 * 1024)) assert.fail('no event can come out');
      })(),
      (error: unknown) => GatewayError.is(error) && error.code === 'upstream_invalid_response' && /upstream-x sent a stream event of more than 1 MiB/.test(error.message),
    );
    assert.equal(upstreamBufferBudget.usedBytes, 0);
  });

  test('SSE: events up to the bound pass, however they are cut into chunks; comments and many events never add up', async () => {
    const big = 'b'.repeat(MAX_EVENT_BYTES - 64);
    async function* body(): AsyncGenerator<string> {
      for (let index = 0; index < 2_000; index++) yield ': keep-alive\n\n';
      for (let at = 0; at < big.length; at += 100_000) yield `${at === 0 ? 'data: ' : ''}${big.slice(at, at + 100_000)}`;
      yield '\n\n';
      for (let index = 0; index < 10_000; index++) yield `data: {"n":${index}}\n\n`;
    }
    let count = 0;
    let largest = 0;
    for await (const event of parseServerSentEvents(body())) {
      count++;
      largest = Math.max(largest, event.data.length);
    }
    assert.equal(count, 10_001);
    assert.equal(largest, big.length);
    assert.equal(upstreamBufferBudget.usedBytes, 0);
  });

  test('SSE: past the process-wide budget the stream fails saying so', async () => {
    const limit = upstreamBufferBudget.limitBytes;
    upstreamBufferBudget.limitBytes = 256 * 1024;
    try {
      await assert.rejects(
        (async () => {
          for await (const _event of parseServerSentEvents(endlessLine(), 'upstream-y')) assert.fail('no event can come out');
        })(),
        (error: unknown) => GatewayError.is(error) && error.code === 'upstream_invalid_response' && /upstream buffer budget/.test(error.message),
      );
    } finally {
      upstreamBufferBudget.limitBytes = limit;
    }
    assert.equal(upstreamBufferBudget.usedBytes, 0);
  });

  test('a stream dropped half-read without being returned gives its bytes back once collected', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const start = upstreamBufferBudget.usedBytes;
    await (async () => {
      async function* body(): AsyncGenerator<string> {
        yield `data: {"n":1}\n\ndata: {"pending":"${'p'.repeat(100_000)}`;
        for (;;) await new Promise((resolve) => setTimeout(resolve, 60_000));
      }
      const events = parseServerSentEvents(body());
      assert.deepEqual((await events.next()).value, { data: '{"n":1}' });
      assert.ok(upstreamBufferBudget.usedBytes > start, 'the unfinished event is held');
      // Dropped here: neither finished nor returned.
    })();
    for (let round = 0; round < 20 && upstreamBufferBudget.usedBytes > start; round++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(upstreamBufferBudget.usedBytes, start);
  });

  test('AWS event-stream: a frame claiming more than the bound fails at once, without waiting for its bytes', async () => {
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const frame = Buffer.from(codec.encode({ headers: { ':message-type': { type: 'string', value: 'event' }, ':event-type': { type: 'string', value: 'messageStart' } }, body: fromUtf8('{"role":"assistant"}') }));
    const oversized = Buffer.alloc(12);
    oversized.writeUInt32BE(12 * 1024 * 1024, 0);
    async function* body(): AsyncGenerator<Buffer> {
      yield frame;
      yield oversized;
      // An upstream that would then trickle forever: the parser must not wait for it.
      for (;;) await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const events: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of parseAwsEventStream(body(), 'bedrock-z')) events.push(event.event ?? '');
      })(),
      (error: unknown) => GatewayError.is(error) && error.code === 'upstream_invalid_response' && /bedrock-z sent an event-stream frame of 12582912 bytes, more than the 8 MiB/.test(error.message),
    );
    assert.deepEqual(events, ['messageStart']);
    assert.equal(upstreamBufferBudget.usedBytes, 0);
  });

  test('AWS event-stream: a large frame in many small chunks is joined once and decoded', async () => {
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const payload = JSON.stringify({ delta: { text: 'c'.repeat(4 * 1024 * 1024) } });
    const frame = Buffer.from(codec.encode({ headers: { ':message-type': { type: 'string', value: 'event' }, ':event-type': { type: 'string', value: 'contentBlockDelta' } }, body: fromUtf8(payload) }));
    async function* body(): AsyncGenerator<Buffer> {
      for (let at = 0; at < frame.length; at += 1024) yield frame.subarray(at, at + 1024);
      yield frame;
    }
    const sizes: number[] = [];
    for await (const event of parseAwsEventStream(body())) sizes.push(event.data.length);
    assert.deepEqual(sizes, [payload.length, payload.length]);
    assert.equal(upstreamBufferBudget.usedBytes, 0);
  });
});
